package kafka

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// kcat runs Debian's kcat (librdkafka) against the broker; the test is
// skipped when kcat is not installed.
func kcat(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat); skipping the librdkafka interoperability check")
	}
	// The deadline only guards against a hang.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, stderr.String())
	}
	return out.String()
}

func TestKcatInterop(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Skip("kcat not installed (apt-get install kcat); skipping the librdkafka interoperability check")
	}
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	w := newWriter(t, b, "p-kcat")
	if err := w.WriteBatch(ctx, batch(3, "committed"), stateRec("src", "committed")); err != nil {
		t.Fatalf("WriteBatch: %v", err)
	}
	// An aborted transaction that read_committed readers must skip.
	cl := w.Client()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, r := range batch(3, "aborted") {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, false); err != nil {
		t.Fatal(err)
	}
	brokers := strings.Join(b.Addrs(), ",")

	meta := kcat(t, "-b", brokers, "-L")
	for _, topic := range []string{stateTopic, changeTopic} {
		if !strings.Contains(meta, `topic "`+topic+`"`) {
			t.Errorf("kcat -L does not list %s:\n%s", topic, meta)
		}
	}

	read := func(isolation string) []string {
		out := kcat(t, "-b", brokers, "-C", "-t", changeTopic, "-o", "beginning", "-e", "-q",
			"-X", "isolation.level="+isolation, "-f", "%s\n")
		vals := strings.Fields(out)
		slices.Sort(vals)
		return vals
	}
	if got, want := read("read_committed"), []string{"committed-0", "committed-1", "committed-2"}; !slices.Equal(got, want) {
		t.Errorf("kcat read_committed = %v, want %v", got, want)
	}
	if got := read("read_uncommitted"); len(got) != 6 {
		t.Errorf("kcat read_uncommitted = %v, want the 3 committed and the 3 aborted values", got)
	}
}

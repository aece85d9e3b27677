package kafka

import (
	"strings"

	"fmt"
	"github.com/twmb/franz-go/pkg/kgo"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The state topic is compacted: after compaction the last committed state
// must still load, and the topic must not keep every old state.
func TestStateSurvivesCompaction(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	w := newWriter(t, b, "p-compact")
	for i := range 20 {
		pos := fmt.Sprintf("lsn-%02d", i)
		if err := w.WriteBatch(ctx, nil, stateRec("src", pos)); err != nil {
			t.Fatalf("WriteBatch %s: %v", pos, err)
		}
	}
	adm := kadm.NewClient(newClient(t, b))
	before, err := adm.ListStartOffsets(ctx, stateTopic)
	if err != nil {
		t.Fatal(err)
	}
	b.Cluster().Compact()
	got, ok, err := LoadState(ctx, w.Client(), stateTopic, "src")
	if err != nil || !ok || string(got) != "lsn-19" {
		t.Fatalf("LoadState after compaction = %q, %v, %v; want lsn-19", got, ok, err)
	}
	recs := readCommitted(t, b, stateTopic)
	t.Logf("start offset before compaction %v; %d visible state records after", before[stateTopic][0].Offset, len(recs))
	if len(recs) >= 20 {
		t.Errorf("compaction kept all %d state records", len(recs))
	}
}

// ReadCommitted resumes from the offsets it returned, so a reader can catch
// up with what was committed since its last read.
func TestReadCommittedIncremental(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	w := newWriter(t, b, "p-incr")
	cl := newClient(t, b)
	var seen []string
	collect := func(r *kgo.Record) error { seen = append(seen, string(r.Value)); return nil }

	write := func(pos string) {
		t.Helper()
		if err := w.WriteBatch(ctx, nil, stateRec("src", pos)); err != nil {
			t.Fatalf("WriteBatch %s: %v", pos, err)
		}
	}
	write("a")
	write("b")
	next, err := ReadCommitted(ctx, cl, stateTopic, nil, collect)
	if err != nil {
		t.Fatal(err)
	}
	write("c")
	if _, err := ReadCommitted(ctx, cl, stateTopic, next, collect); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen, ","); got != "a,b,c" {
		t.Fatalf("records read = %s, want a,b,c (each once)", got)
	}
}

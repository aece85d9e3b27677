package kafka

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

const (
	stateTopic  = "mssql2adb.state"
	changeTopic = "db.dbo.orders"
)

func newWriter(t *testing.T, b *kafkatest.Broker, id string) *TxnWriter {
	t.Helper()
	w, err := NewTxnWriter(t.Context(), TxnConfig{Brokers: b.Addrs(), TransactionalID: id, StateTopic: stateTopic, Logger: quietLog})
	if err != nil {
		t.Fatalf("new writer %s: %v", id, err)
	}
	t.Cleanup(w.Close)
	return w
}

func batch(n int, pos string) []*kgo.Record {
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: changeTopic, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "%s-%d", pos, i)}
	}
	return rs
}

func stateRec(src, pos string) *kgo.Record {
	return &kgo.Record{Key: []byte(src), Value: []byte(pos)}
}

func setupTopics(t *testing.T, b *kafkatest.Broker) {
	mustEnsure(t, b,
		TopicSpec{Name: stateTopic, Partitions: 1},
		TopicSpec{Name: changeTopic, Partitions: 3},
	)
}

func TestWriteBatchThenLoadState(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	w := newWriter(t, b, "p-src1")
	ctx := t.Context()

	if _, ok, err := LoadState(ctx, w.Client(), stateTopic, "src1"); err != nil || ok {
		t.Fatalf("LoadState on empty topic = ok %v, err %v; want no state", ok, err)
	}
	for _, pos := range []string{"lsn-1", "lsn-2", "lsn-3"} {
		if err := w.WriteBatch(ctx, batch(4, pos), stateRec("src1", pos)); err != nil {
			t.Fatalf("WriteBatch %s: %v", pos, err)
		}
	}
	// Another source's state in the same topic must not leak into src1's.
	if err := w.WriteBatch(ctx, nil, stateRec("src2", "other")); err != nil {
		t.Fatalf("WriteBatch src2: %v", err)
	}
	got, ok, err := LoadState(ctx, w.Client(), stateTopic, "src1")
	if err != nil || !ok || string(got) != "lsn-3" {
		t.Fatalf("LoadState(src1) = %q, %v, %v; want lsn-3", got, ok, err)
	}
	if n := len(readCommitted(t, b, changeTopic)); n != 12 {
		t.Fatalf("committed change records = %d, want 12", n)
	}
}

// A producer killed in the middle of a transaction must leave nothing
// visible: the restarted producer aborts the open transaction when it
// registers, and resumes from the last committed state.
func TestKilledTransactionIsAbortedOnRestart(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()

	w1 := newWriter(t, b, "p-kill")
	if err := w1.WriteBatch(ctx, batch(2, "lsn-1"), stateRec("src", "lsn-1")); err != nil {
		t.Fatalf("WriteBatch: %v", err)
	}
	w1.Close()
	// Half a batch: produced and flushed, never committed. (A fresh
	// writer, so that the produce directly after a commit, which kgo
	// 1.22 can get wrong under load, see TxnWriter.classify, is not what
	// this test exercises.)
	w1 = newWriter(t, b, "p-kill")
	cl := w1.Client()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("begin: %v", err)
	}
	st := stateRec("src", "lsn-2")
	st.Topic = stateTopic
	for _, r := range append(batch(2, "lsn-2"), st) {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	w1.Close() // the "kill": no EndTransaction

	w2 := newWriter(t, b, "p-kill")
	got, ok, err := LoadState(ctx, w2.Client(), stateTopic, "src")
	if err != nil || !ok || string(got) != "lsn-1" {
		t.Fatalf("LoadState after restart = %q, %v, %v; want lsn-1", got, ok, err)
	}
	vals := values(readCommitted(t, b, changeTopic))
	slices.Sort(vals)
	if want := []string{"lsn-1-0", "lsn-1-1"}; !slices.Equal(vals, want) {
		t.Fatalf("committed change values = %v, want %v", vals, want)
	}
	if err := w2.WriteBatch(ctx, batch(1, "lsn-2"), stateRec("src", "lsn-2")); err != nil {
		t.Fatalf("WriteBatch after restart: %v", err)
	}
	got, _, err = LoadState(ctx, w2.Client(), stateTopic, "src")
	if err != nil || string(got) != "lsn-2" {
		t.Fatalf("LoadState = %q, %v; want lsn-2", got, err)
	}
}

func TestSecondWriterFencesFirst(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()

	w1 := newWriter(t, b, "p-fence")
	if err := w1.WriteBatch(ctx, batch(1, "a"), stateRec("src", "a")); err != nil {
		t.Fatalf("w1 first batch: %v", err)
	}
	w2 := newWriter(t, b, "p-fence")

	err := w1.WriteBatch(ctx, batch(1, "zombie"), stateRec("src", "zombie"))
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("zombie WriteBatch error = %v, want ErrFenced", err)
	}
	t.Logf("fenced error: %v", err)
	if want := `another producer with transactional id "p-fence" is running`; !strings.Contains(err.Error(), want) {
		t.Fatalf("fenced error %q does not say %q", err, want)
	}
	if err := w1.WriteBatch(ctx, nil, stateRec("src", "zombie2")); !errors.Is(err, ErrFenced) {
		t.Fatalf("second zombie WriteBatch error = %v, want ErrFenced", err)
	}
	if err := w2.WriteBatch(ctx, batch(1, "b"), stateRec("src", "b")); err != nil {
		t.Fatalf("w2 WriteBatch: %v", err)
	}
	got, _, err := LoadState(ctx, w2.Client(), stateTopic, "src")
	if err != nil || string(got) != "b" {
		t.Fatalf("LoadState = %q, %v; want b", got, err)
	}
	for _, v := range values(readCommitted(t, b, changeTopic)) {
		if v == "zombie-0" {
			t.Fatal("a fenced writer's record became visible")
		}
	}
}

func TestWriteBatchRejectsBadInput(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	w := newWriter(t, b, "p-bad")
	ctx := t.Context()
	tests := []struct {
		name    string
		records []*kgo.Record
		state   *kgo.Record
	}{
		{"no state", batch(1, "x"), nil},
		{"record without topic", []*kgo.Record{{Value: []byte("v")}}, stateRec("s", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.WriteBatch(ctx, tt.records, tt.state); err == nil {
				t.Fatal("WriteBatch accepted bad input")
			}
		})
	}
	// The writer is still usable.
	if err := w.WriteBatch(ctx, batch(1, "ok"), stateRec("s", "ok")); err != nil {
		t.Fatalf("WriteBatch after rejected input: %v", err)
	}
}

func TestLoadStateMissingTopic(t *testing.T) {
	b := startBroker(t)
	_, _, err := LoadState(t.Context(), newClient(t, b), "nope.state", "k")
	if !errors.Is(err, kerr.UnknownTopicOrPartition) || !strings.Contains(err.Error(), `topic "nope.state"`) {
		t.Fatalf("LoadState on missing topic: err = %v", err)
	}
}

// Topics created by EnsureTopics are usable at once through the same
// client, although kadm caches metadata (negative answers included).
func TestEnsureThenLoadStateSameClient(t *testing.T) {
	b := startBroker(t)
	cl := newClient(t, b)
	if _, _, err := LoadState(t.Context(), cl, "fresh.state", "k"); err == nil {
		t.Fatal("LoadState on a missing topic succeeded")
	}
	if err := EnsureTopics(t.Context(), kadm.NewClient(cl), []TopicSpec{{Name: "fresh.state", Partitions: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := LoadState(t.Context(), cl, "fresh.state", "k"); err != nil || ok {
		t.Fatalf("LoadState right after EnsureTopics = ok %v, err %v", ok, err)
	}
}

// A transaction another source's producer left open on the shared state
// topic must not hide this source's later positions: LoadState waits until
// it is decided instead of returning an older position.
func TestLoadStateWaitsForAnotherProducersOpenTransaction(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	mine := newWriter(t, b, "p-mine")
	if err := mine.WriteBatch(ctx, nil, stateRec("mine", "old")); err != nil {
		t.Fatal(err)
	}
	// Another producer opens a transaction on the state topic and stalls.
	other := newClient(t, b, kgo.TransactionalID("p-other"))
	if err := other.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	half := stateRec("other", "half")
	half.Topic = stateTopic
	if err := other.ProduceSync(ctx, half).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := mine.WriteBatch(ctx, nil, stateRec("mine", "new")); err != nil {
		t.Fatal(err)
	}
	type result struct {
		v   string
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		v, _, err := LoadState(ctx, mine.Client(), stateTopic, "mine")
		done <- result{string(v), err, time.Now()}
	}()
	time.Sleep(time.Second)
	aborted := time.Now()
	if err := other.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.v != "new" {
		t.Fatalf("LoadState = %q, %v; want the latest committed position, new", r.v, r.err)
	}
	if r.at.Before(aborted) {
		t.Fatalf("LoadState returned before the open transaction was decided")
	}
	// With nothing open it does not wait.
	began := time.Now()
	if v, _, err := LoadState(ctx, mine.Client(), stateTopic, "mine"); err != nil || string(v) != "new" || time.Since(began) > 5*time.Second {
		t.Fatalf("LoadState = %q, %v after %s", v, err, time.Since(began))
	}
}

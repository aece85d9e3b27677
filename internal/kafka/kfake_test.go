package kafka

// These tests pin down what the dev broker (kfake) does for the parts of the
// exactly-once design that depend on it, so a kfake upgrade that changes
// them fails here first.

import (
	"context"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

// With kfake.DataDir the dev broker keeps topics, committed data and
// transactional state across restarts.
func TestBrokerDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	b1, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 1, kfake.DataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	setupTopics(t, b1)
	w, err := NewTxnWriter(ctx, TxnConfig{Brokers: b1.Addrs(), TransactionalID: "p-dd", StateTopic: stateTopic, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBatch(ctx, batch(2, "kept"), stateRec("src", "kept")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	b1.Close()

	b2, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 1, kfake.DataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b2.Close)
	w2 := newWriter(t, b2, "p-dd")
	got, ok, err := LoadState(ctx, w2.Client(), stateTopic, "src")
	if err != nil || !ok || string(got) != "kept" {
		t.Fatalf("LoadState after a broker restart = %q, %v, %v; want kept", got, ok, err)
	}
	if err := w2.WriteBatch(ctx, nil, stateRec("src", "next")); err != nil {
		t.Fatalf("WriteBatch after a broker restart: %v", err)
	}
}

// Consumer groups on the dev broker split a topic's partitions between
// members, as the consumer's scale-out relies on.
func TestBrokerConsumerGroupSplitsPartitions(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var (
		mu       sync.Mutex
		assigned = map[string]map[int32]bool{}
		done     = make(chan struct{})
		once     sync.Once
	)
	check := func() {
		// Done when both members own partitions and together all 3.
		all := map[int32]bool{}
		for _, ps := range assigned {
			if len(ps) == 0 {
				return
			}
			for p := range ps {
				all[p] = true
			}
		}
		if len(assigned) == 2 && len(all) == 3 {
			once.Do(func() { close(done) })
		}
	}
	member := func(name string) {
		cl := newClient(t, b,
			kgo.ConsumerGroup("g"),
			kgo.ConsumeTopics(changeTopic),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				if assigned[name] == nil {
					assigned[name] = map[int32]bool{}
				}
				for _, p := range m[changeTopic] {
					assigned[name][p] = true
				}
				check()
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				for _, p := range m[changeTopic] {
					delete(assigned[name], p)
				}
			}),
		)
		go func() {
			for ctx.Err() == nil {
				cl.PollFetches(ctx)
			}
		}()
	}
	member("a")
	member("b")
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("test ended before both members had partitions")
	}
}

// Pins kfake's compaction gap documented on Broker: a record of an open
// transaction supersedes a committed one during compaction. If this test
// starts failing, kfake fixed the gap and StartBroker may leave automatic
// compaction on.
func TestKfakeCompactionIgnoresLastStableOffset(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	w := newWriter(t, b, "p-gap")
	if err := w.WriteBatch(ctx, nil, stateRec("src", "committed")); err != nil {
		t.Fatal(err)
	}
	other := newClient(t, b, kgo.TransactionalID("p-gap-other"))
	if err := other.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := other.ProduceSync(ctx, &kgo.Record{Topic: stateTopic, Key: []byte("src"), Value: []byte("open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} { // the cleaner keeps the last batch
		if err := w.WriteBatch(ctx, nil, stateRec(k, "x")); err != nil {
			t.Fatal(err)
		}
	}
	b.Cluster().Compact()
	if err := other.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	got, ok, err := LoadState(ctx, w.Client(), stateTopic, "src")
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatalf("the committed state survived (%q): kfake's cleaner now respects the last stable offset; update the Broker doc and StartBroker", got)
	}
}

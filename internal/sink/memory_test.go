package sink

import (
	"context"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestDecodedBytesMatchesTheHeap checks the estimate gather bounds batches
// by against what decoded events really take on the heap: an estimate far
// below it would let BATCH_MAX_BYTES understate the consumer's memory.
func TestDecodedBytesMatchesTheHeap(t *testing.T) {
	row := func(i int) event.Row {
		// Fresh allocations per value, as the Avro decoder makes them.
		return event.Row{int64(i) * 1000, int64(i % 50000), fmt.Sprintf("Customer %d v1", i), fmt.Sprintf("customer%d@example.com", i),
			big.NewRat(int64(i)*137, 100), float64(i) / 7, i%3 != 0, time.Unix(int64(i), 0).UTC(), time.Unix(int64(i)*3, 0).UTC(),
			fmt.Sprintf("%08X-0000-4000-8000-%012X", uint32(i), i*7919), int64(i%1000) * 1000, strings.Repeat("note ", 1+i%20)}
	}
	for _, tc := range []struct {
		name string
		n    int
		make func(i int) *event.Event
	}{
		{"update of a mixed-type row", 2000, func(i int) *event.Event {
			return &event.Event{Op: event.OpUpdate, Before: row(i), After: row(i + 1),
				Source: event.Source{Version: strings.Clone("1.0"), Connector: strings.Clone("sqlserver"), Db: strings.Clone("benchdb")}}
		}},
		{"insert of a 100 kB value", 200, func(i int) *event.Event {
			return &event.Event{Op: event.OpCreate, After: event.Row{int64(i), strings.Repeat("x", 100_000+i%7)}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What the batch keeps on the heap, measured five times: the
			// median, since goroutines of earlier tests may still
			// allocate or free meanwhile.
			var heaps []float64
			var est float64
			for range 5 {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b := apply.Batch{Events: make([]*event.Event, 0, tc.n), From: make([]apply.Origin, 0, tc.n)}
				for i := range tc.n {
					b.Events = append(b.Events, tc.make(i))
					b.From = append(b.From, apply.Origin{Topic: "t", Offset: int64(i)})
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heaps = append(heaps, float64(after.HeapAlloc)-float64(before.HeapAlloc))
				est = float64(batchBytes(&b))
				runtime.KeepAlive(b)
			}
			slices.Sort(heaps)
			heap := heaps[2]
			if r := est / heap; r < 0.75 || r > 1.5 {
				t.Errorf("estimated %.0f bytes for %d events, they keep %.0f on the heap (ratio %.2f, want 0.75 to 1.5)", est, tc.n, heap, r)
			}
		})
	}
}

// batchRecorder is an Applier that only records the batches it is given;
// it holds no offsets, so the sink reads from the start.
type batchRecorder struct {
	Applier // nil: Rebuild is never called here
	mu      sync.Mutex
	batches []apply.Batch
}

func (r *batchRecorder) Apply(_ context.Context, b apply.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

func (r *batchRecorder) Offsets(context.Context, string, string) (map[int32]apply.StoredOffset, error) {
	return nil, nil
}

func (r *batchRecorder) events() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.batches {
		n += len(b.Events)
	}
	return n
}

// TestMaxBatchBytesBoundsRecordsAndDecodedEvents: a batch holds its records
// and the events decoded from them, and MaxBatchBytes bounds the two
// together, from the first batch on, give or take one record.
func TestMaxBatchBytesBoundsRecordsAndDecodedEvents(t *testing.T) {
	brokers := newKafka(t)
	const n, maxBytes = 600, 64 << 10
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topics[i%2], Key: fmt.Appendf(nil, "%06d", i),
			Value: fmt.Appendf(nil, "c,%d,%s,%d", 100000+i, strings.Repeat("x", 1000), i+1)})
	}
	produce(t, brokers, recs...)
	rec := &batchRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(brokers, "bytes")
	cfg.MaxBatchEvents, cfg.MaxBatchBytes = n, maxBytes
	done := start(ctx, cfg, Deps{Decoder: newDecoder(), Applier: rec, Logger: quiet})
	for deadline := time.Now().Add(time.Minute); rec.events() < n; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("sink stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("applied %d of %d events in a minute", rec.events(), n)
		}
	}
	cancel()
	<-done
	one := kgoRecordBytes + len(recs[0].Key) + len(recs[0].Value)
	largest := 0
	for i, b := range rec.batches {
		held := len(b.Events)*one + batchBytes(&b)
		largest = max(largest, held)
		// A batch closes at the first record that reaches the bound:
		// without its last record (the events are all alike) it is
		// below it.
		if last := held / len(b.Events); held-last >= maxBytes {
			t.Errorf("batch %d of %d events holds %d bytes of records and decoded events, over MaxBatchBytes %d by more than its last record (%d)", i, len(b.Events), held, maxBytes, last)
		}
	}
	if largest < maxBytes/2 {
		t.Errorf("the largest batch holds %d bytes: the bound %d is not what closes batches", largest, maxBytes)
	}
}

// TestIdleTargetDoesNotWaitOutMaxBatchWait: with nothing being applied and
// nothing more buffered, a batch is applied at once; BATCH_MAX_WAIT only
// caps how long a batch grows while the target is busy.
func TestIdleTargetDoesNotWaitOutMaxBatchWait(t *testing.T) {
	brokers := newKafka(t)
	rec := &batchRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(brokers, "idle")
	cfg.MaxBatchWait = time.Minute
	done := start(ctx, cfg, Deps{Decoder: newDecoder(), Applier: rec, Logger: quiet})
	for round := 1; round <= 3; round++ {
		produce(t, brokers, &kgo.Record{Topic: topics[0], Key: []byte("1"), Value: fmt.Appendf(nil, "c,%d,v,%d", round, round)})
		// Far below the minute a batch could wait, far above what
		// polling and decoding take on a loaded machine.
		for deadline := time.Now().Add(20 * time.Second); rec.events() < round; time.Sleep(10 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("sink stopped: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("record %d not applied within 20s (BATCH_MAX_WAIT is a minute): a batch waits although the target is idle", round)
			}
		}
	}
}

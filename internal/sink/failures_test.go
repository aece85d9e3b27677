package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/retry"
)

func TestMalformedRecordStops(t *testing.T) {
	brokers := newKafka(t)
	target, _ := newTarget(t)
	produce(t, brokers, &kgo.Record{Topic: topics[0], Partition: 0, Value: []byte("c,1,ok,1")},
		&kgo.Record{Topic: topics[0], Value: []byte("garbage")})
	err := Run(context.Background(), testConfig(brokers, "g"), Deps{Logger: quiet, Decoder: newDecoder(), Applier: target})
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("want a DecodeError, got %v", err)
	}
	if de.Topic != topics[0] || !strings.Contains(err.Error(), fmt.Sprintf("%s/%d@%d", de.Topic, de.Partition, de.Offset)) {
		t.Errorf("error does not name the record: %v", err)
	}
}

// produceTxn writes recs in one Kafka transaction, committed or aborted.
func produceTxn(t *testing.T, brokers []string, commit bool, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.TransactionalID(fmt.Sprintf("txn-%v", commit)),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

func TestAbortedTransactionsAndHeartbeatsAreNotApplied(t *testing.T) {
	brokers := newKafka(t)
	target, pool := newTarget(t)
	rec := func(v string) *kgo.Record {
		return &kgo.Record{Topic: topics[0], Partition: 0, Key: []byte("k"), Value: []byte(v)}
	}
	produceTxn(t, brokers, false, rec("c,1,aborted,1"), rec("c,2,aborted,2"))
	produceTxn(t, brokers, true, rec("c,3,committed,3"), rec("heartbeat"))
	dec := heartbeatDecoder{newDecoder()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := start(ctx, testConfig(brokers, "g"), Deps{Logger: quiet, Decoder: dec, Applier: target})
	// Offsets 0-1 aborted, 2 the abort marker, 3-4 committed, 5 the commit
	// marker: the sink never sees markers, so it stores 5 as the next offset.
	waitCaughtUp(t, target, "g", map[string]map[int32]int64{topics[0]: {0: 5}}, done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := dumpTables(t, pool); got != "A 3 committed\n" {
		t.Errorf("target holds\n%s\nwant only the committed row", got)
	}
}

// heartbeatDecoder decodes "heartbeat" to no event.
type heartbeatDecoder struct{ *fakeDecoder }

func (d heartbeatDecoder) Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error) {
	if string(value) == "heartbeat" {
		return nil, nil
	}
	return d.fakeDecoder.Decode(ctx, topic, key, value)
}

// flakyApplier fails its first Apply calls with the given error.
type flakyApplier struct {
	*apply.Applier
	mu    sync.Mutex
	fails int
	err   error
}

func (f *flakyApplier) Apply(ctx context.Context, b apply.Batch) error {
	f.mu.Lock()
	fail := f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return f.err
	}
	return f.Applier.Apply(ctx, b)
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantRun bool // Run keeps going and catches up
	}{
		{"deadlock is retried", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}, true},
		{"missing privilege stops", &pgconn.PgError{Code: "42501", Message: "permission denied"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brokers := newKafka(t)
			target, pool := newTarget(t)
			produce(t, brokers, &kgo.Record{Topic: topics[0], Partition: 0, Value: []byte("c,1,x,1")})
			cfg := testConfig(brokers, "g")
			cfg.Retry = retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Logger: quiet}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := start(ctx, cfg, Deps{Logger: quiet, Decoder: newDecoder(),
				Applier: &flakyApplier{Applier: target, fails: 2, err: fmt.Errorf("wrapped: %w", tt.err)}})
			if !tt.wantRun {
				err := <-done
				if err == nil || !strings.Contains(err.Error(), "permission denied") {
					t.Fatalf("Run returned %v, want the apply error", err)
				}
				return
			}
			waitCaughtUp(t, target, "g", endOffsets(t, brokers), done)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := dumpTables(t, pool); got != "A 1 x\n" {
				t.Errorf("target holds %q", got)
			}
		})
	}
}

func TestFetchAuthorizationErrorStops(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	target, _ := newTarget(t)
	produce(t, brokers, &kgo.Record{Topic: topics[0], Value: []byte("c,1,x,1")})
	c.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			t := kmsg.NewFetchResponseTopic()
			t.Topic, t.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				p := kmsg.NewFetchResponseTopicPartition()
				p.Partition = rp.Partition
				p.ErrorCode = kerr.TopicAuthorizationFailed.Code
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp, nil, true
	})
	err := Run(context.Background(), testConfig(brokers, "g"), Deps{Logger: quiet, Decoder: newDecoder(), Applier: target})
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("Run returned %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
}

// hangingApplier's first Apply waits until its context ends, as an attempt
// on a connection to a target that stopped answering does.
type hangingApplier struct {
	*apply.Applier
	mu   sync.Mutex
	hung int
}

func (h *hangingApplier) Apply(ctx context.Context, b apply.Batch) error {
	h.mu.Lock()
	first := h.hung == 0
	h.hung++
	h.mu.Unlock()
	if first {
		<-ctx.Done()
		return fmt.Errorf("read from the target: %w", ctx.Err())
	}
	return h.Applier.Apply(ctx, b)
}

// An attempt that outlasts ApplyTimeout is abandoned and the batch applied
// again; without a bound the consumer would wait for ever.
func TestApplyTimeoutRetriesAHungAttempt(t *testing.T) {
	brokers := newKafka(t)
	target, pool := newTarget(t)
	produce(t, brokers, &kgo.Record{Topic: topics[0], Partition: 0, Value: []byte("c,1,x,1")})
	cfg := testConfig(brokers, "g")
	cfg.ApplyTimeout = 200 * time.Millisecond
	cfg.Retry = retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Logger: quiet}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &hangingApplier{Applier: target}
	done := start(ctx, cfg, Deps{Logger: quiet, Decoder: newDecoder(), Applier: h})
	waitCaughtUp(t, target, "g", endOffsets(t, brokers), done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := dumpTables(t, pool); got != "A 1 x\n" {
		t.Errorf("target holds %q", got)
	}
	if h.hung < 2 {
		t.Errorf("%d attempts, want the hung one and another", h.hung)
	}
}

package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

// failProduce makes the next n produce requests fail with code on every
// partition.
func failProduce(b *kafkatest.Broker, code int16, n int) {
	left := n
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		if left == 0 {
			return nil, nil, false
		}
		left--
		if left > 0 {
			b.Cluster().KeepControl()
		}
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			st.TopicID = rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}

func TestWriteBatchFaults(t *testing.T) {
	tests := []struct {
		name       string
		code       int16
		failures   int
		wantIs     error // nil: the batch is written after retries
		wantUsable bool
	}{
		{"record too large is not retried", kerr.MessageTooLarge.Code, 1, ErrWriterFailed, false},
		{"invalid record is not retried", kerr.InvalidRecord.Code, 1, ErrWriterFailed, false},
		{"epoch bumped by a timeout abort: retried", kerr.InvalidProducerEpoch.Code, 1, nil, true},
		{"out of order sequence: retried", kerr.OutOfOrderSequenceNumber.Code, 2, nil, true},
		{"out of order sequence every time", kerr.OutOfOrderSequenceNumber.Code, batchAttempts, ErrRetriable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBroker(t)
			setupTopics(t, b)
			w := newWriter(t, b, "p-fault")
			ctx := t.Context()
			failProduce(b, tt.code, tt.failures)
			err := w.WriteBatch(ctx, batch(1, "x"), stateRec("s", "x"))
			if (tt.wantIs == nil) != (err == nil) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Fatalf("WriteBatch error = %v, want %v", err, tt.wantIs)
			}
			got, _, lerr := LoadState(ctx, newClient(t, b), stateTopic, "s")
			if lerr != nil || (string(got) == "x") != (err == nil) {
				t.Fatalf("LoadState = %q, %v; want x exactly when WriteBatch succeeded (err %v)", got, lerr, err)
			}
			err = w.WriteBatch(ctx, batch(1, "y"), stateRec("s", "y"))
			if usable := err == nil; usable != tt.wantUsable {
				t.Fatalf("writer usable after the fault = %v (err %v), want %v", usable, err, tt.wantUsable)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	w := &TxnWriter{cfg: TxnConfig{TransactionalID: "id"}}
	opErr := &net.OpError{Op: "dial", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		err  error
		want error // nil: neither of the three sentinels
	}{
		{"fenced", kerr.ProducerFenced, ErrFenced},
		{"fenced wrapped", errors.Join(errors.New("abort"), kerr.ProducerFenced), ErrFenced},
		{"epoch bumped by timeout", kerr.InvalidProducerEpoch, ErrRetriable},
		{"sequence out of order", kerr.OutOfOrderSequenceNumber, ErrRetriable},
		{"retriable broker error", kerr.NotEnoughReplicas, ErrRetriable},
		{"record timeout", kgo.ErrRecordTimeout, ErrRetriable},
		{"network", opErr, ErrRetriable},
		{"authorization", kerr.TransactionalIDAuthorizationFailed, ErrWriterFailed},
		{"unknown topic", kerr.UnknownTopicOrPartition, ErrWriterFailed},
		{"too large", kerr.MessageTooLarge, ErrWriterFailed},
		{"other", errors.New("boom"), ErrWriterFailed},
		{"cancelled", context.Canceled, nil},
	}
	sentinels := []error{ErrFenced, ErrRetriable, ErrWriterFailed}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.classify("op", tt.err)
			if !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v does not wrap the cause", tt.err, got)
			}
			for _, s := range sentinels {
				if is := errors.Is(got, s); is != (s == tt.want) {
					t.Errorf("classify(%v) = %v: errors.Is(%v) = %v", tt.err, got, s, is)
				}
			}
			if !strings.Contains(got.Error(), `"id"`) {
				t.Errorf("classify(%v) = %v does not name the transactional id", tt.err, got)
			}
		})
	}
}

// turnNextCommitIntoAbort makes the broker abort the next transaction the
// client commits, while answering the client as for a commit: what kgo
// 1.22.3 does by itself under load (see commitLanded).
func turnNextCommitIntoAbort(b *kafkatest.Broker) {
	b.Cluster().ControlKey(int16(kmsg.EndTxn), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.EndTxnRequest)
		if req.Commit {
			req.Commit = false
			b.Cluster().DropControl()
		}
		return nil, nil, false
	})
}

func TestWriteBatchDetectsSilentAbort(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	w := newWriter(t, b, "p-silent")
	turnNextCommitIntoAbort(b)
	if err := w.WriteBatch(ctx, batch(2, "x"), stateRec("s", "x")); err != nil {
		t.Fatalf("WriteBatch: %v (the silently aborted batch must be written again)", err)
	}
	got, _, err := LoadState(ctx, w.Client(), stateTopic, "s")
	if err != nil || string(got) != "x" {
		t.Fatalf("LoadState = %q, %v; want x", got, err)
	}
	if n := len(readCommitted(t, b, changeTopic)); n != 2 {
		t.Fatalf("committed change records = %d, want 2 (once)", n)
	}
}

func TestCommitLanded(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	for _, commit := range []bool{true, false} {
		cl := newClient(t, b, kgo.TransactionalID(fmt.Sprintf("p-landed-%v", commit)))
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		r := &kgo.Record{Topic: stateTopic, Key: []byte("k"), Value: []byte("v")}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
		got, err := commitLanded(ctx, cl, r)
		if err != nil || got != commit {
			t.Fatalf("commitLanded after EndTransaction(commit=%v) = %v, %v", commit, got, err)
		}
	}
}

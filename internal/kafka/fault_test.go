package kafka

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// failProduceOnce makes the next produce request fail with code on every
// partition.
func failProduceOnce(b *Broker, code int16) {
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
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
		wantIs     error
		wantUsable bool
	}{
		{"record too large is not retried", kerr.MessageTooLarge.Code, ErrWriterFailed, false},
		{"epoch bumped by a timeout abort", kerr.InvalidProducerEpoch.Code, ErrRetriable, true},
		{"invalid record is not retried", kerr.InvalidRecord.Code, ErrWriterFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBroker(t)
			setupTopics(t, b)
			w := newWriter(t, b, "p-fault")
			ctx := t.Context()
			failProduceOnce(b, tt.code)
			err := w.WriteBatch(ctx, batch(1, "x"), stateRec("s", "x"))
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("WriteBatch error = %v, want %v", err, tt.wantIs)
			}
			err = w.WriteBatch(ctx, batch(1, "y"), stateRec("s", "y"))
			if usable := err == nil; usable != tt.wantUsable {
				t.Fatalf("writer usable after the fault = %v (err %v), want %v", usable, err, tt.wantUsable)
			}
			// Nothing of the failed batch is visible.
			got, _, err := LoadState(ctx, newClient(t, b), stateTopic, "s")
			if err != nil || string(got) == "x" {
				t.Fatalf("LoadState = %q, %v; the failed batch leaked", got, err)
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

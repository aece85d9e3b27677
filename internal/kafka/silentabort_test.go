package kafka

import (
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKgoCommitCanEndInAbort shows the franz-go behaviour that
// checkCommitted works around (see commitLanded): asked to commit, kgo's
// EndTransaction sends the broker an abort and returns nil when no
// partition of the transaction is marked added client-side although
// records were produced in it (franz-go v1.22.3, pkg/kgo/txn.go,
// EndTransaction: "no produce succeeded in this transaction but produces
// were attempted; issuing an abort"; the mark is set only when a Produce
// v12+ response for the partition is handled, sink.go). Here the
// transaction's one produce fails at the broker, which makes the case
// deterministic; under load kgo has been seen to take the same branch
// although a produce succeeded. When this test fails, kgo no longer turns a
// commit into an abort silently: the read-back in checkCommitted can go.
func TestKgoCommitCanEndInAbort(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	ctx := t.Context()
	cl := newClient(t, b, kgo.TransactionalID("p-kgo-abort"), kgo.RecordRetries(1))
	c := b.Cluster()
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.InvalidRecord.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	var (
		mu      sync.Mutex
		endTxns []bool // Commit of each EndTxn request the broker got
	)
	c.ControlKey(int16(kmsg.EndTxn), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		endTxns = append(endTxns, kreq.(*kmsg.EndTxnRequest).Commit)
		mu.Unlock()
		c.KeepControl()
		return nil, nil, false
	})
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: changeTopic, Value: []byte("v")}).FirstErr(); err == nil {
		t.Fatal("the produce the broker refused succeeded")
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("EndTransaction(TryCommit) = %v; kgo now reports the commit it did not make: keep checkCommitted, but the reason in commitLanded's comment changed", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(endTxns) != 1 || endTxns[0] {
		t.Fatalf("EndTxn requests (commit?) = %v; want one abort for the commit asked: kgo no longer aborts silently, the read-back in checkCommitted can go", endTxns)
	}
}

package kafka

import (
	"context"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

// quietLog discards logs in tests.
var quietLog = slog.New(slog.DiscardHandler)

func startBroker(t *testing.T) *kafkatest.Broker {
	t.Helper()
	// Not t.Context(): it ends before the cleanups that close clients run.
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 3)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

func newClient(t *testing.T, b *kafkatest.Broker, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(ClientOpts(b.Addrs(), extra...)...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func mustEnsure(t *testing.T, b *kafkatest.Broker, specs ...TopicSpec) {
	t.Helper()
	if err := EnsureTopics(t.Context(), kadm.NewClient(newClient(t, b)), specs); err != nil {
		t.Fatalf("ensure topics: %v", err)
	}
}

// readCommitted reads every committed record of topic with a
// read_committed consumer, up to the topic's last stable offsets.
func readCommitted(t *testing.T, b *kafkatest.Broker, topic string) []*kgo.Record {
	t.Helper()
	ctx := t.Context()
	adm := kadm.NewClient(newClient(t, b))
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list committed offsets: %v", err)
	}
	cl := newClient(t, b,
		kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.KeepControlRecords(),
	)
	var out []*kgo.Record
	pending := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			pending[o.Partition] = o.Offset
		}
	})
	for len(pending) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := pending[r.Partition]; ok && r.Offset >= end-1 {
				delete(pending, r.Partition)
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
	return out
}

func values(rs []*kgo.Record) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, string(r.Value))
	}
	return out
}

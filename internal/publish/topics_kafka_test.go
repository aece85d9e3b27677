package publish

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

func startClient(t *testing.T) *kgo.Client {
	t.Helper()
	b, err := kafkatest.StartBroker(t.Context(), "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cl, err := kgo.NewClient(kafka.ClientOpts(b.Addrs())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestTopicsCreateAndAdd: the state topic and each table's topic are made
// with the settings; a table that joins later gets its topic, unless the
// topic would be another table's.
func TestTopicsCreateAndAdd(t *testing.T) {
	ctx := t.Context()
	adm := kadm.NewClient(startClient(t))
	tbl := func(name string) *catalog.Table { return &catalog.Table{Database: "shop", Schema: "dbo", Name: name} }
	topics := NewTopics(adm, TopicSettings{Prefix: "p", StateTopic: "p_state", Partitions: 2, Replication: -1, Cleanup: "delete", MaxMessageBytes: 2 << 20})
	if err := topics.Create(ctx, []*catalog.Table{tbl("a"), tbl("b")}); err != nil {
		t.Fatal(err)
	}
	if err := topics.Add(ctx, tbl("c")); err != nil {
		t.Fatal(err)
	}
	if err := topics.Add(ctx, tbl("a")); err == nil || !strings.Contains(err.Error(), "would both write to Kafka topic p.shop.dbo.a") {
		t.Fatalf("Add of a table whose topic is taken: %v", err)
	}
	details, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"p_state": 1, "p.shop.dbo.a": 2, "p.shop.dbo.b": 2, "p.shop.dbo.c": 2}
	for name, partitions := range want {
		if d, ok := details[name]; !ok || len(d.Partitions) != partitions {
			t.Errorf("topic %s: %d partitions (exists: %v), want %d", name, len(d.Partitions), ok, partitions)
		}
	}
	configs, err := adm.DescribeTopicConfigs(ctx, "p_state", "p.shop.dbo.c")
	if err != nil {
		t.Fatal(err)
	}
	wantConfigs := map[string]map[string]string{
		"p_state":      {"cleanup.policy": "compact"},
		"p.shop.dbo.c": {"cleanup.policy": "delete", "max.message.bytes": "2097152"},
	}
	for _, rc := range configs {
		for k, v := range wantConfigs[rc.Name] {
			found := false
			for _, c := range rc.Configs {
				found = found || c.Key == k && c.Value != nil && *c.Value == v
			}
			if !found {
				t.Errorf("topic %s: %s is not %s: %+v", rc.Name, k, v, rc.Configs)
			}
		}
	}
}

// TestLoadPositionReadsWhatPublishWrote: a position published with a batch
// is the one read back at start; no state record is the zero position.
func TestLoadPositionReadsWhatPublishWrote(t *testing.T) {
	ctx := t.Context()
	cl := startClient(t)
	if err := NewTopics(kadm.NewClient(cl), TopicSettings{Prefix: "p", StateTopic: "state", Partitions: 1, Replication: -1, Cleanup: "compact", MaxMessageBytes: 1 << 20}).Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	key := StateKey("p", "shop")
	pos, err := LoadPosition(ctx, cl, "state", key, slog.Default())
	if err != nil || !pos.ResumeLSN().IsZero() {
		t.Fatalf("before any batch: %v, %v; want the zero position", pos, err)
	}
	w, err := kafka.NewTxnWriter(ctx, kafka.TxnConfig{Brokers: cl.OptValue(kgo.SeedBrokers).([]string), TransactionalID: "t", StateTopic: "state"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var want source.Position
	want.Stream.CommitLSN = lsn.LSN{0, 0, 0, 42, 0, 0, 1, 0x10, 0, 3}
	if err := New(Config{TopicPrefix: "p", StateTopic: "state", StateKey: key}, fakeEnc{}, w, nil, slog.Default()).Publish(ctx, nil, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPosition(ctx, cl, "state", key, slog.Default())
	if err != nil || got.Stream.CommitLSN.IsZero() || got.Stream.CommitLSN != want.Stream.CommitLSN {
		t.Fatalf("LoadPosition = %v, %v; want %v", got, err, want)
	}
}

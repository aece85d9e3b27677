package registry

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

func startBroker(t *testing.T) []string {
	t.Helper()
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addrs()
}

// A registry restarted on the same topic serves the same ids, versions and
// configs, and keeps allocating ids after the highest one.
func TestRestartKeepsSchemas(t *testing.T) {
	brokers := startBroker(t)
	ctx := t.Context()

	reg1, cl1 := startRegistry(t, Config{Brokers: brokers})
	idV1 := mustRegister(t, cl1, "orders-value", orderV1)
	idKey := mustRegister(t, cl1, "orders-key", orderKey)
	idV2 := mustRegister(t, cl1, "orders-value", orderV2)
	if r := cl1.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "orders-value"); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if err := cl1.DeleteSchema(ctx, "orders-key", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if err := reg1.Close(); err != nil {
		t.Fatal(err)
	}

	_, cl2 := startRegistry(t, Config{Brokers: brokers})
	for id, want := range map[int]string{idV1: orderV1, idKey: orderKey, idV2: orderV2} {
		s, err := cl2.SchemaByID(ctx, id)
		if err != nil {
			t.Fatalf("after restart, SchemaByID(%d): %v", id, err)
		}
		if got, _ := normaliseJSON([]byte(s.Schema)); got != mustCanon(t, want) {
			t.Fatalf("after restart, id %d = %s", id, s.Schema)
		}
	}
	if vs, err := cl2.SubjectVersions(ctx, "orders-value"); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("after restart, versions = %v, %v", vs, err)
	}
	if subjects, err := cl2.Subjects(ctx); err != nil || !slices.Equal(subjects, []string{"orders-value"}) {
		t.Fatalf("after restart, subjects = %v, %v (orders-key was soft-deleted)", subjects, err)
	}
	if r := cl2.Compatibility(ctx, "orders-value"); r[0].Err != nil || r[0].Level != sr.CompatFull {
		t.Fatalf("after restart, level = %v, %v; want FULL", r[0].Level, r[0].Err)
	}
	if again := mustRegister(t, cl2, "orders-value", orderV2); again != idV2 {
		t.Fatalf("re-registering after restart: id %d, want %d", again, idV2)
	}
	next := mustRegister(t, cl2, "other-value", orderRequiredCol)
	if next <= max(idV1, idKey, idV2) {
		t.Fatalf("new id %d reuses an old one", next)
	}

	// The topic is as Confluent's: one partition, compacted.
	admCl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	details, err := adm.ListTopics(ctx, DefaultTopic)
	if err != nil || len(details[DefaultTopic].Partitions) != 1 {
		t.Fatalf("%s: %v partitions, err %v", DefaultTopic, len(details[DefaultTopic].Partitions), err)
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfgs.On(DefaultTopic, nil)
	if err != nil {
		t.Fatal(err)
	}
	var policy string
	for _, kv := range c.Configs {
		if kv.Key == kafka.ConfigCleanupPolicy && kv.Value != nil {
			policy = *kv.Value
		}
	}
	if policy != kafka.Compacted {
		t.Fatalf("%s cleanup.policy = %q, want compact", DefaultTopic, policy)
	}
}

// Compaction must not lose what the registry needs.
func TestRestartAfterCompaction(t *testing.T) {
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ctx := t.Context()
	reg1, cl1 := startRegistry(t, Config{Brokers: b.Addrs()})
	id := mustRegister(t, cl1, "s-value", orderV1)
	if err := cl1.DeleteSchema(ctx, "s-value", 1, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	id2 := mustRegister(t, cl1, "s-value", orderV2)
	if err := reg1.Close(); err != nil {
		t.Fatal(err)
	}
	b.Cluster().Compact()

	_, cl2 := startRegistry(t, Config{Brokers: b.Addrs()})
	if vs, err := cl2.SubjectVersions(ctx, "s-value"); err != nil || !slices.Equal(vs, []int{2}) {
		t.Fatalf("versions after compaction = %v, %v; want [2]", vs, err)
	}
	if _, err := cl2.SchemaByID(ctx, id); err != nil {
		t.Fatalf("soft-deleted id %d lost after compaction: %v", id, err)
	}
	if got := mustRegister(t, cl2, "s-value", orderV2); got != id2 {
		t.Fatalf("id after compaction %d, want %d", got, id2)
	}
}

func TestNewUnreachableKafka(t *testing.T) {
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	addrs := b.Addrs()
	b.Close()
	if _, err := New(t.Context(), Config{Brokers: addrs}); err == nil {
		t.Fatal("New succeeded without a broker")
	}
}

package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
)

func strp(s string) *string { return &s }

func TestEnsureTopics(t *testing.T) {
	b := startBroker(t)
	ctx := t.Context()
	adm := kadm.NewClient(newClient(t, b))

	specs := []TopicSpec{
		{Name: "db.dbo.a", Partitions: 3},
		{Name: "db.dbo.b", Partitions: 2, Configs: map[string]*string{"retention.ms": strp("3600000")}},
		{Name: "heartbeat", Partitions: 1, Configs: map[string]*string{ConfigCleanupPolicy: strp("delete")}},
		{Name: "broker-default"},
	}
	mism, err := EnsureTopicsReport(ctx, adm, specs)
	if err != nil || len(mism) != 0 {
		t.Fatalf("EnsureTopicsReport = %v, %v", mism, err)
	}
	details, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantParts := map[string]int{"db.dbo.a": 3, "db.dbo.b": 2, "heartbeat": 1, "broker-default": 3}
	for name, want := range wantParts {
		if got := len(details[name].Partitions); got != want {
			t.Errorf("%s has %d partitions, want %d", name, got, want)
		}
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, "db.dbo.a", "db.dbo.b", "heartbeat")
	if err != nil {
		t.Fatal(err)
	}
	wantCfg := map[string]map[string]string{
		"db.dbo.a":  {ConfigCleanupPolicy: "compact"},
		"db.dbo.b":  {ConfigCleanupPolicy: "compact", "retention.ms": "3600000"},
		"heartbeat": {ConfigCleanupPolicy: "delete"},
	}
	for _, rc := range cfgs {
		for k, want := range wantCfg[rc.Name] {
			var got string
			for _, c := range rc.Configs {
				if c.Key == k && c.Value != nil {
					got = *c.Value
				}
			}
			if got != want {
				t.Errorf("%s %s = %q, want %q", rc.Name, k, got, want)
			}
		}
	}

	// Second run: nothing to create, mismatches reported, topics untouched.
	specs[0].Partitions = 6
	mism, err = EnsureTopicsReport(ctx, adm, specs)
	if err != nil {
		t.Fatalf("second EnsureTopicsReport: %v", err)
	}
	if len(mism) != 1 || mism[0] != (PartitionMismatch{Topic: "db.dbo.a", Have: 3, Want: 6}) {
		t.Fatalf("mismatches = %+v", mism)
	}
	if err := EnsureTopics(ctx, adm, specs); err != nil {
		t.Fatalf("EnsureTopics with a mismatch must not fail: %v", err)
	}
}

func TestEnsureTopicsErrors(t *testing.T) {
	b := startBroker(t)
	adm := kadm.NewClient(newClient(t, b))
	tests := []struct {
		name  string
		specs []TopicSpec
		want  string
	}{
		{"no name", []TopicSpec{{Partitions: 1}}, "has no name"},
		{"duplicate", []TopicSpec{{Name: "x"}, {Name: "x"}}, `"x" is listed twice`},
		{"replication factor above broker count", []TopicSpec{{Name: "rf", ReplicationFactor: 3}}, `topic "rf" with replication factor 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := EnsureTopics(t.Context(), adm, tt.specs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("EnsureTopics error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPingUnreachable(t *testing.T) {
	// A port nobody listens on: bind one, then close it.
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	b.Close()
	cl, err := kgo.NewClient(ClientOpts([]string{addr})...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// The deadline only guards against a hang; the dial fails at once.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = Ping(ctx, cl)
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("Ping error = %v, want one naming %s and what to check", err, addr)
	}
}

func TestPingReachable(t *testing.T) {
	b := startBroker(t)
	if err := Ping(t.Context(), newClient(t, b)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestBrokerStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Addrs()) != 1 {
		t.Fatalf("Addrs = %v, want one address", b.Addrs())
	}
	cancel()
	b.Close() // after the context closed it: must not panic
	b.Close()
}

func TestStartBrokerBadAddress(t *testing.T) {
	if _, err := kafkatest.StartBroker(t.Context(), "nonsense", 1); err == nil {
		t.Fatal("StartBroker accepted an address without a port")
	}
	b := startBroker(t)
	if _, err := kafkatest.StartBroker(t.Context(), b.Addrs()[0], 1); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Fatalf("second broker on a used port: err = %v", err)
	}
}

func TestBackoffBounded(t *testing.T) {
	for tries := 1; tries < 50; tries++ {
		if d := backoff(tries); d < 50*time.Millisecond || d > 3*time.Second {
			t.Fatalf("backoff(%d) = %v, outside [50ms, 3s]", tries, d)
		}
	}
}

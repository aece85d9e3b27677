package sink

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const prefix = "src"

var quiet = slog.New(slog.DiscardHandler)

var topics = []string{prefix + ".db.dbo.A", prefix + ".db.dbo.B"}

// fakeDecoder reads values "op,id,name,lsn" of a two-column table named by
// the topic's last part; a value "bad" is malformed.
type fakeDecoder struct {
	mu     sync.Mutex
	tables map[string]*catalog.Table
}

func (d *fakeDecoder) Decode(_ context.Context, topic string, _, value []byte) (*event.Event, error) {
	f := strings.Split(string(value), ",")
	if len(f) != 4 {
		return nil, fmt.Errorf("want op,id,name,lsn, got %q", value)
	}
	id, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(f[3], 10, 32)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	name := topic[strings.LastIndexByte(topic, '.')+1:]
	t := d.tables[name]
	if t == nil {
		t = &catalog.Table{Database: "db", Schema: "dbo", Name: name, PrimaryKey: []string{"Id"}, Columns: []catalog.Column{
			{Name: "Id", Ordinal: 1, Type: "bigint"}, {Name: "Name", Ordinal: 2, Type: "varchar", Length: 20, Nullable: true}}}
		d.tables[name] = t
	}
	d.mu.Unlock()
	var l lsn.LSN
	binary.BigEndian.PutUint32(l[6:], uint32(n))
	e := &event.Event{Table: t, Op: event.Op(f[0][0]), Source: event.Source{CommitLSN: l, ChangeLSN: l}}
	r := event.Row{id, f[2]}
	if e.Op == event.OpDelete {
		e.Before = r
	} else {
		e.After = r
	}
	return e, nil
}

func newDecoder() *fakeDecoder { return &fakeDecoder{tables: map[string]*catalog.Table{}} }

// countingApplier records which partitions and offsets it applied.
type countingApplier struct {
	*apply.Applier
	mu      sync.Mutex
	applied []apply.Origin
	after   func() // called after each successful Apply
}

func (c *countingApplier) Apply(ctx context.Context, b apply.Batch) error {
	if err := c.Applier.Apply(ctx, b); err != nil {
		return err
	}
	c.mu.Lock()
	c.applied = append(c.applied, b.From...)
	c.mu.Unlock()
	if c.after != nil {
		c.after()
	}
	return nil
}

func (c *countingApplier) origins() []apply.Origin {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]apply.Origin(nil), c.applied...)
}

func newTarget(t *testing.T) (*apply.Applier, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, err := apply.New(context.Background(), pool, apply.Config{Dialect: "postgres", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return a, pool
}

func newKafka(t *testing.T) []string { return newCluster(t).ListenAddrs() }

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, append(topics, "_schemas", prefix+"._state")...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func produce(t *testing.T, brokers []string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// workload is inserts, updates and deletes over 40 keys in both topics,
// plus records of internal topics the sink must not read.
func workload() []*kgo.Record {
	var recs []*kgo.Record
	n := 0
	add := func(topic, op string, id int, name string) {
		n++
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(id)), Value: fmt.Appendf(nil, "%s,%d,%s,%d", op, id, name, n)})
	}
	for _, tp := range topics {
		for id := range 40 {
			add(tp, "c", id, "v1")
		}
		for id := 0; id < 40; id += 3 {
			add(tp, "u", id, "v2")
		}
		for id := 0; id < 40; id += 5 {
			add(tp, "d", id, "")
			recs = append(recs, &kgo.Record{Topic: tp, Key: []byte(strconv.Itoa(id))}) // tombstone
		}
	}
	recs = append(recs, &kgo.Record{Topic: "_schemas", Value: []byte("not an event")},
		&kgo.Record{Topic: prefix + "._state", Value: []byte("not an event")})
	return recs
}

func testConfig(brokers []string, group string) Config {
	return Config{Brokers: brokers, Group: group, TopicPrefix: prefix, MaxBatchEvents: 25, MaxBatchWait: 20 * time.Millisecond,
		ClientOpts: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond), kgo.HeartbeatInterval(100 * time.Millisecond)}}
}

// endOffsets are the high watermarks of the change topics.
func endOffsets(t *testing.T, brokers []string) map[string]map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topics...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	return out
}

// waitCaughtUp waits until the target holds the end offsets of every
// partition, or the run ends.
func waitCaughtUp(t *testing.T, a *apply.Applier, group string, ends map[string]map[int32]int64, done <-chan error) {
	t.Helper()
	for {
		ok := true
		for topic, parts := range ends {
			got, err := a.Offsets(context.Background(), group, topic)
			if err != nil {
				t.Fatal(err)
			}
			for p, end := range parts {
				if end > 0 && got[p].Next != end {
					ok = false
				}
			}
		}
		if ok {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("sink stopped before catching up: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if os.Getenv("DEBUG_SINK") != "" {
			for topic := range ends {
				got, _ := a.Offsets(context.Background(), group, topic)
				t.Logf("%s: %v want %v", topic, got, ends[topic])
			}
		}
	}
}

func dumpTables(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sb strings.Builder
	for _, tbl := range []string{"A", "B"} {
		var exists bool
		if err := pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, `dbo."`+tbl+`"`).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			continue
		}
		rows, err := pool.Query(context.Background(), fmt.Sprintf(`SELECT "Id", "Name" FROM dbo.%q ORDER BY 1`, tbl))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sb, "%s %d %s\n", tbl, id, name)
		}
		rows.Close()
	}
	return sb.String()
}

func start(ctx context.Context, cfg Config, d Deps) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, d) }()
	return done
}

func TestTwoInstancesSplitPartitionsAndMatchOne(t *testing.T) {
	brokers := newKafka(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Two instances of group "pair" on one target; they join before the
	// data arrives so that both get partitions.
	pairTarget, pairPool := newTarget(t)
	inst := []*countingApplier{{Applier: pairTarget}, {Applier: pairTarget}}
	var dones []<-chan error
	for _, a := range inst {
		dones = append(dones, start(ctx, testConfig(brokers, "pair"), Deps{Logger: quiet, Decoder: newDecoder(), Applier: a}))
	}
	waitMembers(t, brokers, "pair", 2)

	produce(t, brokers, workload()...)
	ends := endOffsets(t, brokers)
	waitCaughtUp(t, pairTarget, "pair", ends, dones[0])

	soloTarget, soloPool := newTarget(t)
	soloDone := start(ctx, testConfig(brokers, "solo"), Deps{Logger: quiet, Decoder: newDecoder(), Applier: soloTarget})
	waitCaughtUp(t, soloTarget, "solo", ends, soloDone)

	pair, solo := dumpTables(t, pairPool), dumpTables(t, soloPool)
	if pair != solo {
		t.Errorf("two instances produced\n%s\none produced\n%s", pair, solo)
	}
	if !strings.Contains(solo, "A 1 v1") || !strings.Contains(solo, "B 3 v2") || strings.Contains(solo, "A 5 ") {
		t.Errorf("unexpected final table:\n%s", solo)
	}
	seen := make([]map[string]bool, 2)
	for i, a := range inst {
		seen[i] = map[string]bool{}
		for _, o := range a.origins() {
			seen[i][fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = true
		}
		if len(seen[i]) == 0 {
			t.Errorf("instance %d applied nothing", i)
		}
	}
	for tp := range seen[0] {
		if seen[1][tp] {
			t.Errorf("both instances applied partition %s", tp)
		}
	}
	cancel()
	for _, d := range append(dones, soloDone) {
		if err := <-d; err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	}
}

func waitMembers(t *testing.T, brokers []string, group string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		gs, err := adm.DescribeGroups(context.Background(), group)
		if err == nil {
			g := gs[group]
			if g.State == "Stable" && len(g.Members) == n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKilledAfterTargetCommitReappliesNothing(t *testing.T) {
	brokers := newKafka(t)
	target, pool := newTarget(t)
	produce(t, brokers, workload()...)
	ends := endOffsets(t, brokers)

	// The first instance "dies" right after its first target commit: the
	// context ends, so the Kafka commit that follows never happens.
	ctx1, kill := context.WithCancel(context.Background())
	first := &countingApplier{Applier: target, after: kill}
	cfg := testConfig(brokers, "g")
	cfg.MaxBatchEvents = 30
	m := NewMetrics(prometheus.NewRegistry())
	if err := Run(ctx1, cfg, Deps{Logger: quiet, Decoder: newDecoder(), Applier: first, Metrics: m}); err != nil {
		t.Fatal(err)
	}
	applied := first.origins()
	if len(applied) == 0 {
		t.Fatal("first instance applied nothing")
	}
	if n := counterValue(t, m.batches); n != 1 {
		t.Errorf("batches metric = %v, want 1", n)
	}
	if n := counterValue(t, m.events); int(n) != len(applied) {
		t.Errorf("events metric = %v, want %d", n, len(applied))
	}
	committed := kafkaCommits(t, brokers, "g")
	if len(committed) != 0 {
		t.Fatalf("Kafka has commits %v; the test needs a kill before the Kafka commit", committed)
	}
	firstRows := dumpTables(t, pool)

	// The second instance must resume from the target's offsets.
	ctx2, stop := context.WithCancel(context.Background())
	defer stop()
	second := &countingApplier{Applier: target}
	done := start(ctx2, testConfig(brokers, "g"), Deps{Logger: quiet, Decoder: newDecoder(), Applier: second})
	waitCaughtUp(t, target, "g", ends, done)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	again := map[apply.Origin]bool{}
	for _, o := range applied {
		again[o] = true
	}
	for _, o := range second.origins() {
		if again[o] {
			t.Errorf("record %s/%d@%d applied twice", o.Topic, o.Partition, o.Offset)
		}
	}
	if len(second.origins())+len(applied) != countEvents(workload()) {
		t.Errorf("applied %d + %d events, want %d", len(applied), len(second.origins()), countEvents(workload()))
	}
	if firstRows == dumpTables(t, pool) {
		t.Error("the second instance changed nothing")
	}
}

func countEvents(recs []*kgo.Record) int {
	n := 0
	for _, r := range recs {
		if len(r.Value) > 0 && strings.HasPrefix(r.Topic, prefix+".db.") {
			n++
		}
	}
	return n
}

func kafkaCommits(t *testing.T, brokers []string, group string) map[string]map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			if out[o.Topic] == nil {
				out[o.Topic] = map[int32]int64{}
			}
			out[o.Topic][o.Partition] = o.At
		}
	})
	return out
}

func TestTopicPattern(t *testing.T) {
	tests := []struct {
		topic string
		want  bool
	}{
		{"src.db.dbo.A", true}, {"src._state", false}, {"_schemas", false}, {"srcx.db.dbo.A", false}, {"other.src.db", false},
	}
	for _, tt := range tests {
		re := regexpMust(TopicPattern("src"))
		if got := re.MatchString(tt.topic); got != tt.want {
			t.Errorf("TopicPattern matches %q = %v, want %v", tt.topic, got, tt.want)
		}
	}
}

func regexpMust(s string) interface{ MatchString(string) bool } { return regexp.MustCompile(s) }

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

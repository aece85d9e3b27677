package e2e

// Stale bookkeeping: offsets and tables that belong to another incarnation
// of a topic, another Kafka cluster, another life of the source database or
// another source are detected and never applied over; STALE_POSITION and
// STALE_STATE are the documented ways on.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/mssql2adb/mssql2adb/internal/devstack"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/registry"
)

const staleWithin = 2 * time.Minute

// changeTopics lists the test's change topics.
func (e *env) changeTopics(ctx context.Context, adm *kadm.Client) []string {
	e.t.Helper()
	all, err := adm.ListTopics(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, t := range all.Names() {
		if strings.HasPrefix(t, e.name+".") {
			out = append(out, t)
		}
	}
	return out
}

func deleteTopics(t *testing.T, adm *kadm.Client, topics ...string) {
	t.Helper()
	resp, err := adm.DeleteTopics(context.Background(), topics...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("delete topics %v: %v", topics, err)
	}
}

// stops waits for p to exit with an error whose log says every one of want.
func stops(t *testing.T, p *process, want ...string) string {
	t.Helper()
	out, err := p.wait(t, staleWithin)
	if err == nil {
		t.Fatalf("%s exited without an error; log:\n%s", p.name, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("%s stopped without saying %q; log:\n%s", p.name, w, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, want[0]) {
			t.Logf("%s stopped: %s", p.name, l)
			break
		}
	}
	return out
}

// unchanged fails unless the target's rows are still before.
func (e *env) unchanged(before string) {
	e.t.Helper()
	if got, _ := dumpTarget(e.t, e.target); got != before {
		e.t.Fatalf("the target changed although nothing may be applied over stale state:\n%s", diffLines(before, got))
	}
}

func TestTopicsRecreatedUnderRunningConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	state := e.chaosStateTopic()
	e.createSampleTables()
	e.seed(1, 150)
	prod := e.start(shared.producerBin, "producer", e.producerVars("STATE_TOPIC="+state))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	before, _ := dumpTarget(t, e.target)

	// An operator starts over: the change topics and the producer's state
	// are deleted, the source moves on, and a producer snapshots again into
	// new topics of the same names, with fewer records than were applied.
	adm := kadm.NewClient(kafkaClient(t))
	deleteTopics(t, adm, append(e.changeTopics(ctx, adm), state)...)
	e.exec("DELETE FROM dbo.customer WHERE id > 60", "DELETE FROM dbo.Student WHERE id > 60", "DELETE FROM dbo.enrolment WHERE student_id > 60")
	e.changes(20)
	prod = e.start(shared.producerBin, "producer-2", e.producerVars("STATE_TOPIC="+state))
	stops(t, cons, "do not belong to that topic as it is now", "STALE_STATE=rebuild")
	e.unchanged(before)

	rebuild := e.start(shared.consumerBin, "consumer-rebuild", e.consumerVars("STALE_STATE=rebuild"))
	e.converge(convergeWithin, prod, rebuild)
	rebuild.waitLog(t, "rebuilt target tables from the topic in one transaction", time.Minute)
	e.changes(40)
	e.converge(convergeWithin, prod, rebuild)
}

func TestConsumerPointedAtAnotherKafkaCluster(t *testing.T) {
	t.Parallel()
	if shared.broker == nil {
		t.Skip("KAFKA_BROKERS is set: this test starts a second, embedded cluster")
	}
	e := newEnv(t)
	ctx := context.Background()
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	cons.kill(syscall.SIGTERM)
	before, _ := dumpTarget(t, e.target)

	// A new cluster with the same topic names, and its own registry.
	b2, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b2.Close)
	reg2, err := registry.New(ctx, registry.Config{Brokers: b2.Addrs(), Topic: devstack.RegistryTopic})
	if err == nil {
		err = reg2.Start(ctx, "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg2.Close() })
	moved := []string{"KAFKA_BROKERS=" + strings.Join(b2.Addrs(), ","), "SCHEMA_REGISTRY_URL=http://" + reg2.Addr()}
	e.exec("DELETE FROM dbo.customer WHERE id > 50")
	e.changes(30)
	prod = e.start(shared.producerBin, "producer-new-cluster", append(e.producerVars(), moved...))
	cons = e.start(shared.consumerBin, "consumer-new-cluster", append(e.consumerVars(), moved...))
	stops(t, cons, "do not belong to that topic as it is now", "STALE_STATE=rebuild")
	e.unchanged(before)

	rebuild := e.start(shared.consumerBin, "consumer-rebuild", append(e.consumerVars("STALE_STATE=rebuild"), moved...))
	e.converge(convergeWithin, prod, rebuild)
}

func TestSourceDatabaseRecreatedUnderRunningProducer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
	before, _ := dumpTarget(t, e.target)

	// The database is dropped and created again with the same tables and
	// other rows under the same keys; its LSNs start over.
	master, err := sql.Open("sqlserver", mustDSN(t, shared.mssqlDSN, "master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	e.src.Close()
	for _, q := range []string{"DROP DATABASE " + e.name, "CREATE DATABASE " + e.name, "ALTER DATABASE " + e.name + " SET ALLOW_SNAPSHOT_ISOLATION ON"} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if e.src, err = sql.Open("sqlserver", e.srcDSN); err != nil {
		t.Fatal(err)
	}
	e.createSampleTables()
	e.seed(1, 60)
	e.exec("UPDATE dbo.customer SET name = N'second life ' + CAST(id AS nvarchar(10))")
	stops(t, prod, "another life of the source database", "dropped and recreated", "STALE_POSITION=resnapshot")
	e.unchanged(before)

	// The documented way on for the producer: a new snapshot. The consumer
	// then finds rows of the new life for tables holding the old one's.
	prod = e.start(shared.producerBin, "producer-resnapshot", e.producerVars("STALE_POSITION=resnapshot"))
	prod.waitLog(t, "taking a new snapshot of every table", time.Minute)
	stops(t, cons, "now carries rows of", "STALE_STATE=rebuild")
	e.unchanged(before)

	rebuild := e.start(shared.consumerBin, "consumer-rebuild", e.consumerVars("STALE_STATE=rebuild"))
	e.converge(convergeWithin, prod, rebuild)
	e.changes(30)
	e.converge(convergeWithin, prod, rebuild)
}

func TestSameNamedTablesOfTwoSourcesAreNeverMerged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other := e.name + "_b"
	master, err := sql.Open("sqlserver", mustDSN(t, shared.mssqlDSN, "master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if _, err := master.ExecContext(ctx, "CREATE DATABASE "+other); err != nil {
		t.Fatal(err)
	}
	otherDSN := mustDSN(t, shared.mssqlDSN, other)
	var cons *process
	for i, dsn := range []string{e.srcDSN, otherDSN} {
		db, err := sql.Open("sqlserver", dsn)
		if err != nil {
			t.Fatal(err)
		}
		var values []string
		for id := 1; id <= 10; id++ {
			values = append(values, fmt.Sprintf("(%d, N'from db%d %d')", id, i+1, id))
		}
		for _, q := range []string{
			"CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY, v nvarchar(40) NOT NULL)",
			"INSERT INTO dbo.t (id, v) VALUES " + strings.Join(values, ", "),
			"EXEC sys.sp_cdc_enable_db",
			"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N't', @role_name = NULL",
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db.Close()
		e.start(shared.producerBin, fmt.Sprintf("producer-db%d", i+1), append(e.producerVars(), "MSSQL_DSN="+dsn))
		if i == 0 {
			// One consumer with default settings reads both databases'
			// topics, which both map to dbo.t; the first has landed when
			// the second starts.
			cons = e.start(shared.consumerBin, "consumer", e.consumerVars())
			e.converge(convergeWithin, cons)
		}
	}
	stops(t, cons, "carries rows of another source table", "for the same target table")
	rowsOf := func() string {
		var got string
		if err := e.target.QueryRow(ctx, `SELECT count(*) || ' rows, ' || string_agg(DISTINCT split_part(v, ' ', 2), ',') FROM dbo.t`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := rowsOf(); got != "10 rows, db1" {
		t.Fatalf("dbo.t holds %s; want the 10 rows of db1 only", got)
	}
	// Rebuilding is no way to let one source replace another's rows.
	again := e.start(shared.consumerBin, "consumer-rebuild", e.consumerVars("STALE_STATE=rebuild"))
	stops(t, again, "carries rows of another source table")
	if got := rowsOf(); got != "10 rows, db1" {
		t.Fatalf("after STALE_STATE=rebuild dbo.t holds %s; want the 10 rows of db1 only", got)
	}
}

func dsnDatabase(t *testing.T, dsn string) string {
	t.Helper()
	i := strings.Index(dsn, "database=")
	if i < 0 {
		t.Fatalf("no database in %s", dsn)
	}
	db, _, _ := strings.Cut(dsn[i+len("database="):], "&")
	return db
}

package e2e

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mssql2adb/mssql2adb/internal/faultproxy"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster"
)

// behind returns dsn (a URL) pointing at a fault proxy in front of its
// host, and the proxy.
func behind(t *testing.T, dsn string) (string, *faultproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	u.Host = p.Addr()
	return u.String(), p
}

// kafkaBehindProxy starts an embedded broker of the test's own behind a
// fault proxy, which the broker advertises as its address: every Kafka
// connection goes through the proxy, not only the bootstrap one.
func kafkaBehindProxy(t *testing.T) (*kafkatest.Broker, *faultproxy.Proxy) {
	t.Helper()
	b, err := kafkatest.StartBroker(context.Background(), "127.0.0.1:0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	p, err := faultproxy.Start(b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := b.Cluster().Advertise(0, p.Addr()); err != nil {
		t.Fatal(err)
	}
	return b, p
}

// warnings counts the log lines at warn level or above holding msg.
func warnings(log, msg string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if (strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR")) && strings.Contains(l, msg) {
			n++
		}
	}
	return n
}

// outageLogged waits until the producer's log holds as many ends of
// capture outages as beginnings (an end is logged once writes have gone on
// for a couple of seconds), for at most ten seconds, and returns both.
func outageLogged(p *process) (began, ended int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		log := p.output()
		began, ended = warnings(log, "capture: outage,"), lines(log, "capture: outage over")
		if began == ended || time.Now().After(deadline) {
			return began, ended
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lines counts the log lines holding all of msgs.
func lines(log string, msgs ...string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		all := true
		for _, m := range msgs {
			all = all && strings.Contains(l, m)
		}
		if all {
			n++
		}
	}
	return n
}

// The target refuses connections for a few seconds, its open connections
// cut, while changes keep coming: the consumer waits with backoff (a few
// connection attempts, not a busy loop), logs the outage once when it
// begins and once when it ends, and catches up.
func TestTargetOutageRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	dsn, proxy := behind(t, e.targetDSN)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", append(e.consumerVars(), "TARGET_DSN="+withPassword(dsn, targetPassword)))
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Refuse)
	before := proxy.Accepted()
	e.changes(10)
	time.Sleep(4 * time.Second)
	attempts := proxy.Accepted() - before
	proxy.Set(faultproxy.Forward)
	e.converge(convergeWithin, prod, cons)

	t.Logf("%d connection attempts to the target during the outage", attempts)
	if attempts > 30 {
		t.Errorf("%d connection attempts to the target in a 4s outage: a busy loop", attempts)
	}
	log := cons.output()
	if n := warnings(log, "transient failure"); n < 1 || n > 2 {
		t.Errorf("the outage was logged at warn level %d times, want once when it began:\n%s", n, log)
	}
	if lines(log, "recovered") < 1 {
		t.Errorf("the outage's end was not logged:\n%s", log)
	}
}

// SQL Server stalls (connections accepted, never answered) and then cuts
// every connection and refuses new ones for a few seconds while the producer
// streams: the producer resumes from the position Kafka holds, logs the
// outage once with its cause and once when it ends, and nothing is lost.
func TestSourceOutageRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	dsn, proxy := behind(t, e.srcDSN)
	prod := e.start(shared.producerBin, "producer", append(e.producerVars(), "MSSQL_DSN="+dsn))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Stall)
	time.Sleep(2 * time.Second)
	proxy.Set(faultproxy.Refuse)
	before := proxy.Accepted()
	e.changes(10)
	time.Sleep(4 * time.Second)
	attempts := proxy.Accepted() - before
	proxy.Set(faultproxy.Forward)
	e.changes(20)
	e.converge(convergeWithin, prod, cons)

	t.Logf("%d connection attempts to SQL Server during the outage", attempts)
	if attempts > 30 {
		t.Errorf("%d connection attempts to SQL Server in a 4s outage: a busy loop", attempts)
	}
	began, ended := outageLogged(prod)
	if began != 1 {
		t.Errorf("the outage was logged at warn level %d times, want once when it began:\n%s", began, prod.output())
	}
	if ended != 1 {
		t.Errorf("the outage's end was logged %d times, want once:\n%s", ended, prod.output())
	}
}

// SQL Server stops answering on the connections the producer has open
// (a server that hangs, or a network that died without a reset) while new
// connections get through: the read is abandoned after SOURCE_READ_TIMEOUT
// and the producer goes on over a new connection, exactly once. Without the
// timeout it would wait on the held connection forever.
func TestSourceHeldConnectionsRecover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	dsn, proxy := behind(t, e.srcDSN)
	prod := e.start(shared.producerBin, "producer", append(e.producerVars(), "MSSQL_DSN="+dsn, "SOURCE_READ_TIMEOUT=3s"))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on"))
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Stall)
	e.changes(10)
	time.Sleep(time.Second) // the producer's next poll waits on SQL Server
	proxy.Hold()
	proxy.Set(faultproxy.Forward)
	e.changes(20)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, kafkaClient(t))
	t.Logf("%d change records, %d applications, %d duplicates", rep.records, rep.applications, rep.duplicates())
	if lines(prod.output(), "SOURCE_READ_TIMEOUT") < 1 {
		t.Errorf("the producer never said SQL Server outlasted SOURCE_READ_TIMEOUT:\n%s", prod.output())
	}
}

// The target PostgreSQL restarts (fast shutdown, then start) while two
// consumers apply changes: they retry, catch up, and apply nothing twice.
// The SQL Server service restarts (the emulator closes every connection,
// refuses new ones for three seconds, and serves the same data again) while
// the producer streams: the producer resumes from the position Kafka holds,
// logs the outage once and its end once, and every change is applied once.
func TestSourceRestartRecovers(t *testing.T) {
	t.Parallel()
	if os.Getenv("MSSQL_DSN") != "" {
		t.Skip("MSSQL_DSN is set: this test restarts an emulator of its own")
	}
	e := newEnv(t)
	ctx := context.Background()
	emu, err := mssqlemu.Start(ctx, mssqlemu.Config{Addr: "127.0.0.1:0", SAPassword: "E2e_Passw0rd"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	// The test's database on that emulator rather than the shared one.
	master, err := sql.Open("sqlserver", emu.DSN("master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	for _, q := range []string{"CREATE DATABASE " + e.name, "ALTER DATABASE " + e.name + " SET ALLOW_SNAPSHOT_ISOLATION ON"} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	e.src.Close()
	e.srcDSN = emu.DSN(e.name)
	if e.src, err = sql.Open("sqlserver", e.srcDSN); err != nil {
		t.Fatal(err)
	}
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on"))
	e.converge(convergeWithin, prod, cons)

	e.changes(10)
	if err := emu.Restart(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	// The test's own pooled connections were cut too.
	e.src.Close()
	if e.src, err = sql.Open("sqlserver", e.srcDSN); err != nil {
		t.Fatal(err)
	}
	e.changes(20)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, kafkaClient(t))
	began, ended := outageLogged(prod)
	t.Logf("%d change records, %d applications, %d duplicates; the producer logged %d outages and %d ends", rep.records, rep.applications, rep.duplicates(), began, ended)
	if began != 1 || ended != 1 {
		t.Errorf("the producer logged %d outages and %d ends; want the restart logged once, and its end once:\n%s", began, ended, prod.output())
	}
}

func TestTargetRestartRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if err := c.CreateDatabase(ctx, "warehouse"); err != nil {
		t.Fatal(err)
	}
	e.targetDSN = c.DSN("warehouse")
	if e.target, err = pgxpool.New(ctx, e.targetDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.target.Close)
	e.createSampleTables()
	e.seed(1, 200)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	c1 := e.start(shared.consumerBin, "consumer-1", e.consumerVars("APPLY_AUDIT=on"))
	c2 := e.start(shared.consumerBin, "consumer-2", e.consumerVars("APPLY_AUDIT=on"))
	e.changes(10) // while the snapshot is applied
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	e.changes(20)
	e.converge(convergeWithin, prod, c1, c2)
	prod.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, kafkaClient(t))
	t.Logf("%d change records, %d applications, %d duplicates; the consumers logged %d failures of the target and %d recoveries",
		rep.records, rep.applications, rep.duplicates(),
		warnings(c1.output()+c2.output(), "transient failure"), lines(c1.output()+c2.output(), "recovered"))
}

// The target stalls while the consumer applies a batch, and the connections
// open then never answer again (a server or network that died without a
// reset; a failover), while new connections get through: the attempt is
// abandoned after TARGET_STATEMENT_TIMEOUT and the batch applied on a new
// connection, once.
func TestTargetStallMidApplyRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	dsn, proxy := behind(t, e.targetDSN)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on", "TARGET_STATEMENT_TIMEOUT=3s",
		"TARGET_DSN="+withPassword(dsn, targetPassword)))
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Stall)
	e.changes(10)
	time.Sleep(2 * time.Second) // the consumer is in the middle of applying them
	proxy.Hold()
	proxy.Set(faultproxy.Forward)
	e.changes(20)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, kafkaClient(t))
	log := cons.output()
	t.Logf("%d change records, %d applications, %d duplicates; the consumer logged %d failures and %d recoveries",
		rep.records, rep.applications, rep.duplicates(), warnings(log, "transient failure"), lines(log, "recovered"))
	if lines(log, "TARGET_STATEMENT_TIMEOUT") < 1 {
		t.Errorf("the consumer never said an attempt outlasted TARGET_STATEMENT_TIMEOUT:\n%s", log)
	}
}

// For two seconds every connection that ends a transaction (EndTxn) is cut
// before the broker answers, in the middle of the producer's transactions:
// the client retries on new connections or the producer rebuilds its
// transactional writer and writes again from the position Kafka holds;
// nothing is lost or applied twice, and an outage the producer saw is
// logged once when it begins and once when it ends.
func TestKafkaTransactionCutRecovers(t *testing.T) {
	if shared.broker == nil {
		t.Skip("needs the in-process broker (KAFKA_BROKERS is set)")
	}
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on"))
	e.converge(convergeWithin, prod, cons)

	c := shared.broker.Cluster()
	cut := make(chan struct{})
	var until time.Time
	cuts := 0
	c.ControlKey(kmsg.EndTxn.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		if cuts == 0 {
			until = time.Now().Add(2 * time.Second)
			close(cut)
		}
		if time.Now().After(until) {
			return nil, nil, false // handled normally; the control is dropped
		}
		c.KeepControl()
		cuts++
		return nil, errors.New("connection cut by the test"), true
	})
	e.changes(10)
	select {
	case <-cut:
	case <-time.After(convergeWithin):
		t.Fatal("the producer never ended a transaction")
	}
	e.changes(20)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)
	e.auditCommitted(t, kafkaClient(t))
	began, ended := outageLogged(prod)
	t.Logf("%d EndTxn connections cut; the producer logged %d outages and %d ends", cuts, began, ended)
	if began > 1 || began != ended {
		t.Errorf("outages logged %d times, their end %d times; want each once:\n%s", began, ended, prod.output())
	}
}

// Kafka itself behind a fault proxy, every connection of both programs
// through it (the broker advertises the proxy's address): at the first
// EndTxn after changes are made, in the middle of the producer's
// transaction, every connection is cut and new ones refused for three
// seconds; later Kafka stalls for longer than the consumer's session
// timeout while changes flow. Both programs recover by themselves, and
// every committed change record is applied exactly once.
func TestKafkaBehindProxyRecovers(t *testing.T) {
	t.Parallel()
	if shared.broker == nil {
		t.Skip("KAFKA_BROKERS is set: this test starts its own embedded broker behind a proxy")
	}
	e := newEnv(t)
	b, proxy := kafkaBehindProxy(t)
	kvars := "KAFKA_BROKERS=" + proxy.Addr()
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars(kvars))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on", kvars))
	e.converge(convergeWithin, prod, cons)

	cut := make(chan struct{})
	var once sync.Once
	b.Cluster().ControlKey(kmsg.EndTxn.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		once.Do(func() { proxy.Set(faultproxy.Refuse); close(cut) })
		return nil, nil, false // the broker ends the transaction; its answer finds the connection gone
	})
	e.changes(10)
	select {
	case <-cut:
	case <-time.After(convergeWithin):
		t.Fatal("the producer never ended a transaction")
	}
	time.Sleep(3 * time.Second)
	proxy.Set(faultproxy.Forward)
	e.changes(20)
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Stall)
	e.changes(30)
	time.Sleep(consumerSessionTimeout + 2*time.Second)
	proxy.Set(faultproxy.Forward)
	e.changes(40)
	e.converge(convergeWithin, prod, cons)

	prod.kill(syscall.SIGTERM)
	cl, err := kgo.NewClient(kafka.ClientOpts([]string{proxy.Addr()})...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rep := e.auditCommitted(t, cl)
	began, ended := outageLogged(prod)
	t.Logf("%d change records, %d applications, %d duplicates; %d connections through the proxy; the producer logged %d outages and %d ends, the consumer %d failures and %d recoveries",
		rep.records, rep.applications, rep.duplicates(), proxy.Accepted(), began, ended,
		warnings(cons.output(), "transient failure"), lines(cons.output(), "recovered"))
	if began != ended {
		t.Errorf("the producer logged %d outages and %d ends; want as many ends:\n%s", began, ended, prod.output())
	}
}

// The schema registry refuses connections (open ones cut) for a few seconds
// just as a column is added, so the producer must register and the consumer
// look up a new schema: both wait and go on (a registry outage is retried,
// never dead-lettered), and nothing is lost.
func TestRegistryOutageRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	regURL, proxy := behind(t, shared.registryURL)
	prod := e.start(shared.producerBin, "producer", append(e.producerVars(schemaCheck), "SCHEMA_REGISTRY_URL="+regURL))
	cons := e.start(shared.consumerBin, "consumer", append(e.consumerVars(), "SCHEMA_REGISTRY_URL="+regURL))
	e.converge(convergeWithin, prod, cons)

	proxy.Set(faultproxy.Refuse)
	e.exec(`ALTER TABLE dbo.customer ADD fault_tag int NOT NULL CONSTRAINT df_customer_fault_tag DEFAULT (7)`)
	e.changes(10)
	time.Sleep(5 * time.Second)
	proxy.Set(faultproxy.Forward)
	e.changes(20)
	e.waitTargetColumns("customer", "fault_tag")
	e.converge(convergeWithin, prod, cons)
	if strings.Contains(cons.output(), "dead-letter") {
		t.Errorf("the consumer dead-lettered records during a registry outage:\n%s", cons.output())
	}
	began, ended := outageLogged(prod)
	t.Logf("producer: %d outages logged, %d ends; consumer: %d failures logged, %d recoveries", began, ended,
		warnings(cons.output(), "transient failure"), lines(cons.output(), "recovered"))
	if began > 1 || began != ended {
		t.Errorf("the producer logged %d outages and %d ends; want each once at most, and equal:\n%s", began, ended, prod.output())
	}
}

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/faultproxy"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
)

// TestChaosFaults puts SQL Server, the schema registry, the target and
// Kafka (a broker of its own that advertises the proxy, when the suite's
// broker is embedded) each behind a fault proxy and, under the chaos test's random workload, cuts,
// stalls or refuses one of them at a time, at random moments and for a
// random time; the target's open connections are sometimes held for good
// (a server that died without a reset). After each fault a probe row is
// written at the source and its arrival in the target timed: the pipeline
// must recover by itself. At the end the target must equal the source and
// the audit show every committed change record applied once.
// CHAOS_FAULTS_SECONDS is how long faults are injected (default 12: make
// test; make chaos runs 300), CHAOS_SEED the seed, which every run prints.
func TestChaosFaults(t *testing.T) {
	length := 12 * time.Second
	if v := os.Getenv("CHAOS_FAULTS_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAOS_FAULTS_SECONDS=%q: want a positive number", v)
		}
		length = time.Duration(n) * time.Second
	}
	seed := chaosSeed(t)
	repro := fmt.Sprintf("chaos-faults: seed %d (reproduce with CHAOS_SEED=%d CHAOS_FAULTS_SECONDS=%d)", seed, seed, int(length/time.Second))
	chaosPrint(t, repro)
	began := time.Now()
	st := faultTrial(t, rand.New(rand.NewPCG(seed, 0)), length)
	summary := fmt.Sprintf("chaos-faults: %s in %s", st, time.Since(began).Round(time.Second))
	chaosPrint(t, summary)
	chaosReport(t, repro, summary)
}

// A fault is what a proxy does to a service for a while.
type fault struct {
	service string
	kind    string // cut, stall, refuse, hold
	lasted  time.Duration
}

type faultStats struct {
	faults                           []fault
	recoveries                       []time.Duration // from each fault's end to the probe written after it in the target
	refusedAttempts                  int64           // connections the proxies refused: a busy loop shows here
	events, applications, duplicates int
	txns, rollbacks, deadlocks       int64
}

func (s faultStats) String() string {
	kinds := map[string]int{}
	var outage time.Duration
	for _, f := range s.faults {
		kinds[f.service+" "+f.kind]++
		outage += f.lasted
	}
	var names []string
	for k, n := range kinds {
		names = append(names, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(names)
	rec := slices.Clone(s.recoveries)
	slices.Sort(rec)
	var median, worst time.Duration
	if len(rec) > 0 {
		median, worst = rec[len(rec)/2], rec[len(rec)-1]
	}
	return fmt.Sprintf("%d faults (%s), %s of outage in all, %d connection attempts refused; recovery after a fault ended: median %s, max %s; "+
		"%d source transactions (%d rolled back, %d deadlock victims), %d events, %d applications, %d duplicates",
		len(s.faults), strings.Join(names, ", "), outage.Round(100*time.Millisecond), s.refusedAttempts,
		median.Round(100*time.Millisecond), worst.Round(100*time.Millisecond),
		s.txns, s.rollbacks, s.deadlocks, s.events, s.applications, s.duplicates)
}

// faultTrial runs the pipeline under random faults for length.
func faultTrial(t *testing.T, r *rand.Rand, length time.Duration) faultStats {
	var st faultStats
	e := newEnv(t)
	e.createSampleTables()
	e.exec(`CREATE TABLE dbo.probe (id int NOT NULL PRIMARY KEY, at datetime2(3) NOT NULL)`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'probe', @role_name = NULL`)
	seeded := 200 + r.IntN(200)
	e.seed(1, seeded)
	ctx := context.Background()

	srcDSN, srcProxy := behind(t, e.srcDSN)
	regURL, regProxy := behind(t, shared.registryURL)
	tgtDSN, tgtProxy := behind(t, e.targetDSN)
	proxies := []struct {
		name string
		p    *faultproxy.Proxy
	}{{"sqlserver", srcProxy}, {"registry", regProxy}, {"target", tgtProxy}}
	brokers := shared.brokers
	if shared.broker != nil {
		_, kp := kafkaBehindProxy(t)
		brokers = kp.Addr()
		proxies = append(proxies, struct {
			name string
			p    *faultproxy.Proxy
		}{"kafka", kp})
	}
	pvars := e.producerVars("KAFKA_BROKERS="+brokers, "STATE_TOPIC="+e.chaosStateTopic(), "MSSQL_DSN="+srcDSN, "SCHEMA_REGISTRY_URL="+regURL,
		"MAX_BATCH_EVENTS="+strconv.Itoa(10+r.IntN(40)), "LOG_LEVEL=info")
	// Held target connections are found out after TARGET_STATEMENT_TIMEOUT:
	// short here, to keep the run short.
	cvars := e.consumerVars("KAFKA_BROKERS="+brokers, "APPLY_AUDIT=on", "SCHEMA_REGISTRY_URL="+regURL, "TARGET_DSN="+withPassword(tgtDSN, targetPassword),
		"TARGET_STATEMENT_TIMEOUT=5s", "BATCH_MAX_EVENTS="+strconv.Itoa(5+r.IntN(200)), "LOG_LEVEL=info")
	prod := e.start(shared.producerBin, "producer", pvars)
	c1 := e.start(shared.consumerBin, "consumer-1", cvars)
	c2 := e.start(shared.consumerBin, "consumer-2", cvars)
	procs := []*process{prod, c1, c2}

	probe := 0
	// probed writes a probe row and returns how long it took to reach the
	// target, failing the test after a bound.
	probed := func() time.Duration {
		probe++
		began := time.Now()
		e.exec(fmt.Sprintf("INSERT INTO dbo.probe (id, at) VALUES (%d, SYSUTCDATETIME())", probe))
		if !waitProbe(ctx, e.target, probe, 2*convergeWithin, procs) {
			for _, p := range procs {
				t.Logf("%s log:\n%s", p.name, p.output())
			}
			t.Fatalf("probe %d did not reach the target within %s of the end of the last fault (%v)", probe, 2*convergeWithin, st.faults[len(st.faults)-1])
		}
		return time.Since(began)
	}
	probed() // the pipeline runs

	w, stopWork := startWorkload(e, r, seeded)
	defer stopWork() //nolint:errcheck // stopped and checked below; this only ends it on failure

	// Faults of one to four seconds in a short run, up to half a minute
	// in a long one.
	longest := 4 * time.Second
	if length > time.Minute {
		longest = 30 * time.Second
	}
	end := time.Now().Add(length)
	for time.Now().Before(end) {
		time.Sleep(time.Duration(200+r.IntN(1500)) * time.Millisecond)
		px := proxies[r.IntN(len(proxies))]
		kinds := []string{"cut", "stall", "refuse"}
		if px.name == "target" {
			kinds = append(kinds, "hold")
		}
		f := fault{service: px.name, kind: kinds[r.IntN(len(kinds))], lasted: time.Second + time.Duration(r.Int64N(int64(longest-time.Second)))}
		refusedBefore := px.p.Accepted()
		switch f.kind {
		case "cut":
			// Cut again and again: every reconnection is cut too.
			deadline := time.Now().Add(f.lasted)
			for time.Now().Before(deadline) {
				px.p.Cut()
				time.Sleep(200 * time.Millisecond)
			}
		case "stall":
			px.p.Set(faultproxy.Stall)
			time.Sleep(f.lasted)
		case "refuse":
			px.p.Set(faultproxy.Refuse)
			time.Sleep(f.lasted)
			st.refusedAttempts += px.p.Accepted() - refusedBefore
		case "hold":
			px.p.Set(faultproxy.Stall)
			time.Sleep(f.lasted)
			px.p.Hold()
		}
		px.p.Set(faultproxy.Forward)
		st.faults = append(st.faults, f)
		st.recoveries = append(st.recoveries, probed())
	}
	if werr := stopWork(); werr != nil {
		t.Fatalf("workload: %v", werr)
	}
	st.txns, st.rollbacks, st.deadlocks = w.txns.Load(), w.rollbacks.Load(), w.deadlocks.Load()
	e.converge(2*convergeWithin, procs...)
	prod.kill(syscall.SIGTERM)
	cl, err := kgo.NewClient(kafka.ClientOpts(strings.Split(brokers, ","))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rep := e.auditCommitted(t, cl)
	st.events, st.applications, st.duplicates = rep.records, rep.applications, rep.duplicates()
	if len(st.faults) == 0 {
		t.Error("no fault was injected: the run tested nothing")
	}
	return st
}

// waitProbe waits until the target's dbo.probe holds id, or within passed
// or a process exited.
func waitProbe(ctx context.Context, target *pgxpool.Pool, id int, within time.Duration, procs []*process) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, p := range procs {
			if p.exited() {
				return false
			}
		}
		var n int
		// The table does not exist until its first row was applied.
		if err := target.QueryRow(ctx, `SELECT count(*) FROM dbo.probe WHERE id = $1`, id).Scan(&n); err == nil && n == 1 {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

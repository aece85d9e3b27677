package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// TestChaos SIGKILLs the producer and the consumers at random moments,
// during the snapshot and while streaming, under a continuous random
// workload of multi-statement transactions (inserts, updates, deletes,
// primary-key changes, rollbacks, transactions larger than a producer
// batch) on several sessions at once, whose transactions interleave and
// commit in another order than they began (deadlock victims are
// rolled back and counted), and then checks that the target equals the source row for row and
// that the consumers' audit shows every committed change record applied
// exactly once. CHAOS_TRIALS sets the number of trials (default 4) and
// CHAOS_SEED the random seed, which every run prints.
func TestChaos(t *testing.T) {
	trials := 4
	if v := os.Getenv("CHAOS_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAOS_TRIALS=%q: want a positive number", v)
		}
		trials = n
	}
	seed := chaosSeed(t)
	chaosPrint(t, fmt.Sprintf("chaos: seed %d (reproduce with CHAOS_SEED=%d CHAOS_TRIALS=%d)", seed, seed, trials))
	var total chaosStats
	began := time.Now()
	for i := range trials {
		t.Run(fmt.Sprintf("trial%d", i), func(t *testing.T) {
			st := chaosTrial(t, rand.New(rand.NewPCG(seed, uint64(i))), i%2 == 1)
			t.Logf("trial %d: %s", i, st)
			total.add(st)
		})
	}
	summary := fmt.Sprintf("chaos: %d trials, %s in %s", trials, total, time.Since(began).Round(time.Second))
	chaosPrint(t, summary)
	chaosReport(t, fmt.Sprintf("chaos: seed %d", seed), summary)
}

// chaosSeed is CHAOS_SEED, or a new seed.
func chaosSeed(t *testing.T) uint64 {
	t.Helper()
	v := os.Getenv("CHAOS_SEED")
	if v == "" {
		return uint64(time.Now().UnixNano())
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("CHAOS_SEED=%q: want an unsigned number", v)
	}
	return n
}

// chaosPrint prints line on stdout (make chaos runs -v) and in the test log.
func chaosPrint(t *testing.T, line string) {
	t.Helper()
	fmt.Println(line)
	t.Log(line)
}

// chaosReport appends lines to the file CHAOS_REPORT names, which make
// test prints: go test shows a passing package's output only with -v.
func chaosReport(t *testing.T, lines ...string) {
	t.Helper()
	path := os.Getenv("CHAOS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("CHAOS_REPORT: %v", err)
	}
	fmt.Fprintln(f, strings.Join(lines, "\n"))
	if err := f.Close(); err != nil {
		t.Fatalf("CHAOS_REPORT: %v", err)
	}
}

// chaosStats counts what the trials did.
type chaosStats struct {
	killsSnapshot, killsStreaming, killsConsumer int
	killsAfterCommit                             int // kills of both consumers right after a target commit
	killsAfterProducerCommit                     int // producer kills right after a split transaction's part or a chunk
	killsSwitch                                  int // producer kills during a capture-instance switch after ADD COLUMN
	events, applications, duplicates             int
	txns, rollbacks, deadlocks                   int64
	staticTrials, trials                         int           // trials with static consumers, all trials
	regroup                                      time.Duration // longest time from the last kill to a group consuming every partition
	recovery                                     time.Duration // longest time from the last kill to a target equal to the source
}

// The consumer's defaults the chaos test relies on (KAFKA_SESSION_TIMEOUT,
// and kgo's rebalance timeout, which the consumer does not change).
const (
	consumerSessionTimeout   = 10 * time.Second
	consumerRebalanceTimeout = 60 * time.Second
)

func (s *chaosStats) add(o chaosStats) {
	s.killsSnapshot += o.killsSnapshot
	s.killsStreaming += o.killsStreaming
	s.killsConsumer += o.killsConsumer
	s.killsAfterCommit += o.killsAfterCommit
	s.killsAfterProducerCommit += o.killsAfterProducerCommit
	s.killsSwitch += o.killsSwitch
	s.events += o.events
	s.applications += o.applications
	s.duplicates += o.duplicates
	s.txns += o.txns
	s.rollbacks += o.rollbacks
	s.deadlocks += o.deadlocks
	s.staticTrials += o.staticTrials
	s.trials += o.trials
	s.recovery = max(s.recovery, o.recovery)
	s.regroup = max(s.regroup, o.regroup)
}

func (s chaosStats) String() string {
	return fmt.Sprintf("%d kills (producer during snapshot: %d, producer streaming: %d, consumer: %d; "+
		"%d producer kills right after committing a chunk or part of a split transaction, %d consumer kills in pairs right after a target commit), "+
		"%d producer kills during a capture-instance switch after ADD COLUMN, "+
		"%d source transactions (%d rolled back, %d deadlock victims), %d events, %d applications, %d duplicates; "+
		"consumers dynamic group members in %d trials, static in %d; after the last kill the group consumed again within %s and the target matched within %s",
		s.killsSnapshot+s.killsStreaming+s.killsConsumer, s.killsSnapshot, s.killsStreaming, s.killsConsumer,
		s.killsAfterProducerCommit, 2*s.killsAfterCommit, s.killsSwitch,
		s.txns, s.rollbacks, s.deadlocks, s.events, s.applications, s.duplicates,
		s.trials-s.staticTrials, s.staticTrials, s.regroup.Round(100*time.Millisecond), s.recovery.Round(100*time.Millisecond))
}

// chaosTrial runs one trial in a fresh source database, topic prefix and
// target database; static says whether the consumers are static group
// members.
func chaosTrial(t *testing.T, r *rand.Rand, static bool) chaosStats {
	st := chaosStats{trials: 1}
	e := newEnv(t)
	e.createSampleTables()
	seeded := 300 + r.IntN(300)
	e.seed(1, seeded)
	ctx := context.Background()
	cl := kafkaClient(t)

	// Small chunks and batches: many transactions to die in, and source
	// transactions larger than a batch, which the producer must split.
	pvars := e.producerVars("STATE_TOPIC="+e.chaosStateTopic(), schemaCheck, "SNAPSHOT_CHUNK_ROWS="+strconv.Itoa(20+r.IntN(60)), "MAX_BATCH_EVENTS="+strconv.Itoa(10+r.IntN(30)), "LOG_LEVEL=info")
	// In the odd trials both consumers are static group members
	// (GROUP_INSTANCE_ID): one restarted takes its partitions back at once
	// instead of waiting for the group to drop the dead member. In the
	// even trials (at least half) they are dynamic members, the default: each restart
	// joins as a new member and the group rebalances. (Unpatched kfake
	// stalled such groups for minutes: internal/third_party/kfake.)
	if static {
		st.staticTrials++
	}
	cvars := func(id string) []string {
		// APPLY_PARALLELISM: the default (1) or the partitions of a batch
		// in transactions of their own, killed between their commits.
		vars := e.consumerVars("APPLY_AUDIT=on", "BATCH_MAX_EVENTS="+strconv.Itoa(5+r.IntN(200)),
			"BATCH_MAX_WAIT=50ms", "LOG_LEVEL=info", "APPLY_PARALLELISM="+strconv.Itoa(1+2*r.IntN(2)))
		if static {
			vars = append(vars, "GROUP_INSTANCE_ID="+id)
		}
		return vars
	}
	type member struct {
		name string
		bin  string
		vars []string
		p    *process
	}
	procs := []*member{
		{name: "producer", bin: shared.producerBin, vars: pvars},
		{name: "consumer-1", bin: shared.consumerBin, vars: cvars("c1")},
		{name: "consumer-2", bin: shared.consumerBin, vars: cvars("c2")},
	}
	for _, m := range procs {
		m.p = e.start(m.bin, m.name, m.vars)
	}

	w, stopWork := startWorkload(e, r, seeded)
	defer stopWork() //nolint:errcheck // stopped and checked below; this only ends it on failure

	kills := 3 + r.IntN(4)
	// Half the trials add a column to dbo.customer under the workload and
	// kill the producer as soon as it created the new capture instance, in
	// the middle of its switch.
	alter := r.IntN(2) == 0
	for k := range kills {
		victim := 0
		if k == 1 && alter {
			victim = len(procs) + 2
		}
		if k == 0 {
			// The first kill hits the producer's snapshot: right after it
			// committed a random share of the rows.
			target := int64(r.IntN(seeded * 3))
			e.awaitPosition(ctx, cl, 5*time.Second, func(p source.Position) bool {
				var rows int64
				for _, tb := range p.Snapshot.Tables {
					rows += tb.Rows
				}
				return p.Snapshot.Done || rows >= target
			})
		} else {
			if v := r.IntN(len(procs) + 2); victim == 0 {
				victim = v
			}
			time.Sleep(time.Duration(200+r.IntN(1500)) * time.Millisecond)
		}
		for _, m := range procs {
			if m.p.exited() {
				t.Fatalf("%s exited by itself (%v); log:\n%s", m.name, m.p.err, m.p.output())
			}
		}
		var killed []*member
		switch victim {
		case len(procs) + 2:
			e.exec(`ALTER TABLE dbo.customer ADD chaos_tag int NOT NULL CONSTRAINT df_customer_chaos_tag DEFAULT (7)`)
			procs[0].p.waitLog(t, "source: created a capture instance for added columns", convergeWithin)
			killed = procs[:1]
			st.killsSwitch++
		case len(procs) + 1:
			// The producer right after it committed part of a source
			// transaction larger than a batch, or a snapshot chunk: a
			// restart must resume inside either.
			if !e.awaitPosition(ctx, cl, 3*time.Second, func(p source.Position) bool {
				return p.Stream.InTx || !p.Snapshot.Done
			}) {
				continue
			}
			killed = procs[:1]
			st.killsAfterProducerCommit++
		case len(procs):
			// Both consumers, right after one of them committed a batch to
			// the target: the moment before its offsets reach Kafka.
			if !e.awaitTargetCommit(ctx, 3*time.Second) {
				continue
			}
			killed = procs[1:]
			st.killsAfterCommit++
		default:
			killed = procs[victim : victim+1]
		}
		for _, m := range killed {
			_ = m.p.cmd.Process.Signal(syscall.SIGKILL)
		}
		for _, m := range killed {
			m.p.kill(syscall.SIGKILL)
			if m != procs[0] {
				st.killsConsumer++
				continue
			}
			pos, ok, err := e.position(ctx, cl, e.chaosStateTopic())
			if err != nil && strings.Contains(err.Error(), "does not exist") {
				ok, err = false, nil // killed before it created its state topic
			}
			if err != nil {
				t.Fatalf("read the producer's position: %v", err)
			}
			if ok && pos.Snapshot.Done {
				st.killsStreaming++
			} else {
				st.killsSnapshot++
			}
		}
		time.Sleep(time.Duration(r.IntN(400)) * time.Millisecond)
		for _, m := range killed {
			m.p = e.start(m.bin, m.name, m.vars)
		}
	}
	lastKill := time.Now()
	// After the last kill the group must be consuming again (stable, the
	// two live consumers owning every partition) within the consumers'
	// session timeout plus rebalance timeout, static members or not.
	bound := consumerSessionTimeout + consumerRebalanceTimeout
	took, ok := e.awaitGroupConsuming(ctx, cl, 2, 2*bound)
	if !ok || took > bound {
		t.Errorf("the consumer group was not consuming every partition again within %s of the last kill (waited %s)", bound, took.Round(100*time.Millisecond))
	}
	st.regroup = max(st.regroup, took)
	time.Sleep(time.Duration(300+r.IntN(700)) * time.Millisecond)
	if werr := stopWork(); werr != nil {
		t.Fatalf("workload: %v", werr)
	}
	st.txns, st.rollbacks, st.deadlocks = w.txns.Load(), w.rollbacks.Load(), w.deadlocks.Load()

	if alter {
		e.waitTargetColumns("customer", "chaos_tag")
	}
	e.converge(2*convergeWithin, procs[0].p, procs[1].p, procs[2].p)
	st.recovery = max(st.recovery, time.Since(lastKill))
	// The topics are final once the producer stops; then every committed
	// change record must have been applied exactly once.
	procs[0].p.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, cl)
	st.events, st.applications, st.duplicates = rep.records, rep.applications, rep.duplicates()
	if rep.records < seeded*4 {
		t.Errorf("only %d change records for %d seeded rows: the trial tested little", rep.records, seeded*4)
	}
	e.converge(convergeWithin) // still equal, with everything applied
	return st
}

// awaitGroupConsuming waits until e's consumer group is stable with
// members members that together own every partition of e's change topics,
// and returns how long that took and whether it happened within.
func (e *env) awaitGroupConsuming(ctx context.Context, cl *kgo.Client, members int, within time.Duration) (time.Duration, bool) {
	adm := kadm.NewClient(cl)
	began := time.Now()
	for time.Since(began) < within {
		if e.groupConsuming(ctx, adm, members) {
			return time.Since(began), true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(began), false
}

func (e *env) groupConsuming(ctx context.Context, adm *kadm.Client, members int) bool {
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return false
	}
	want := 0
	for _, td := range topics {
		if strings.HasPrefix(td.Topic, e.name+"."+e.name+".") {
			want += len(td.Partitions)
		}
	}
	groups, err := adm.DescribeGroups(ctx, e.name)
	if err != nil {
		return false
	}
	g, ok := groups[e.name]
	if !ok || g.Err != nil || g.State != "Stable" || len(g.Members) != members {
		return false
	}
	got := 0
	for _, ps := range g.AssignedPartitions() {
		got += len(ps)
	}
	return want > 0 && got == want
}

// awaitPosition tails the producer's state topic until it commits a
// position for which pred holds, and reports whether it did within.
func (e *env) awaitPosition(ctx context.Context, cl *kgo.Client, within time.Duration, pred func(source.Position) bool) bool {
	key := []byte(e.name + "." + e.name)
	found := errors.New("found")
	var from map[int32]int64 // nil: skip what the topic holds so far
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		next, err := kafka.ReadCommitted(ctx, cl, e.chaosStateTopic(), from, func(r *kgo.Record) error {
			var p source.Position
			if from != nil && string(r.Key) == string(key) && json.Unmarshal(r.Value, &p) == nil && pred(p) {
				return found
			}
			return nil
		})
		if errors.Is(err, found) {
			return true
		}
		if err == nil {
			from = next
		} else if from == nil {
			// The producer has not created its state topic yet; once it
			// has, a position committed after that first read counts.
			from = map[int32]int64{}
		}
	}
	return false
}

// awaitTargetCommit polls the target until a consumer of e commits a batch
// (its offsets' updated_at moves) and reports whether one did within.
func (e *env) awaitTargetCommit(ctx context.Context, within time.Duration) bool {
	conn, err := e.target.Acquire(ctx)
	if err != nil {
		return false
	}
	defer conn.Release()
	const q = "SELECT coalesce(max(updated_at), 'epoch') FROM mssql2adb.consumer_offsets WHERE group_id = $1"
	var first, now time.Time
	if err := conn.QueryRow(ctx, q, e.name).Scan(&first); err != nil {
		return false
	}
	for deadline := time.Now().Add(within); time.Now().Before(deadline); {
		if err := conn.QueryRow(ctx, q, e.name).Scan(&now); err != nil {
			return false
		}
		if now.After(first) {
			return true
		}
	}
	return false
}

// workload runs random multi-statement transactions on the sample tables.
// Ids above next are free; inserts and key changes take fresh ones, so no
// statement fails on a duplicate key.
type workload struct {
	db                         *sql.DB
	next                       atomic.Int64
	txns, rollbacks, deadlocks atomic.Int64
}

// startWorkload runs the workload on e's source database in
// workloadSessions sessions at once (their transactions interleave, wait
// for each other's rows and commit out of begin order), inserting ids
// after seeded; stop ends it and returns the first error of a session.
func startWorkload(e *env, r *rand.Rand, seeded int) (w *workload, stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	w = &workload{db: e.src}
	w.next.Store(int64(seeded) + 1)
	errs := make([]error, workloadSessions)
	var wg sync.WaitGroup
	for i := range workloadSessions {
		wg.Add(1)
		wseed := r.Uint64()
		go func() { defer wg.Done(); errs[i] = w.run(ctx, rand.New(rand.NewPCG(wseed, uint64(i)))) }()
	}
	return w, func() error { cancel(); wg.Wait(); return errors.Join(errs...) }
}

// workloadSessions is how many sessions run the workload at once.
const workloadSessions = 3

func (w *workload) run(ctx context.Context, r *rand.Rand) error {
	for ctx.Err() == nil {
		if err := w.txn(ctx, r); err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		// A pause of 0 to 20 ms: the emulator, out of the race detector,
		// took four times the transactions of a trial unpaced, and the
		// trials then spent minutes catching up instead of being killed.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(r.IntN(20)) * time.Millisecond):
		}
	}
	return nil
}

func (w *workload) txn(ctx context.Context, r *rand.Rand) error {
	// Never cancelled mid-transaction: go-mssqldb rolls a cancelled
	// transaction back on another goroutine, racing with the connection's
	// next user (a data race the race detector reports).
	ctx = context.WithoutCancel(ctx)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for range 1 + r.IntN(5) {
		hi := w.next.Load()
		old := 1 + r.Int64N(hi-1) // an id that may exist
		fresh := func() int64 { return w.next.Add(1) - 1 }
		var q string
		var args []any
		switch op := r.IntN(14); op {
		case 0, 1:
			id := fresh()
			q, args = `INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (@p1, @p2, NULL, @p3, SYSUTCDATETIME())`,
				[]any{id, fmt.Sprintf("chaos %d", id), fmt.Sprintf("%d.%02d", r.IntN(9000), r.IntN(100))}
		case 2:
			q, args = `UPDATE dbo.customer SET balance = balance + @p1, city = @p2 WHERE id = @p3`,
				[]any{fmt.Sprintf("%d.%02d", r.IntN(100), r.IntN(100)), fmt.Sprintf("city %d", r.IntN(50)), old}
		case 3:
			// Many rows in one statement: a transaction larger than a batch.
			q, args = `UPDATE dbo.customer SET balance = balance + 1, updated_at = SYSUTCDATETIME() WHERE id BETWEEN @p1 AND @p2`,
				[]any{old, old + 20 + r.Int64N(60)}
		case 4:
			q, args = `DELETE FROM dbo.customer WHERE id = @p1`, []any{old}
		case 5:
			q, args = `UPDATE dbo.customer SET id = @p1 WHERE id = @p2`, []any{fresh(), old}
		case 6:
			id := fresh()
			q, args = `INSERT INTO dbo.Student (id, name, age, enrolled) VALUES (@p1, @p2, @p3, '2024-02-29')`,
				[]any{id, fmt.Sprintf("student %d", id), 18 + r.IntN(8)}
		case 7:
			q, args = `UPDATE dbo.Student SET age = NULL, name = @p1 WHERE id = @p2`, []any{fmt.Sprintf("renamed %d", r.IntN(1000)), old}
		case 8:
			q, args = `UPDATE dbo.Student SET id = @p1 WHERE id = @p2`, []any{fresh(), old}
		case 9:
			q, args = `DELETE FROM dbo.Student WHERE id = @p1`, []any{old}
		case 10:
			q, args = `INSERT INTO dbo.enrolment (student_id, course, grade) VALUES (@p1, N'math', 3.5)`, []any{fresh()}
		case 11:
			q, args = `UPDATE dbo.enrolment SET grade = @p1 WHERE student_id = @p2`, []any{fmt.Sprintf("%d.%d", r.IntN(6), r.IntN(10)), old}
		case 12:
			// A change of one column of a composite key.
			q, args = `UPDATE dbo.enrolment SET course = @p1 WHERE student_id = @p2 AND course = N'math'`, []any{fmt.Sprintf("c%d", fresh()), old}
		default:
			q, args = `DELETE FROM dbo.enrolment WHERE student_id = @p1 AND course = N'Art'`, []any{old}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			var me mssql.Error
			if errors.As(err, &me) && me.Number == 1205 {
				// The deadlock victim: SQL Server rolled it back.
				w.deadlocks.Add(1)
				return nil
			}
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	w.txns.Add(1)
	if r.IntN(10) == 0 {
		w.rollbacks.Add(1)
		return tx.Rollback()
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

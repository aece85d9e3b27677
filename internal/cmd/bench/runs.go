package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster"
	"github.com/mssql2adb/mssql2adb/internal/publish"
)

// maxMessage is the change topics' max.message.bytes, the producer's default.
var maxMessage = "67108864"

type stack struct {
	brokers  []string
	registry string
	pg       *pgcluster.Cluster
	// via, when set, is the address programs reach PostgreSQL at instead
	// of its own (a proxy that delays bytes as a network would).
	via string
}

// dsn is database db's connection string as the programs measured use it.
func (s stack) dsn(db string) string {
	d := s.pg.DSN(db)
	if s.via != "" {
		d = strings.Replace(d, fmt.Sprintf("@127.0.0.1:%d/", s.pg.Port()), "@"+s.via+"/", 1)
	}
	return d
}

func numCPU() int { return runtime.NumCPU() }

// freshTable creates database db with the target table the consumer would
// create for t (same types, same key), and connects to it. done closes the
// connection and drops db, once the run is measured.
func (s stack) freshTable(ctx context.Context, db string, t *catalog.Table) (conn *pgx.Conn, tt *apply.TargetTable, done func(), err error) {
	if err := s.pg.CreateDatabase(ctx, db); err != nil {
		return nil, nil, nil, err
	}
	done = func() { s.dropDatabase(ctx, db) }
	if conn, err = pgx.Connect(ctx, s.dsn(db)); err != nil {
		done()
		return nil, nil, nil, err
	}
	done = func() { conn.Close(ctx); s.dropDatabase(ctx, db) }
	if tt, err = apply.TargetTableFor(t); err != nil {
		done()
		return nil, nil, nil, err
	}
	for _, stmt := range []string{apply.CreateSchema(tt.Schema), apply.Postgres{}.CreateTable(tt)} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			done()
			return nil, nil, nil, err
		}
	}
	return conn, tt, done, nil
}

func columnNames(tt *apply.TargetTable) []string {
	names := make([]string, len(tt.Columns))
	for i, c := range tt.Columns {
		names[i] = c.Name
	}
	return names
}

// chunks generates the rows in chunks of values pgx encodes natively, so
// that the generation is not timed.
func chunks(rows int, each func([][]any) error) error {
	const size = 50_000
	buf := make([][]any, 0, size)
	for i := 0; i < rows; i++ {
		buf = append(buf, pgValues(rowValues(int64(i), 0)))
		if len(buf) == size || i == rows-1 {
			if err := each(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// dropDatabase drops db once its run is measured: autovacuum would
// otherwise work on its rows (after update-heavy, 800,000 dead row
// versions) on the same cores while the next run is measured.
func (s stack) dropDatabase(ctx context.Context, db string) {
	conn, err := pgx.Connect(ctx, s.pg.DSN("postgres"))
	if err == nil {
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
		conn.Close(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: drop database %s after its run: %v\n", db, err)
	}
}

// ceilingRuns is how many times the ceiling is measured: from run to run
// on one quiet machine it moved by a third, and every ratio moves with it.
const ceilingRuns = 3

// medianCeiling is the median of ceilingRuns copyCeiling runs, with the
// range in its note.
func medianCeiling(ctx context.Context, s stack, rows int) (Result, error) {
	var rs []Result
	for range ceilingRuns {
		r, err := copyCeiling(ctx, s, rows)
		if err != nil {
			return Result{}, err
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(a.PerSec, b.PerSec) })
	m := rs[len(rs)/2]
	m.What = fmt.Sprintf("PostgreSQL binary COPY into an empty table with the same key (ceiling, median of %d)", len(rs))
	m.Note = fmt.Sprintf("%.0f to %.0f rows/s", rs[0].PerSec, rs[len(rs)-1].PerSec)
	return m, nil
}

// copyCeiling is PostgreSQL's binary COPY of the rows into an empty table
// with the same key, in one transaction: only the COPY calls are timed.
func copyCeiling(ctx context.Context, s stack, rows int) (Result, error) {
	t := benchTable("bench", "Ceiling")
	conn, tt, done, err := s.freshTable(ctx, "ceiling", t)
	if err != nil {
		return Result{}, err
	}
	defer done()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Result{}, err
	}
	var took time.Duration
	err = chunks(rows, func(c [][]any) error {
		began := time.Now()
		_, err := tx.CopyFrom(ctx, pgx.Identifier{tt.Schema, tt.Name}, columnNames(tt), pgx.CopyFromRows(c))
		took += time.Since(began)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	began := time.Now()
	if err := tx.Commit(ctx); err != nil {
		return Result{}, err
	}
	took += time.Since(began)
	return Result{What: "PostgreSQL binary COPY into an empty table with the same key (ceiling)", Rows: rows, vsCeiling: true,
		Seconds: took.Seconds(), PerSec: float64(rows) / took.Seconds()}, nil
}

// stagedUpsert is PostgreSQL alone doing the update-heavy workload the way
// the consumer has it done, without the consumer: rows/5 keys copied into
// the empty table, then updated 4 times round by round, each transaction
// of 20,000 rows (BATCH_MAX_EVENTS) a binary COPY into a temporary staging
// table and one INSERT … ON CONFLICT DO UPDATE guarded by the position, as
// the consumer's merge. Only the statements are timed, not the values'
// generation: it is the server's own bound for update-heavy.
func stagedUpsert(ctx context.Context, s stack, rows int) (Result, error) {
	t := benchTable("bench", "Upsert")
	conn, tt, done, err := s.freshTable(ctx, "upsert", t)
	if err != nil {
		return Result{}, err
	}
	defer done()
	names := append(columnNames(tt), apply.PositionColumn)
	quoted := make([]string, len(names))
	var set []string
	for i, n := range names {
		quoted[i] = pgx.Identifier{n}.Sanitize()
		if i > 0 {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%[1]s", quoted[i]))
		}
	}
	cols := strings.Join(quoted, ", ")
	pos := pgx.Identifier{apply.PositionColumn}.Sanitize()
	upsert := fmt.Sprintf("INSERT INTO %s AS t (%s) SELECT %s FROM stage ON CONFLICT (%s) DO UPDATE SET %s WHERE t.%s IS NULL OR t.%s < EXCLUDED.%s",
		tt.Ident(), cols, cols, quoted[0], strings.Join(set, ", "), pos, pos, pos)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TEMPORARY TABLE stage (LIKE %s) ON COMMIT DELETE ROWS", tt.Ident())); err != nil {
		return Result{}, err
	}
	const batch = 20_000
	keys := max(rows/5, 1)
	var took time.Duration
	var seq uint64
	for v := range 5 {
		for lo := 0; lo < keys; lo += batch {
			chunk := make([][]any, 0, batch)
			for id := lo; id < min(lo+batch, keys); id++ {
				seq++
				chunk = append(chunk, append(pgValues(rowValues(int64(id), v)), binary.BigEndian.AppendUint64(nil, seq)))
			}
			began := time.Now()
			tx, err := conn.Begin(ctx)
			if err != nil {
				return Result{}, err
			}
			into := pgx.Identifier{"stage"}
			if v == 0 {
				into = pgx.Identifier{tt.Schema, tt.Name} // new keys: straight in, as the consumer's direct path
			}
			if _, err := tx.CopyFrom(ctx, into, names, pgx.CopyFromRows(chunk)); err != nil {
				_ = tx.Rollback(ctx)
				return Result{}, err
			}
			if v > 0 {
				if _, err := tx.Exec(ctx, upsert); err != nil {
					_ = tx.Rollback(ctx)
					return Result{}, err
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return Result{}, err
			}
			took += time.Since(began)
		}
	}
	n := keys * 5
	return Result{What: "PostgreSQL alone, update-heavy: COPY into staging + INSERT … ON CONFLICT, 20,000 per transaction", Rows: n, vsCeiling: true,
		Seconds: took.Seconds(), PerSec: float64(n) / took.Seconds(),
		Note: "the server's own bound for the consumer's update-heavy: its statements without the consumer"}, nil
}

// rowAtATime is one INSERT … ON CONFLICT DO UPDATE per row, 1,000 rows per
// transaction, as JDBC-style sinks do.
func rowAtATime(ctx context.Context, s stack, db string, rows int) (Result, error) {
	t := benchTable("bench", "Baseline")
	conn, tt, done, err := s.freshTable(ctx, db, t)
	if err != nil {
		return Result{}, err
	}
	defer done()
	names := columnNames(tt)
	var ph, set []string
	for i, n := range names {
		ph = append(ph, "$"+strconv.Itoa(i+1))
		if i > 0 {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", pgx.Identifier{n}.Sanitize(), pgx.Identifier{n}.Sanitize()))
		}
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgx.Identifier{n}.Sanitize()
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s", tt.Ident(),
		strings.Join(quoted, ", "), strings.Join(ph, ", "), quoted[0], strings.Join(set, ", "))
	var took time.Duration
	err = chunks(rows, func(c [][]any) error {
		began := time.Now()
		defer func() { took += time.Since(began) }()
		for i := 0; i < len(c); i += 1000 {
			tx, err := conn.Begin(ctx)
			if err != nil {
				return err
			}
			for _, r := range c[i:min(i+1000, len(c))] {
				if _, err := tx.Exec(ctx, sql, r...); err != nil {
					return err
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{What: "one INSERT … ON CONFLICT per row, 1,000 per transaction (baseline)", Rows: rows, vsCeiling: true, baseline: true, remote: s.via != "",
		Seconds: took.Seconds(), PerSec: float64(rows) / took.Seconds()}, nil
}

// produce writes the workload's events to Kafka the way the producer does
// (publish: Avro encoding with registered schemas, a tombstone after each
// delete, transactions of 5,000 events with a state record), and times it.
// The source's reads are not included: see the note.
func produce(ctx context.Context, s stack, prefix string, w workload, o options) (Result, error) {
	return produceTable(ctx, s, prefix, w.tableFor("bench", strings.ReplaceAll(w.name, "-", "_")), w, w.rowsFor(o), o)
}

// produceTable is produce into the topic of table t, with rows events.
func produceTable(ctx context.Context, s stack, prefix string, t *catalog.Table, w workload, rows int, o options) (Result, error) {
	topic := publish.Topic(prefix, t)
	state := prefix + "._state"
	adm, err := kgo.NewClient(kafka.ClientOpts(s.brokers)...)
	if err != nil {
		return Result{}, err
	}
	defer adm.Close()
	if err := kafka.EnsureTopics(ctx, kadm.NewClient(adm), []kafka.TopicSpec{
		{Name: topic, Partitions: int32(o.partitions), ReplicationFactor: -1, Configs: map[string]*string{"max.message.bytes": &maxMessage}},
		{Name: state, Partitions: 1, ReplicationFactor: -1},
	}); err != nil {
		return Result{}, err
	}
	srcl, err := sr.NewClient(sr.URLs(s.registry))
	if err != nil {
		return Result{}, err
	}
	// The codec the producer would use: KAFKA_COMPRESSION, or its default.
	codec := cmp.Or(os.Getenv("KAFKA_COMPRESSION"), "snappy")
	compression, err := kafka.Compression(codec)
	if err != nil {
		return Result{}, fmt.Errorf("KAFKA_COMPRESSION: %w", err)
	}
	tw, err := kafka.NewTxnWriter(ctx, kafka.TxnConfig{Brokers: s.brokers, TransactionalID: prefix + "-producer-" + t.Name, StateTopic: state,
		Opts: []kgo.Opt{kgo.ProducerBatchMaxBytes(64 << 20), compression}})
	if err != nil {
		return Result{}, err
	}
	defer tw.Close()
	rl := publish.New(publish.Config{TopicPrefix: prefix, StateTopic: state, StateKey: prefix + "-" + t.Name}, avro.NewCodec(srcl, prefix), tw, nil, nil)
	batch := 5000
	if w.table != nil {
		batch = 10 // large values: as the producer's MAX_MESSAGE_BYTES-bound batches would be
	}
	var (
		events []*event.Event
		took   time.Duration
		n      int
	)
	flush := func() error {
		began := time.Now()
		err := rl.Publish(ctx, events, map[string]int{"n": n})
		took += time.Since(began)
		events = events[:0]
		return err
	}
	err = w.events(t, rows, func(e *event.Event) error {
		events = append(events, e)
		n++
		if len(events) == batch {
			return flush()
		}
		return nil
	})
	if err == nil && len(events) > 0 {
		err = flush()
	}
	if err != nil {
		return Result{}, err
	}
	return Result{What: "producer " + w.name + ": events → acknowledged Kafka records", Rows: n, Seconds: took.Seconds(),
		PerSec: float64(n) / took.Seconds(), Note: "Avro encoding and transactional writes (" + codec + "), in-process kfake; source reads not included"}, nil
}

// consume runs the consumer program on the workload's topic into a fresh
// database, from process start until every partition's offset stored in
// the target reaches the end of the topic.
func consume(ctx context.Context, s stack, prefix string, w workload, o options) (Result, error) {
	t := w.tableFor("bench", strings.ReplaceAll(w.name, "-", "_"))
	db := "consumer_" + strings.ReplaceAll(w.name, "-", "_")
	r, err := consumeTopic(ctx, s, o, prefix, publish.Topic(prefix, t), db, "consumer "+w.name+" ("+w.what+")", w.rowsFor(o))
	s.dropDatabase(ctx, db)
	r.vsCeiling = w.table == nil // not the large values: another table
	return r, err
}

// consumeTopic runs the consumer program on topic (named with prefix) into
// a fresh database db, until it stored the topic's end offsets; n events.
func consumeTopic(ctx context.Context, s stack, o options, prefix, topic, db, what string, n int) (Result, error) {
	return consumeTopics(ctx, s, o, prefix, []string{topic}, db, what, n, 1)
}

// consumeTopics runs procs consumer programs in one group on topics into a
// fresh database db, from their start until the offsets stored in the
// target reach the topics' ends; n events. The peak RSS is the largest of
// the processes', the phases their sum.
func consumeTopics(ctx context.Context, s stack, o options, prefix string, topics []string, db, what string, n, procs int) (Result, error) {
	if err := s.pg.CreateDatabase(ctx, db); err != nil {
		return Result{}, err
	}
	adm, err := kgo.NewClient(kafka.ClientOpts(s.brokers)...)
	if err != nil {
		return Result{}, err
	}
	ends, err := kadm.NewClient(adm).ListEndOffsets(ctx, topics...)
	adm.Close()
	if err != nil {
		return Result{}, err
	}
	// Every partition ends with a transaction's commit marker, which
	// the consumer never reads: its stored next offset stops one short.
	var want int64
	ends.Each(func(l kadm.ListedOffset) { want += max(l.Offset-1, 0) })
	type proc struct {
		cmd    *exec.Cmd
		addr   string
		exited chan error
	}
	var ps []proc
	defer func() {
		// A graceful stop first, so that a consumer writes its CPU_PROFILE.
		for _, p := range ps {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range ps {
			select {
			case <-p.exited:
			case <-time.After(10 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
	}()
	began := time.Now()
	for range procs {
		addr, err := freeAddr()
		if err != nil {
			return Result{}, err
		}
		cmd := exec.CommandContext(ctx, o.consumer)
		cmd.Env = append(os.Environ(), consumerEnv(s, prefix, db, addr)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			return Result{}, err
		}
		p := proc{cmd, addr, make(chan error, 1)}
		go func() { p.exited <- cmd.Wait() }()
		ps = append(ps, p)
	}
	conn, err := connectRetry(ctx, s.pg.DSN(db))
	if err != nil {
		return Result{}, err
	}
	defer conn.Close(ctx)
	var rss int64
	var first time.Duration // until the first offsets were stored: start-up, group join, first batch
	sample := func() {
		for _, p := range ps {
			if r := peakRSS(p.cmd.Process.Pid); r > rss {
				rss = r
			}
		}
	}
	for {
		var got int64
		err := conn.QueryRow(ctx, "SELECT coalesce(sum(next_offset), 0)::bigint FROM mssql2adb.consumer_offsets WHERE topic = ANY($1)", topics).Scan(&got)
		if err == nil && got > 0 && first == 0 {
			first = time.Since(began)
		}
		if err == nil && got >= want {
			break
		}
		sample()
		for _, p := range ps {
			select {
			case err := <-p.exited:
				p.exited <- err
				return Result{}, fmt.Errorf("a consumer exited before applying everything: %v", err)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	took := time.Since(began)
	sample()
	var cpu float64
	for _, p := range ps {
		cpu += cpuSeconds(p.cmd.Process.Pid)
	}
	phases := map[string]float64{}
	for _, p := range ps {
		ph, err := scrapePhases(ctx, p.addr)
		if err != nil {
			return Result{}, err
		}
		for k, v := range ph {
			phases[k] += v
		}
	}
	return Result{What: what, Rows: n, Seconds: took.Seconds(), vsCeiling: true, consumer: true, remote: s.via != "",
		PerSec: float64(n) / took.Seconds(), PeakRSS: rss, Phases: phases, CPUSeconds: cpu,
		Note: fmt.Sprintf("events/s, process start to last offset stored; first batch stored at %.1fs; CPU %.1fs (%.1f µs/event)",
			first.Seconds(), cpu, cpu*1e6/float64(max(n, 1)))}, nil
}

func connectRetry(ctx context.Context, dsn string) (*pgx.Conn, error) {
	for try := 0; ; try++ {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil || try == 50 {
			return conn, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cpuSeconds is the CPU time (user and system) the process has used so
// far, 0 when unknown.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0
	}
	return float64(utime+stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// peakRSS is the process's VmHWM in bytes, 0 when unknown.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// scrape calls each with the text after the metric name (labels, then
// the value) of every sample of metric on a program's /metrics.
func scrape(ctx context.Context, addr, metric string, each func(rest string)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("scrape metrics at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), metric); ok && (rest[0] == '{' || rest[0] == ' ') {
			each(rest)
		}
	}
	return sc.Err()
}

// scrapePhases reads mssql2adb_consumer_phase_seconds_total from the
// consumer's /metrics.
func scrapePhases(ctx context.Context, addr string) (map[string]float64, error) {
	out := map[string]float64{}
	err := scrape(ctx, addr, "mssql2adb_consumer_phase_seconds_total", func(rest string) {
		rest, ok := strings.CutPrefix(rest, `{phase="`)
		if !ok {
			return
		}
		if name, val, ok := strings.Cut(rest, `"} `); ok {
			if v, err := strconv.ParseFloat(val, 64); err == nil {
				out[name] = v
			}
		}
	})
	return out, err
}

// scrapeSum is the sum of metric's samples.
func scrapeSum(ctx context.Context, addr, metric string) (float64, error) {
	var sum float64
	err := scrape(ctx, addr, metric, func(rest string) {
		if v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64); err == nil {
			sum += v
		}
	})
	return sum, err
}

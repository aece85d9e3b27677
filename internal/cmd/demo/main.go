// Command demo is `make demo`: on a running stack (dev.env loaded) it creates
// the sample database dtstestdata with dbo.customer and dbo.Student, enables
// CDC, starts one producer and two consumers, drives a live workload while
// the snapshot and the stream run, and ends with a per-table verification.
// It exits 0 only when every table matches, and stops what it started.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/demo"
	"github.com/mssql2adb/mssql2adb/internal/progress"
	"github.com/mssql2adb/mssql2adb/internal/source"
	"github.com/mssql2adb/mssql2adb/internal/verify"
)

type options struct {
	bin                 string
	logs                string
	customers, students int
	shardRows           int
	consumers           int
	duration, timeout   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "directory holding the producer and consumer programs")
	flag.StringVar(&o.logs, "logs", ".devstack", "directory for the programs' logs")
	flag.IntVar(&o.customers, "customers", 100000, "dbo.customer rows seeded before the snapshot")
	flag.IntVar(&o.students, "students", 5000, "dbo.Student rows seeded before the snapshot")
	flag.IntVar(&o.shardRows, "shard-rows", 5000, "rows of each shard, testschema.customer1 and customer2 (the same keys), seeded before the snapshot")
	flag.IntVar(&o.consumers, "consumers", 2, "consumer processes in the group")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "how long the live workload runs")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long to wait for the target to catch up after the workload")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func need(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("%s is not set: run `make up` and `set -a; . ./dev.env; set +a` first, or use `make demo`", name)
	}
	return v, nil
}

func run(ctx context.Context, o options) (bool, error) {
	dsn, err := need("MSSQL_DSN")
	if err != nil {
		return false, err
	}
	targetDSN, err := need("TARGET_DSN")
	if err != nil {
		return false, err
	}
	for _, v := range []string{"KAFKA_BROKERS", "SCHEMA_REGISTRY_URL"} {
		if _, err := need(v); err != nil {
			return false, err
		}
	}
	masterDSN, err := demo.WithDatabase(dsn, "master")
	if err != nil {
		return false, err
	}
	master, err := sql.Open("sqlserver", masterDSN)
	if err != nil {
		return false, err
	}
	defer master.Close()

	step("1/5", "creating %s with dbo.customer, dbo.Student and two shards testschema.customer1 and customer2, CDC enabled", demo.Database)
	db, err := demo.Setup(ctx, master, dsn)
	if err != nil {
		return false, err
	}
	defer db.Close()
	start := time.Now()
	if err := demo.Seed(ctx, db, o.customers, o.students, o.shardRows); err != nil {
		return false, err
	}
	fmt.Printf("      seeded %d customers, %d students and %d rows in each shard in %s\n", o.customers, o.students, o.shardRows, time.Since(start).Round(time.Millisecond))

	pool, err := pgxpool.New(ctx, targetDSN)
	if err != nil {
		return false, fmt.Errorf("TARGET_DSN: %w", err)
	}
	defer pool.Close()

	// The demo creates its database anew every run, so a position saved for
	// an earlier one is stale by construction; and a target that an earlier
	// run (another source database or Kafka cluster) filled is rebuilt
	// rather than mixed with this run's rows.
	producerEnv := []string{"STALE_POSITION=resnapshot", "SOURCE_NAME=" + sourceName}
	mapping := filepath.Join(o.logs, "mapping.yaml")
	if err := os.MkdirAll(o.logs, 0o755); err != nil {
		return false, err
	}
	if err := os.WriteFile(mapping, []byte(demo.Mapping), 0o644); err != nil {
		return false, err
	}
	fmt.Printf("      the consumers merge the shards into %s.%s with __dts_data_source (MAPPING_FILE=%s)\n", demo.ShardSchema, demo.MergedTable, mapping)
	consumerEnv := []string{"MAPPING_FILE=" + mapping}
	earlier, err := earlierRun(ctx, pool)
	if err != nil {
		return false, err
	}
	if len(earlier) > 0 {
		fmt.Printf("      the target holds %s from an earlier run: the consumers rebuild them from this run's topics (STALE_STATE=rebuild),\n"+
			"      each in one transaction, instead of applying this run's rows over them\n", strings.Join(earlier, " and "))
		consumerEnv = append(consumerEnv, "STALE_STATE=rebuild")
	}

	step("2/5", "starting 1 producer and %d consumers (logs in %s)", o.consumers, o.logs)
	dbDSN, _ := demo.WithDatabase(dsn, demo.Database)
	procs := &processes{}
	defer procs.stop()
	producerHTTP, err := freeAddr()
	if err != nil {
		return false, err
	}
	if err := procs.start(filepath.Join(o.bin, "producer"), filepath.Join(o.logs, "producer.log"),
		append(producerEnv, "MSSQL_DSN="+dbDSN, "HTTP_ADDR="+producerHTTP)...); err != nil {
		return false, err
	}
	for i := 1; i <= o.consumers; i++ {
		addr, err := freeAddr()
		if err != nil {
			return false, err
		}
		if err := procs.start(filepath.Join(o.bin, "consumer"), filepath.Join(o.logs, fmt.Sprintf("consumer-%d.log", i)), append(consumerEnv, "HTTP_ADDR="+addr)...); err != nil {
			return false, err
		}
	}

	tables, _, err := source.Discover(ctx, db, source.Config{Database: demo.Database})
	if err != nil {
		return false, err
	}

	step("3/5", "live workload for %s while the snapshot and the stream run", o.duration)
	w := &demo.Workload{DB: db, NextID: int64(max(o.customers, o.students) + 1)}
	wctx, wcancel := context.WithTimeout(ctx, o.duration)
	defer wcancel()
	werr := make(chan error, 1)
	go func() { werr <- w.Run(wctx, uint64(time.Now().UnixNano())) }()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	began := time.Now()
workload:
	for {
		select {
		case err := <-werr:
			if err != nil {
				return false, fmt.Errorf("workload: %w", err)
			}
			break workload
		case <-tick.C:
			if err := procs.check(); err != nil {
				return false, err
			}
			ps, lines := producerStatus(producerHTTP)
			fmt.Printf("      %5.1fs  workload %d txns / %d stmts | %s | target %s\n",
				time.Since(began).Seconds(), w.Txns.Load(), w.Stmts.Load(), ps, targetCounts(ctx, pool, tables))
			printIndented(lines)
		}
	}
	fmt.Printf("      workload done: %d transactions, %d statements\n", w.Txns.Load(), w.Stmts.Load())

	step("4/5", "waiting for the target to match the source (up to %s)", o.timeout)
	deadline := time.Now().Add(o.timeout)
	var results []result
	for {
		if err := procs.check(); err != nil {
			return false, err
		}
		results, err = compare(ctx, db, pool, tables)
		if err != nil {
			return false, err
		}
		if allMatch(results) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		ps, lines := producerStatus(producerHTTP)
		fmt.Printf("      %s | target %s\n", ps, targetCounts(ctx, pool, tables))
		printIndented(lines)
		time.Sleep(time.Second)
	}

	step("5/5", "verification")
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "      TABLE\tSOURCE ROWS\tTARGET ROWS\tSOURCE CHECKSUM\tTARGET CHECKSUM\tRESULT")
	for _, r := range results {
		verdict := "MATCH"
		if !r.diff.Equal() {
			verdict = "DIFF"
		}
		fmt.Fprintf(tw, "      %s\t%d\t%d\t%s\t%s\t%s\n", r.table, r.src.Rows, r.tgt.Rows, r.src.Checksum(), r.tgt.Checksum(), verdict)
	}
	tw.Flush()
	for _, r := range results {
		if !r.diff.Equal() {
			fmt.Printf("      %s: %s\n", r.table, r.diff)
		}
	}
	if !allMatch(results) {
		return false, nil
	}
	fmt.Println("      every table matches")
	return true, nil
}

func step(n, format string, args ...any) {
	fmt.Printf("[%s] %s\n", n, fmt.Sprintf(format, args...))
}

type result struct {
	table    string
	src, tgt *verify.Side
	diff     verify.Diff
}

func allMatch(rs []result) bool {
	for _, r := range rs {
		if !r.diff.Equal() {
			return false
		}
	}
	return len(rs) > 0
}

// sourceName is the demo producer's SOURCE_NAME, the first part of
// __dts_data_source.
const sourceName = "dtsdemo"

// isShard reports whether t is one of the shards merged at the target.
func isShard(t *catalog.Table) bool {
	return t.Schema == demo.ShardSchema && slices.Contains(demo.Shards, t.Name)
}

func compare(ctx context.Context, db *sql.DB, pool *pgxpool.Pool, tables []*catalog.Table) ([]result, error) {
	var out []result
	var shards []*catalog.Table
	for _, t := range tables {
		if isShard(t) {
			shards = append(shards, t)
			continue
		}
		src, err := verify.ReadSource(ctx, db, t, source.ConvertValue)
		if err != nil {
			return nil, err
		}
		tgt, err := verify.ReadTarget(ctx, pool, t)
		if err != nil {
			return nil, err
		}
		out = append(out, result{table: t.Schema + "." + t.Name, src: src, tgt: tgt, diff: verify.Compare(src, tgt, 5)})
	}
	if len(shards) == 0 {
		return out, nil
	}
	// The merged table against the union of the shards, each row with its
	// __dts_data_source.
	merged := *shards[0]
	merged.Name = demo.MergedTable
	merged.Columns = append(slices.Clone(merged.Columns), catalog.Column{Name: "__dts_data_source", Type: "text"})
	merged.PrimaryKey = append(slices.Clone(merged.PrimaryKey), "__dts_data_source")
	keyIdx, err := merged.KeyIndexes()
	if err != nil {
		return nil, err
	}
	src := verify.NewSide()
	for _, t := range shards {
		if err := verify.ReadSourceInto(ctx, db, t, source.ConvertValue, src, keyIdx, sourceName+":"+t.QualifiedName()); err != nil {
			return nil, err
		}
	}
	tgt, err := verify.ReadTarget(ctx, pool, &merged)
	if err != nil {
		return nil, err
	}
	out = append(out, result{table: merged.Schema + "." + merged.Name + " (merged shards)", src: src, tgt: tgt, diff: verify.Compare(src, tgt, 5)})
	return out, nil
}

func targetCounts(ctx context.Context, pool *pgxpool.Pool, tables []*catalog.Table) string {
	var parts []string
	names := [][2]string{}
	for _, t := range tables {
		if !isShard(t) {
			names = append(names, [2]string{t.Schema, t.Name})
		}
	}
	names = append(names, [2]string{demo.ShardSchema, demo.MergedTable})
	for _, n := range names {
		var c int64
		q := fmt.Sprintf(`SELECT count(*) FROM %q.%q`, n[0], n[1])
		if err := pool.QueryRow(ctx, q).Scan(&c); err != nil {
			parts = append(parts, n[1]+" -")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d rows", n[1], c))
	}
	return strings.Join(parts, ", ")
}

// producerStatus summarises the producer's /metrics page: snapshot rows
// done/total while the snapshot runs, then the events written. While the
// snapshot runs it also returns the per-table progress lines the producer
// shows on a terminal (internal/progress).
func producerStatus(addr string) (string, []string) {
	cl := http.Client{Timeout: time.Second}
	resp, err := cl.Get("http://" + addr + "/metrics")
	if err != nil {
		return "producer -", nil
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	perTable := map[string]*source.TableProgress{}
	var order []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "mssql2adb_producer_") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			continue
		}
		m[name] += f
		if _, rest, ok := strings.Cut(line, `{table="`); ok && strings.HasPrefix(name, "mssql2adb_producer_snapshot_table_rows_") {
			table, _, _ := strings.Cut(rest, `"`)
			tp := perTable[table]
			if tp == nil {
				tp = &source.TableProgress{Table: table}
				perTable[table], order = tp, append(order, table)
			}
			if strings.HasSuffix(name, "_done") {
				tp.RowsDone = int64(f)
			} else {
				tp.RowsTotal = int64(f)
			}
		}
	}
	snap := fmt.Sprintf("snapshot %.0f/%.0f rows", m["mssql2adb_producer_snapshot_rows_done"], m["mssql2adb_producer_snapshot_rows_total"])
	var lines []string
	if m["mssql2adb_producer_streaming"] == 1 {
		snap = "snapshot done, streaming"
	} else if len(order) > 0 {
		p := source.Progress{Phase: "snapshot", SnapshotTables: len(order), SnapshotTablesDone: int(m["mssql2adb_producer_snapshot_tables_done"])}
		for _, t := range order {
			tp := *perTable[t]
			tp.Done = tp.RowsTotal > 0 && tp.RowsDone >= tp.RowsTotal
			p.Tables = append(p.Tables, tp)
		}
		lines = snapshotRates.Lines(p, time.Now())
	}
	return fmt.Sprintf("producer %s, %.0f events written", snap, m["mssql2adb_producer_events_total"]), lines
}

func printIndented(lines []string) {
	for _, l := range lines {
		fmt.Printf("        %s\n", l)
	}
}

// snapshotRates keeps the samples producerStatus computes rates from.
var snapshotRates progress.Rates

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// processes are the pipeline programs the demo started.
type processes struct {
	list []*proc
}

type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

func (p *processes) start(path, logPath string, env ...string) error {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return err
	}
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w (run make build)", path, err)
	}
	pr := &proc{cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { pr.done <- cmd.Wait(); f.Close() }()
	p.list = append(p.list, pr)
	return nil
}

// check fails when a program has exited on its own, showing its log's end.
func (p *processes) check() error {
	for _, pr := range p.list {
		select {
		case err := <-pr.done:
			pr.done <- err
			return fmt.Errorf("%s exited (%v); end of %s:\n%s", filepath.Base(pr.cmd.Path), err, pr.log, tail(pr.log, 20))
		default:
		}
	}
	return nil
}

func (p *processes) stop() {
	for _, pr := range p.list {
		_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, pr := range p.list {
		select {
		case err := <-pr.done:
			pr.done <- err
		case <-time.After(15 * time.Second):
			_ = pr.cmd.Process.Kill()
			<-pr.done
		}
	}
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// earlierRun names the demo's target tables that the consumers' bookkeeping
// (in the default TARGET_META_SCHEMA) says an earlier run created.
func earlierRun(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('mssql2adb.table_sources') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("TARGET_DSN: look for an earlier run's bookkeeping: %w", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT target_schema || '.' || target_table FROM mssql2adb.table_sources
		WHERE (target_schema = 'dbo' AND target_table IN ('customer', 'Student')) OR (target_schema = 'testschema' AND target_table = 'customer') ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("TARGET_DSN: look for an earlier run's tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("TARGET_DSN: look for an earlier run's tables: %w", err)
	}
	return names, nil
}

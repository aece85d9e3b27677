package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// The producer's rows are measured from a source: the SQL Server emulator,
// run inside this process, so that bin/producer is a process of its own
// (its RSS is its own) and the emulator's cost can be measured apart, by
// reading the same rows with a bare client.

var _ = mssql.Driver{} // registers "sqlserver" for the bare client

const emulatorPassword = "Bench_Passw0rd"

// source is one source database on the emulator with CDC enabled.
type source struct {
	emu *mssqlemu.Emulator
	db  string
}

func startEmulator(ctx context.Context) (*mssqlemu.Emulator, error) {
	return mssqlemu.Start(ctx, mssqlemu.Config{Addr: "127.0.0.1:0", SAPassword: emulatorPassword,
		CaptureDelay: mssqlemu.DefaultCaptureDelay, Logger: slog.New(slog.DiscardHandler)})
}

func newSource(ctx context.Context, emu *mssqlemu.Emulator, db string) (source, error) {
	for _, q := range []string{"CREATE DATABASE " + db, "ALTER DATABASE " + db + " SET ALLOW_SNAPSHOT_ISOLATION ON"} {
		if err := emu.Exec(ctx, "master", q); err != nil {
			return source{}, err
		}
	}
	s := source{emu: emu, db: db}
	return s, emu.Exec(ctx, db, "EXEC sys.sp_cdc_enable_db")
}

// createTable creates dbo.<name> as benchTable (or largeTable) describes
// it.
func (s source) createTable(ctx context.Context, name string, large bool) error {
	cols := `Id bigint NOT NULL PRIMARY KEY, CustomerId int, Name nvarchar(100), Email nvarchar(200), Amount decimal(18,2),
		Rate float, Active bit, BirthDate date, CreatedAt datetime2(7), Ref uniqueidentifier, Qty smallint, Note nvarchar(400)`
	if large {
		cols = "Id bigint NOT NULL PRIMARY KEY, Doc nvarchar(max)"
	}
	return s.exec(ctx, fmt.Sprintf("CREATE TABLE dbo.%s (%s)", name, cols))
}

// enableCDC captures the changes of dbo.<name> from now on (rows loaded
// before reach Kafka by the snapshot only).
func (s source) enableCDC(ctx context.Context, name string) error {
	return s.exec(ctx, fmt.Sprintf("EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'%s', @role_name = NULL", name))
}

func (s source) exec(ctx context.Context, stmts ...string) error {
	for _, q := range stmts {
		if err := s.emu.Exec(ctx, s.db, q); err != nil {
			return fmt.Errorf("source %s: %s: %w", s.db, firstLine(q), err)
		}
	}
	return nil
}

func firstLine(q string) string {
	if len(q) > 80 {
		q = q[:80] + "…"
	}
	return q
}

// insertRows inserts rows [from, from+n) of rowValues at version 0, 1,000
// per statement (each its own transaction). The next statement's text is
// built while the emulator runs one: built in turn, the text took a fifth
// of a load.
func (s source) insertRows(ctx context.Context, table string, from, n int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stmts := make(chan string, 2)
	go func() {
		defer close(stmts)
		for lo := from; lo < from+n; lo += 1000 {
			select {
			case stmts <- insertStatement(table, lo, min(lo+1000, from+n)):
			case <-ctx.Done():
				return
			}
		}
	}()
	for q := range stmts {
		if err := s.exec(ctx, q); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func insertStatement(table string, lo, hi int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO dbo.%s VALUES ", table)
	for id := lo; id < hi; id++ {
		if id > lo {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for i, v := range rowValues(int64(id), 0) {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(literal(i, v))
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// literal is v, column i of benchTable, as a T-SQL literal.
func literal(col int, v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return "N'" + strings.ReplaceAll(v, "'", "''") + "'"
	case *big.Rat:
		return v.FloatString(2)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Time:
		if benchTable("", "").Columns[col].Type == "date" {
			return v.Format("'2006-01-02'")
		}
		return v.Format("'2006-01-02T15:04:05.0000000'")
	}
	panic(fmt.Sprintf("bench: no literal for %T", v))
}

// updateRows updates every row in [from, from+n), 1,000 per statement:
// n change events of two images each.
func (s source) updateRows(ctx context.Context, table string, from, n int) error {
	for lo := from; lo < from+n; lo += 1000 {
		q := fmt.Sprintf("UPDATE dbo.%s SET Qty = Qty + 1, Name = Name + N'+' WHERE Id >= %d AND Id < %d", table, lo, min(lo+1000, from+n))
		if err := s.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// insertLarge inserts n rows of a largeValueBytes value through a client,
// as parameters.
func (s source) insertLarge(ctx context.Context, table string, n int) error {
	db, err := sql.Open("sqlserver", s.emu.DSN(s.db))
	if err != nil {
		return err
	}
	defer db.Close()
	doc := strings.Repeat("0123456789abcdef", largeValueBytes/16)
	for i := range n {
		v := strconv.Itoa(i) + doc[len(strconv.Itoa(i)):]
		if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO dbo.%s (Id, Doc) VALUES (@p1, @p2)", table), int64(i), v); err != nil {
			return fmt.Errorf("source %s: insert a large row: %w", s.db, err)
		}
	}
	return nil
}

// bareRead reads query's rows with a plain client and discards them: what
// the emulator costs whoever reads the rows, with nothing of ours.
func (s source) bareRead(ctx context.Context, query string) (int, time.Duration, error) {
	db, err := sql.Open("sqlserver", s.emu.DSN(s.db))
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	began := time.Now()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, 0, fmt.Errorf("bare read: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, err
	}
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, 0, err
		}
		n++
	}
	return n, time.Since(began), rows.Err()
}

// producerRun is bin/producer run until it has written want events.
type producerRun struct {
	took    time.Duration
	peakRSS int64
	events  int
}

// runProducer starts the producer program on the source and waits until
// its metric mssql2adb_producer_events_total reaches want, sampling its
// peak RSS; then it stops it.
func runProducer(ctx context.Context, o options, env stack, src source, prefix string, want int, extra ...string) (producerRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return producerRun{}, err
	}
	cmd := exec.CommandContext(ctx, o.producer)
	cmd.Env = append(append(append(os.Environ(), producerEnv(env, o, src, prefix)...), "HTTP_ADDR="+addr), extra...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return producerRun{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	var r producerRun
	for {
		if v := peakRSS(cmd.Process.Pid); v > r.peakRSS {
			r.peakRSS = v
		}
		if n, err := scrapeSum(ctx, addr, "mssql2adb_producer_events_total"); err == nil && int(n) >= want {
			r.events, r.took = int(n), time.Since(began)
			break
		}
		select {
		case err := <-exited:
			exited <- err
			return r, fmt.Errorf("the producer exited before writing %d events: %v", want, err)
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if v := peakRSS(cmd.Process.Pid); v > r.peakRSS {
		r.peakRSS = v
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		exited <- nil
	case <-time.After(30 * time.Second):
	}
	return r, nil
}

// fromSource measures bin/producer on the emulator: the snapshot of a
// table of -snapshot-rows rows, then as many updates streamed from the
// change tables, then a snapshot of -large-rows rows of 3 MB values; with
// the same reads by a bare client next to each, and its peak RSS. The
// snapshot topic is then applied by bin/consumer, for its RSS on a large
// snapshot.
func fromSource(ctx context.Context, env stack, o options, progress func(Result)) error {
	emu, err := startEmulator(ctx)
	if err != nil {
		return fmt.Errorf("start the SQL Server emulator: %w", err)
	}
	defer emu.Close()
	src, err := newSource(ctx, emu, "benchsrc")
	if err != nil {
		return err
	}
	const table, prefix = "Snap", "benchsrc"
	n := o.snapshotRows
	if err := src.createTable(ctx, table, false); err != nil {
		return err
	}
	began := time.Now()
	if err := src.insertRows(ctx, table, 0, n); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: loaded %d rows into the emulator in %.1fs\n", n, time.Since(began).Seconds())
	if err := src.enableCDC(ctx, table); err != nil {
		return err
	}
	read, took, err := src.bareRead(ctx, "SELECT * FROM dbo."+table+" ORDER BY Id")
	if err != nil {
		return err
	}
	progress(Result{What: "emulator alone: the snapshot's rows read by a bare client", Rows: read, Seconds: took.Seconds(),
		PerSec: float64(read) / took.Seconds(), Note: "go-mssqldb, one SELECT, values discarded"})
	snap, err := runProducer(ctx, o, env, src, prefix, n, "TABLES=dbo."+table)
	if err != nil {
		return fmt.Errorf("producer snapshot: %w", err)
	}
	progress(Result{What: "producer snapshot (bin/producer, emulator included)", Rows: snap.events, Seconds: snap.took.Seconds(),
		PerSec: float64(snap.events) / snap.took.Seconds(), PeakRSS: snap.peakRSS,
		Note: producerNote(snap.took, took)})

	if err := src.updateRows(ctx, table, 0, n); err != nil {
		return err
	}
	emu.FlushCapture()
	q := fmt.Sprintf("SELECT * FROM cdc.fn_cdc_get_all_changes_dbo_%s(sys.fn_cdc_get_min_lsn('dbo_%s'), sys.fn_cdc_get_max_lsn(), N'all update old')", table, table)
	read, took, err = src.bareRead(ctx, q)
	if err != nil {
		return err
	}
	progress(Result{What: "emulator alone: the change-table rows read by a bare client", Rows: read, Seconds: took.Seconds(),
		PerSec: float64(read) / took.Seconds(), Note: "both images of each update (2 rows per event)"})
	stream, err := runProducer(ctx, o, env, src, prefix, n, "TABLES=dbo."+table)
	if err != nil {
		return fmt.Errorf("producer streaming: %w", err)
	}
	progress(Result{What: "producer streaming updates from change tables (bin/producer, emulator included)", Rows: stream.events,
		Seconds: stream.took.Seconds(), PerSec: float64(stream.events) / stream.took.Seconds(), PeakRSS: stream.peakRSS,
		Note: producerNote(stream.took, took)})

	cr, err := consumeTopic(ctx, env, o, prefix, prefix+".benchsrc.dbo."+table, "consumer_snapshot", "consumer of the producer's snapshot and updates", 2*n)
	env.dropDatabase(ctx, "consumer_snapshot")
	if err != nil {
		return fmt.Errorf("consume the snapshot: %w", err)
	}
	progress(cr)

	// Fewer large rows than the in-process run: the emulator and kfake
	// both keep them in this process's memory; 50 are many batches.
	if large := min(o.largeRows, 50); large > 0 {
		const table = "Large"
		if err := src.createTable(ctx, table, true); err != nil {
			return err
		}
		if err := src.insertLarge(ctx, table, large); err != nil {
			return err
		}
		if err := src.enableCDC(ctx, table); err != nil {
			return err
		}
		lr, err := runProducer(ctx, o, env, src, prefix+"l", large, "TABLES=dbo."+table)
		if err != nil {
			return fmt.Errorf("producer snapshot of 3 MB values: %w", err)
		}
		progress(Result{What: "producer snapshot of 3 MB values (bin/producer)", Rows: lr.events, Seconds: lr.took.Seconds(),
			PerSec: float64(lr.events) / lr.took.Seconds(), PeakRSS: lr.peakRSS, Note: "for memory"})
	}
	return nil
}

// producerNote says how fast the producer would be without the emulator's
// reads, taking them as not overlapping its own work (an upper bound).
func producerNote(total, emulator time.Duration) string {
	own := total - emulator
	if own <= 0 {
		return fmt.Sprintf("process start to last event counted; the emulator's reads took %.1fs", emulator.Seconds())
	}
	return fmt.Sprintf("process start to last event counted; the emulator's reads took %.1fs of it, the producer's own part %.1fs",
		emulator.Seconds(), own.Seconds())
}

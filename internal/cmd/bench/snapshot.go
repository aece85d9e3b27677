package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/jackc/pgx/v5"
)

// snapshotOnly is the run named snapshot (not in the default list: at the
// size it is meant for, 10,000,000 rows, it takes a quarter of an hour and
// over 10 GiB in this process): -snapshot-rows
// rows loaded into the emulator, snapshotted by bin/producer, the snapshot
// topic applied by bin/consumer into PostgreSQL and the target's rows
// counted; with each program's peak RSS and this process's (the emulator
// and Kafka, which hold the table and the topic).
func snapshotOnly(ctx context.Context, env stack, o options, progress func(Result)) error {
	emu, err := startEmulator(ctx)
	if err != nil {
		return fmt.Errorf("start the SQL Server emulator: %w", err)
	}
	defer emu.Close()
	const db, table, prefix = "benchsnap", "Snap", "benchsnap"
	src, err := newSource(ctx, emu, db)
	if err != nil {
		return err
	}
	if err := src.createTable(ctx, table, false); err != nil {
		return err
	}
	n := o.snapshotRows
	start := time.Now()
	if err := src.insertRows(ctx, table, 0, n); err != nil {
		return err
	}
	load := time.Since(start)
	runtime.GC()
	progress(Result{What: "emulator load (not the connector)", Rows: n, Seconds: load.Seconds(), PerSec: float64(n) / load.Seconds(),
		Note: fmt.Sprintf("INSERT … VALUES of 1,000 rows a statement, parsed and run by the emulator in this process (no TDS); "+
			"the table then took %d MiB of Go heap, %d bytes a row", heapInUse()>>20, heapInUse()/uint64(max(n, 1)))})
	if err := src.enableCDC(ctx, table); err != nil {
		return err
	}
	snap, err := runProducer(ctx, o, env, src, prefix, n, "TABLES=dbo."+table)
	if err != nil {
		return fmt.Errorf("producer snapshot: %w", err)
	}
	progress(Result{What: "producer snapshot only (bin/producer, emulator included)", Rows: snap.events, Seconds: snap.took.Seconds(),
		PerSec: float64(snap.events) / snap.took.Seconds(), PeakRSS: snap.peakRSS, Note: "process start to last event counted"})
	if err := writeHeapProfile(o.heapProfile); err != nil {
		return err
	}
	target := "consumer_snaponly"
	cr, err := consumeTopic(ctx, env, o, prefix, prefix+"."+db+".dbo."+table, target, "consumer of the snapshot only", n)
	if err != nil {
		return fmt.Errorf("consume the snapshot: %w", err)
	}
	got, err := countTargetRows(ctx, env, target, table)
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("the target's table %s holds %d rows after the snapshot of %d", table, got, n)
	}
	cr.Note += fmt.Sprintf("; %d rows counted in the target", got)
	progress(cr)
	self := peakRSS(os.Getpid())
	runtime.GC()
	whole := time.Since(start)
	progress(Result{What: "this process (emulator, Kafka, registry), the whole run", Rows: n, PeakRSS: self,
		Seconds: whole.Seconds(), PerSec: float64(n) / whole.Seconds(),
		Note: fmt.Sprintf("holds the table and the topic; Go heap in use after a collection %d MiB", heapInUse()>>20)})
	return nil
}

// countTargetRows counts the rows of the table the consumer made for the
// source table name in database db.
func countTargetRows(ctx context.Context, env stack, db, name string) (int64, error) {
	conn, err := connectRetry(ctx, env.pg.DSN(db))
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var schema, tbl string
	err = conn.QueryRow(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE lower(table_name) = lower($1) AND table_schema NOT IN ('pg_catalog', 'information_schema', 'mssql2adb')`, name).Scan(&schema, &tbl)
	if err != nil {
		return 0, fmt.Errorf("find the target table for %s in %s: %w", name, db, err)
	}
	var n int64
	q := "SELECT count(*) FROM " + pgx.Identifier{schema, tbl}.Sanitize()
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the rows of %s.%s: %w", schema, tbl, err)
	}
	return n, nil
}

// writeHeapProfile writes this process's heap profile (the emulator and
// Kafka holding the table and the topic) to path, when it is set.
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile %s: %w", path, err)
	}
	return f.Close()
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

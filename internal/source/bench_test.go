package source

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/benchkit"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// BenchmarkSnapshotRowToEvent measures the source's share of the producer's
// path: the values go-mssqldb scans for one row of issue 12's 10-column
// table (int, bigint, two nvarchar, decimal, float, bit, date, datetime2,
// uniqueidentifier) converted to an event.Row and made an event, as
// readChunk and snapRun.read do. publish's BenchmarkPublish measures the rest
// (Avro encoding, Kafka records).
func BenchmarkSnapshotRowToEvent(b *testing.B) {
	tbl := benchkit.Table()
	ts := &tableState{t: tbl, key: "dbo.orders", keyIdx: []int{0}}
	r := NewReader(nil, Config{Name: "bench", Version: "1.0.0"}, []*catalog.Table{tbl})
	scanned := benchkit.Scanned()
	snapLSN, _ := lsn.Parse("0000002a:000001a0:0001")
	now := time.Now().UnixMilli() // once per chunk
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, 1, "row")()
	for b.Loop() {
		row := make(event.Row, len(scanned))
		for i := range scanned {
			v, err := convert(&tbl.Columns[i], scanned[i])
			if err != nil {
				b.Fatal(err)
			}
			row[i] = v
		}
		e := &event.Event{Table: tbl, Op: event.OpRead, After: row, TsMs: now,
			Source: r.sourceBlock(ts, "true", now, lsn.Zero, snapLSN, 0)}
		_ = e
	}
}

// BenchmarkStreamChangeToEvent is BenchmarkSnapshotRowToEvent for the
// change stream: an update's two change-table rows (before and after
// image) made into one event and added to a batch, as poll does.
func BenchmarkStreamChangeToEvent(b *testing.B) {
	tbl := benchkit.Table()
	ts := &tableState{t: tbl, key: "dbo.orders", keyIdx: []int{0}, ords: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	r := NewReader(nil, Config{Name: "bench", Version: "1.0.0"}, []*catalog.Table{tbl})
	commit, _ := lsn.Parse("0000002a:000001a0:0001")
	r.times.m = map[lsn.LSN]int64{commit: 1700000000123}
	const perBatch = 1000
	pos := &Position{}
	bt := batcher{r: r, pos: pos, max: perBatch, emit: func(context.Context, Batch) error { return nil }}
	before := &rawChange{commit: commit, seqval: commit, op: 3, mask: []byte{0xff, 0x03}, vals: benchkit.Scanned()}
	after := &rawChange{commit: commit, seqval: commit, op: 4, mask: []byte{0xff, 0x03}, vals: benchkit.Scanned()}
	ctx := context.Background()
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, 1, "event")()
	i := 0
	for b.Loop() {
		ch, _, err := buildChange(0, ts, before, after)
		if err != nil {
			b.Fatal(err)
		}
		if err := bt.add(ctx, ch); err != nil {
			b.Fatal(err)
		}
		if i++; i%perBatch == 0 {
			if err := bt.finish(ctx); err != nil {
				b.Fatal(err)
			}
			bt.commit = lsn.Zero
		}
	}
}

// BenchmarkSnapshotReaders snapshots a 20,000-row table in chunks of 1,000
// rows with one reader and with four (key ranges read at once), against
// the in-repo emulator (or MSSQL_DSN), and reports rows per second: how
// much SNAPSHOT_PARALLELISM gains where the source, not this process, is
// the limit. Against the emulator four readers gain nothing: it runs one
// statement at a time under its engine lock and scans the table for every
// chunk (the CPU per row, emulator included, is alike), so only a real SQL
// Server shows the gain.
func BenchmarkSnapshotReaders(b *testing.B) {
	const rows = 20000
	e := newEnv(b, true)
	e.exec(`CREATE TABLE dbo.big (id int NOT NULL PRIMARY KEY, v nvarchar(40) NULL, amount decimal(12,2) NULL)`)
	for from := 0; from < rows; from += 500 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO dbo.big (id, v, amount) VALUES ")
		for i := from; i < from+500; i++ {
			if i > from {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, N'value %d', %d.25)", i+1, i, i)
		}
		e.exec(sb.String())
	}
	e.enableTable("big", "")
	tables, _, err := Discover(context.Background(), e.db, e.config())
	if err != nil {
		b.Fatal(err)
	}
	for _, readers := range []int{1, 4} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			cfg := e.config()
			cfg.SnapshotChunkRows, cfg.MaxBatchEvents, cfg.SnapshotParallelism = 1000, 1000, readers
			cfg.NoStream, cfg.Logger = true, slog.New(slog.DiscardHandler)
			done := benchkit.ReportCPU(b, rows, "row")
			for b.Loop() {
				n := 0
				err := NewReader(e.db, cfg, tables).Run(context.Background(), Position{}, func(_ context.Context, bt Batch) error {
					n += len(bt.Events)
					return nil
				})
				if err != nil || n != rows {
					b.Fatalf("snapshot read %d rows (%v), want %d", n, err, rows)
				}
			}
			done()
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

package source

import (
	"context"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/cputime"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// BenchmarkSnapshotRowToEvent measures the source's share of the producer's
// path: the values go-mssqldb scans for one row of issue 12's 10-column
// table (int, bigint, two nvarchar, decimal, float, bit, date, datetime2,
// uniqueidentifier) converted to an event.Row and made an event, as
// readChunk and snapshotTable do. relay's BenchmarkHandle measures the rest
// (Avro encoding, Kafka records).
func BenchmarkSnapshotRowToEvent(b *testing.B) {
	tbl := benchTable()
	ts := &tableState{t: tbl, key: "dbo.orders", keyIdx: []int{0}}
	r := NewReader(nil, Config{Name: "bench", Version: "1.0.0"}, []*catalog.Table{tbl})
	scanned := benchScanned()
	snapLSN, _ := lsn.Parse("0000002a:000001a0:0001")
	now := time.Now().UnixMilli() // once per chunk
	b.ReportAllocs()
	defer cputime.Report(b, 1, "row")()
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

// benchTable is issue 12's 10-column table.
func benchTable() *catalog.Table {
	return &catalog.Table{Database: "bench", Schema: "dbo", Name: "orders", CaptureInstance: "dbo_orders",
		Columns: []catalog.Column{
			{Name: "id", Type: "int", Precision: 10},
			{Name: "customer_id", Type: "bigint", Precision: 19, Nullable: true},
			{Name: "name", Type: "nvarchar", Length: 100, Nullable: true},
			{Name: "note", Type: "nvarchar", Length: 400, Nullable: true},
			{Name: "amount", Type: "decimal", Precision: 18, Scale: 2, Nullable: true},
			{Name: "score", Type: "float", Precision: 53, Nullable: true},
			{Name: "active", Type: "bit", Precision: 1, Nullable: true},
			{Name: "born", Type: "date", Nullable: true},
			{Name: "updated_at", Type: "datetime2", Scale: 7, Nullable: true},
			{Name: "ref", Type: "uniqueidentifier", Nullable: true},
		},
		PrimaryKey: []string{"id"}}
}

// benchScanned is what go-mssqldb's Scan into *any yields for a row of
// benchTable.
func benchScanned() []any {
	return []any{int64(42), int64(294), "customer 42", "a note of some forty characters or so....", []byte("1234.25"),
		float64(14), true, time.Date(1990, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC),
		[]byte{0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}}
}

// BenchmarkStreamChangeToEvent is BenchmarkSnapshotRowToEvent for the
// change stream: an update's two change-table rows (before and after
// image) made into one event and added to a batch, as poll does.
func BenchmarkStreamChangeToEvent(b *testing.B) {
	tbl := benchTable()
	ts := &tableState{t: tbl, key: "dbo.orders", keyIdx: []int{0}, ords: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	r := NewReader(nil, Config{Name: "bench", Version: "1.0.0"}, []*catalog.Table{tbl})
	commit, _ := lsn.Parse("0000002a:000001a0:0001")
	r.times.m = map[lsn.LSN]int64{commit: 1700000000123}
	const perBatch = 1000
	pos := &Position{}
	bt := batcher{r: r, pos: pos, max: perBatch, emit: func(context.Context, Batch) error { return nil }}
	before := &rawChange{commit: commit, seqval: commit, op: 3, mask: []byte{0xff, 0x03}, vals: benchScanned()}
	after := &rawChange{commit: commit, seqval: commit, op: 4, mask: []byte{0xff, 0x03}, vals: benchScanned()}
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.Report(b, 1, "event")()
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

package apply

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// BenchmarkApply applies 10,000-row batches of upserts (half new keys, half
// updates of the previous batch's keys) and reports rows per second.
func BenchmarkApply(b *testing.B) {
	const rows = 10000
	tbl := &catalog.Table{Database: "db", Schema: "bench", Name: "Orders", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{
			{Name: "Id", Ordinal: 1, Type: "bigint"},
			{Name: "Customer", Ordinal: 2, Type: "nvarchar", Length: 100, Nullable: true},
			{Name: "Amount", Ordinal: 3, Type: "decimal", Precision: 18, Scale: 2, Nullable: true},
			{Name: "CreatedAt", Ordinal: 4, Type: "datetime2", Scale: 7, Nullable: true},
			{Name: "Note", Ordinal: 5, Type: "nvarchar", Length: catalog.MaxLength, Nullable: true},
		}}
	a, _ := newApplier(b)
	mk := func(n int) Batch {
		events := make([]*event.Event, rows)
		base := int64(n * rows / 2)
		for i := range events {
			id := base + int64(i)
			events[i] = ev(tbl, event.OpCreate, uint32(n*rows+i+1), nil, event.Row{
				id, fmt.Sprintf("customer %d", id), big.NewRat(id*101, 100),
				time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Second), "some note",
			})
		}
		return batch("bench", int64(n*rows), events...)
	}
	mustApply(b, a, mk(0))
	b.ResetTimer()
	for n := 1; n <= b.N; n++ {
		b.StopTimer()
		bt := mk(n)
		b.StartTimer()
		mustApply(b, a, bt)
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

// Package benchkit is what the producer's package benchmarks share: issue
// 12's 10-column table, and the CPU time a benchmark used, reported next to
// Go's wall-clock ns/op: on a shared machine (two cores, several test runs)
// the wall clock measures the neighbours as much as the code, while the
// process's user and system time per operation does not.
package benchkit

import (
	"fmt"
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// Table is the 10-column table of issue 12's measurements: int, bigint,
// two nvarchar, decimal, float, bit, date, datetime2 and uniqueidentifier.
func Table() *catalog.Table {
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

// Row is row i of Table as an event.Row.
func Row(i int) event.Row {
	return event.Row{int64(i), int64(i * 7), fmt.Sprintf("customer %d", i), "a note of some forty characters or so....",
		big.NewRat(int64(i)*100+25, 100), float64(i) / 3, i%2 == 0, time.Date(1990, 1, 1+i%28, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC), "6F9619FF-8B86-D011-B42D-00C04FC964FF"}
}

// Scanned is what go-mssqldb's Scan into *any yields for row 42 of Table.
func Scanned() []any {
	return []any{int64(42), int64(294), "customer 42", "a note of some forty characters or so....", []byte("1234.25"),
		float64(14), true, time.Date(1990, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC),
		[]byte{0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF}}
}

// Process returns the user plus system CPU time the process has used so
// far (garbage collection and every goroutine included).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportCPU starts counting CPU time for b; call the returned function after
// the benchmark loop to report the CPU nanoseconds per unit, where perOp
// units make one operation (events in a batch, say).
func ReportCPU(b *testing.B, perOp int, unit string) func() {
	b.Helper()
	start := Process()
	return func() {
		used := Process() - start
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N*perOp), "cpu-ns/"+unit)
	}
}

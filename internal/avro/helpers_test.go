package avro

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata and TYPES.md")

const testPrefix = "srv1"

// allTypesTable has one column of every supported type, with the details
// sys.columns reports, and two names that need sanitising.
func allTypesTable() *catalog.Table {
	cs := []catalog.Column{
		{Name: "id", Type: "int", Precision: 10, Identity: true},
		{Name: "b", Type: "bit", Precision: 1, Nullable: true},
		{Name: "ti", Type: "tinyint", Precision: 3, Nullable: true},
		{Name: "si", Type: "smallint", Precision: 5, Nullable: true},
		{Name: "i", Type: "int", Precision: 10, Nullable: true},
		{Name: "bi", Type: "bigint", Precision: 19, Nullable: true},
		{Name: "d", Type: "decimal", Precision: 18, Scale: 4, Nullable: true},
		{Name: "dmax", Type: "decimal", Precision: 38, Scale: 0, Nullable: true},
		{Name: "dfrac", Type: "decimal", Precision: 38, Scale: 38, Nullable: true},
		{Name: "n", Type: "numeric", Precision: 10, Scale: 2, Nullable: true},
		{Name: "m", Type: "money", Precision: 19, Scale: 4, Nullable: true},
		{Name: "sm", Type: "smallmoney", Precision: 10, Scale: 4, Nullable: true},
		{Name: "f", Type: "float", Precision: 53, Nullable: true},
		{Name: "r", Type: "real", Precision: 24, Nullable: true},
		{Name: "c", Type: "char", Length: 10, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "vc", Type: "varchar", Length: 50, Collation: "Chinese_PRC_CI_AS", Nullable: true},
		{Name: "nc", Type: "nchar", Length: 10, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "nvc", Type: "nvarchar", Length: 100, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "vmax", Type: "varchar", Length: catalog.MaxLength, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "nvmax", Type: "nvarchar", Length: catalog.MaxLength, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: false},
		{Name: "txt", Type: "text", Length: 16, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "ntxt", Type: "ntext", Length: 16, Collation: "SQL_Latin1_General_CP1_CI_AS", Nullable: true},
		{Name: "x", Type: "xml", Length: catalog.MaxLength, Nullable: true},
		{Name: "bin", Type: "binary", Length: 4, Nullable: true},
		{Name: "vbin", Type: "varbinary", Length: 100, Nullable: true},
		{Name: "vbmax", Type: "varbinary", Length: catalog.MaxLength, Nullable: true},
		{Name: "img", Type: "image", Length: 16, Nullable: true},
		{Name: "g", Type: "uniqueidentifier", Nullable: true},
		{Name: "dt", Type: "date", Precision: 10, Nullable: true},
		{Name: "t0", Type: "time", Precision: 8, Scale: 0, Nullable: true},
		{Name: "t3", Type: "time", Precision: 12, Scale: 3, Nullable: true},
		{Name: "t7", Type: "time", Precision: 16, Scale: 7, Nullable: true},
		{Name: "dtm", Type: "datetime", Precision: 23, Scale: 3, Nullable: true},
		{Name: "sdt", Type: "smalldatetime", Precision: 16, Nullable: true},
		{Name: "dt2", Type: "datetime2", Precision: 27, Scale: 7, Nullable: true},
		{Name: "dt2_3", Type: "datetime2", Precision: 23, Scale: 3, Nullable: true},
		{Name: "dto", Type: "datetimeoffset", Precision: 34, Scale: 7, Nullable: true},
		{Name: "dto0", Type: "datetimeoffset", Precision: 26, Scale: 0, Nullable: true},
		{Name: "Order Date", Type: "date", Precision: 10, Nullable: true},
		{Name: "名字", Type: "nvarchar", Length: 20, Collation: "Chinese_PRC_CI_AS", Nullable: true},
	}
	for i := range cs {
		cs[i].Ordinal = i + 1
	}
	cs[len(cs)-1].Ordinal = 45 // ordinals need not be dense (dropped columns)
	return &catalog.Table{
		Database: "Sales-DB", Schema: "dbo", Name: "AllTypes",
		Columns: cs, PrimaryKey: []string{"id"}, CaptureInstance: "dbo_AllTypes",
	}
}

// compositeKeyTable has a two-column key in an order unlike the columns'.
func compositeKeyTable() *catalog.Table {
	return &catalog.Table{
		Database: "inventory", Schema: "sales", Name: "order_lines",
		Columns: []catalog.Column{
			{Name: "line", Ordinal: 1, Type: "smallint", Precision: 5},
			{Name: "order_id", Ordinal: 2, Type: "uniqueidentifier"},
			{Name: "qty", Ordinal: 3, Type: "decimal", Precision: 9, Scale: 3},
			{Name: "note", Ordinal: 4, Type: "nvarchar", Length: catalog.MaxLength, Nullable: true, Collation: "Latin1_General_100_CI_AS_SC_UTF8"},
		},
		PrimaryKey:      []string{"order_id", "line"},
		CaptureInstance: "sales_order_lines",
	}
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rat " + s)
	}
	return r
}

func wall(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func clock(h, m, s, ns int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(ns)
}

// newRegistry starts a fake Schema Registry and returns a client for it and
// a counter of the requests it served.
func newRegistry(t testing.TB) (*srfake.Registry, *sr.Client, *atomic.Int64) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	var n atomic.Int64
	reg.Intercept(func(http.ResponseWriter, *http.Request) bool { n.Add(1); return false })
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return reg, cl, &n
}

// sameValue compares two event.Row values exactly, by their documented types.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case time.Time:
		y, ok := b.(time.Time)
		if !ok || !x.Equal(y) {
			return false
		}
		_, ox := x.Zone()
		_, oy := y.Zone()
		return ox == oy
	}
	if event.IsUnchanged(a) {
		return event.IsUnchanged(b)
	}
	return a == b
}

func diffRows(t *testing.T, what string, tbl *catalog.Table, got, want event.Row) {
	t.Helper()
	if (got == nil) != (want == nil) || len(got) != len(want) {
		t.Fatalf("%s: got %d values (nil %v), want %d (nil %v)", what, len(got), got == nil, len(want), want == nil)
	}
	for i := range want {
		if !sameValue(got[i], want[i]) {
			t.Errorf("%s column %s: got %s (%T), want %s (%T)", what, tbl.Columns[i].Name, show(got[i]), got[i], show(want[i]), want[i])
		}
	}
}

func show(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano) + " " + x.Location().String()
	case *big.Rat:
		return ratText(x)
	case []byte:
		return valueText(x)
	}
	return fmt.Sprintf("%v", v)
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated text (run go test -update after checking the change):\n--- got\n%s", path, got)
	}
}

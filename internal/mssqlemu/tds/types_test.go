package tds

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// wantTyped is what go-mssqldb returns for typedValues, column by column.
func wantTyped() map[string]any {
	plus2 := time.FixedZone("", 2*3600)
	return map[string]any{
		"bit":            true,
		"tinyint":        int64(255),
		"smallint":       int64(-32768),
		"int":            int64(-2147483648),
		"bigint":         int64(9223372036854775807),
		"decimal":        []byte("-12345678901234567890123456789012.3456"),
		"numeric":        []byte("12345.67"),
		"money":          []byte("-922337203685477.5808"),
		"smallmoney":     []byte("-214748.3648"),
		"float":          3.5,
		"real":           -1.25,
		"char":           "ab   ",
		"varchar":        "café €",
		"varcharmax":     strings.Repeat("x", 9000),
		"nchar":          "é😀",
		"nvarchar":       "naïve 😀",
		"nvarcharmax":    strings.Repeat("ü", 5000),
		"text":           "text ©",
		"ntext":          "ntext 😀",
		"binary":         []byte{1, 2, 0, 0},
		"varbinary":      []byte{0xDE, 0xAD},
		"varbinarymax":   make([]byte, 9000),
		"image":          []byte{9, 8, 7},
		"guid":           []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF},
		"date":           time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"time":           time.Date(1, 1, 1, 13, 14, 15, 123456700, time.UTC),
		"datetime":       time.Date(2024, 2, 29, 1, 0, 0, 500_000_000, time.UTC),
		"datetime2":      time.Date(2024, 2, 29, 23, 59, 59, 123_000_000, time.UTC),
		"smalldatetime":  time.Date(2024, 2, 29, 1, 1, 0, 0, time.UTC),
		"datetimeoffset": time.Date(2024, 3, 1, 0, 0, 0, 0, plus2),
		"xml":            "<a>😀</a>",
		"rowversion":     []byte{0, 0, 0, 0, 0, 0, 0x07, 0xD1},
		"hierarchyid":    []byte{0x58},
		"variant":        int64(42),
		"geometry":       []byte{0, 0, 0, 0, 1, 4},
		"geography":      []byte{0xE6, 0x10, 0, 0, 1, 0x0C},
		"sysname":        "sys_name",
	}
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) {
			return false
		}
		_, go1 := g.Zone()
		_, wo := w.Zone()
		return go1 == wo
	case []byte:
		g, ok := got.([]byte)
		return ok && bytes.Equal(g, w)
	}
	return reflect.DeepEqual(got, want)
}

func TestEveryTypeDecodesInGoMssqldb(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	for _, v := range []struct{ name, params string }{dsnVariants[0], dsnVariants[3]} {
		t.Run(v.name, func(t *testing.T) {
			db := openDB(t, addr, v.params)
			for _, cmd := range []string{"types now", "nulls now"} {
				rows, err := db.QueryContext(context.Background(), cmd)
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				names, err := rows.Columns()
				if err != nil {
					t.Fatal(err)
				}
				if !rows.Next() {
					t.Fatalf("%s: no row: %v", cmd, rows.Err())
				}
				vals := make([]any, len(names))
				ptrs := make([]any, len(names))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatalf("%s: scan: %v", cmd, err)
				}
				_ = rows.Close()
				want := wantTyped()
				if len(names) != len(want) {
					t.Fatalf("%d columns, want %d", len(names), len(want))
				}
				for i, n := range names {
					w := want[n]
					if cmd == "nulls now" {
						w = nil
					}
					if !sameValue(vals[i], w) {
						t.Errorf("%s column %s = %#v (%T), want %#v", cmd, n, vals[i], vals[i], w)
					}
				}
			}
		})
	}
}

func TestColumnTypeNames(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	rows, err := db.QueryContext(context.Background(), "types now")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bit": "BIT", "tinyint": "TINYINT", "bigint": "BIGINT", "decimal": "DECIMAL", "money": "MONEY",
		"smallmoney": "SMALLMONEY", "real": "REAL", "char": "CHAR", "varchar": "VARCHAR", "varcharmax": "VARCHAR",
		"nchar": "NCHAR", "nvarcharmax": "NVARCHAR", "text": "TEXT", "ntext": "NTEXT", "image": "IMAGE",
		"guid": "UNIQUEIDENTIFIER", "date": "DATE", "time": "TIME", "datetime": "DATETIME", "datetime2": "DATETIME2",
		"smalldatetime": "SMALLDATETIME", "datetimeoffset": "DATETIMEOFFSET", "xml": "XML", "rowversion": "BINARY",
		"variant": "SQL_VARIANT", "binary": "BINARY", "varbinary": "VARBINARY",
	}
	for _, ct := range cts {
		if w, ok := want[ct.Name()]; ok && ct.DatabaseTypeName() != w {
			t.Errorf("column %s: type %s, want %s", ct.Name(), ct.DatabaseTypeName(), w)
		}
	}
	for _, ct := range cts {
		if ct.Name() == "decimal" {
			p, s, ok := ct.DecimalSize()
			if !ok || p != 38 || s != 4 {
				t.Errorf("decimal size = %d,%d,%v; want 38,4", p, s, ok)
			}
		}
		if ct.Name() == "varchar" {
			if n, ok := ct.Length(); !ok || n != 20 {
				t.Errorf("varchar length = %d,%v; want 20", n, ok)
			}
		}
	}
}

func TestServerCollationCodePage(t *testing.T) {
	cyrillic := sqltypes.Collation{Name: "Cyrillic_General_CI_AS", LCID: 0x0419, CodePage: 1251}
	_, addr := startServer(t, Config{Collation: cyrillic}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	var s string
	if err := db.QueryRowContext(context.Background(), "varchar Привет, мир €").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if s != "Привет, мир €" {
		t.Fatalf("got %q through code page 1251", s)
	}
	// Characters outside the code page become '?', as SQL Server stores them.
	if err := db.QueryRowContext(context.Background(), "varchar ü 😀").Scan(&s); err != nil {
		t.Fatal(err)
	}
	if s != "? ?" {
		t.Fatalf("got %q, want \"? ?\"", s)
	}
}

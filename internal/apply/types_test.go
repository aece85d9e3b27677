package apply

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rat " + s)
	}
	return r
}

// TestEveryTypeLandsExactly writes each type's edge values and reads them
// back as PostgreSQL text.
func TestEveryTypeLandsExactly(t *testing.T) {
	plus14 := time.FixedZone("+14:00", 14*3600)
	minus14 := time.FixedZone("-14:00", -14*3600)
	tests := []struct {
		col  catalog.Column
		vals []any
		want []string // PostgreSQL's text form of each value
	}{
		{catalog.Column{Type: "bit"}, []any{true, false}, []string{"true", "false"}},
		{catalog.Column{Type: "tinyint"}, []any{int64(0), int64(255)}, []string{"0", "255"}},
		{catalog.Column{Type: "smallint"}, []any{int64(math.MinInt16), int64(math.MaxInt16)}, []string{"-32768", "32767"}},
		{catalog.Column{Type: "int"}, []any{int64(math.MinInt32), int64(math.MaxInt32)}, []string{"-2147483648", "2147483647"}},
		{catalog.Column{Type: "bigint"}, []any{int64(math.MinInt64), int64(math.MaxInt64)}, []string{"-9223372036854775808", "9223372036854775807"}},
		{catalog.Column{Type: "decimal", Precision: 38, Scale: 10},
			[]any{rat("9999999999999999999999999999.9999999999"), rat("-0.0000000001"), rat("0")},
			[]string{"9999999999999999999999999999.9999999999", "-0.0000000001", "0.0000000000"}},
		{catalog.Column{Type: "decimal", Precision: 18, Scale: 2},
			[]any{rat("12345.67"), rat("-0.05"), rat("100000000.5"), rat("9999999999999999.99")},
			[]string{"12345.67", "-0.05", "100000000.50", "9999999999999999.99"}},
		{catalog.Column{Type: "decimal", Precision: 18, Scale: 18}, []any{rat("0.000000000000000001"), rat("-0.123456789012345678")},
			[]string{"0.000000000000000001", "-0.123456789012345678"}},
		{catalog.Column{Type: "numeric", Precision: 38, Scale: 0},
			[]any{rat("-99999999999999999999999999999999999999")}, []string{"-99999999999999999999999999999999999999"}},
		{catalog.Column{Type: "money"}, []any{rat("-922337203685477.5808"), rat("922337203685477.5807")},
			[]string{"-922337203685477.5808", "922337203685477.5807"}},
		{catalog.Column{Type: "smallmoney"}, []any{rat("-214748.3648"), rat("214748.3647")}, []string{"-214748.3648", "214748.3647"}},
		{catalog.Column{Type: "float"}, []any{-math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1},
			[]string{"-1.7976931348623157e+308", "5e-324", "0.1"}},
		{catalog.Column{Type: "real"}, []any{float32(math.MaxFloat32), float32(-1.17549435e-38), float32(0.1)},
			[]string{"3.4028235e+38", "-1.1754944e-38", "0.1"}},
		{catalog.Column{Type: "char", Length: 5}, []any{"ab   ", "abcde"}, []string{"ab   ", "abcde"}},
		{catalog.Column{Type: "nchar", Length: 3}, []any{"é中x"}, []string{"é中x"}},
		{catalog.Column{Type: "varchar", Length: 10}, []any{"", "a'b\"c\\d"}, []string{"", "a'b\"c\\d"}},
		{catalog.Column{Type: "nvarchar", Length: catalog.MaxLength}, []any{strings.Repeat("ü😀", 50000)}, []string{strings.Repeat("ü😀", 50000)}},
		{catalog.Column{Type: "text"}, []any{"line\nbreak\ttab"}, []string{"line\nbreak\ttab"}},
		{catalog.Column{Type: "ntext"}, []any{"日本語"}, []string{"日本語"}},
		{catalog.Column{Type: "xml"}, []any{`<a b="1">x &amp; y</a><c/>`}, []string{`<a b="1">x &amp; y</a><c/>`}},
		{catalog.Column{Type: "binary", Length: 4}, []any{[]byte{0, 0xff, 0, 1}}, []string{`\x00ff0001`}},
		{catalog.Column{Type: "varbinary", Length: catalog.MaxLength}, []any{[]byte{}, []byte{0xde, 0xad}}, []string{`\x`, `\xdead`}},
		{catalog.Column{Type: "image"}, []any{[]byte{1, 2, 3}}, []string{`\x010203`}},
		{catalog.Column{Type: "uniqueidentifier"}, []any{"6F9619FF-8B86-D011-B42D-00C04FC964FF"}, []string{"6F9619FF-8B86-D011-B42D-00C04FC964FF"}},
		{catalog.Column{Type: "date"}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
			[]string{"0001-01-01", "9999-12-31"}},
		{catalog.Column{Type: "time", Scale: 7}, []any{time.Duration(0), 24*time.Hour - 100*time.Nanosecond},
			[]string{"00:00:00", "23:59:59.999999"}},
		{catalog.Column{Type: "time", Scale: 3}, []any{12*time.Hour + 345*time.Millisecond}, []string{"12:00:00.345"}},
		{catalog.Column{Type: "datetime"}, []any{time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 997e6, time.UTC), time.Date(2020, 1, 1, 0, 0, 0, 3333333, time.UTC)},
			[]string{"1753-01-01 00:00:00", "9999-12-31 23:59:59.997", "2020-01-01 00:00:00.003"}},
		{catalog.Column{Type: "datetime2", Scale: 7}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC)},
			[]string{"0001-01-01 00:00:00", "9999-12-31 23:59:59.999999"}},
		{catalog.Column{Type: "smalldatetime"}, []any{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC)},
			[]string{"1900-01-01 00:00:00", "2079-06-06 23:59:00"}},
		{catalog.Column{Type: "datetimeoffset", Scale: 7}, []any{time.Date(1, 1, 1, 0, 0, 0, 0, plus14),
			time.Date(9999, 12, 31, 23, 59, 59, 999999900, minus14), time.Date(2024, 2, 29, 12, 0, 0, 0, plus14),
			time.Date(2024, 5, 1, 10, 20, 30, 123456500, minus14), time.Date(2024, 5, 1, 10, 20, 30, 123456400, plus14)},
			[]string{"0001-12-31 10:00:00+00 BC", "10000-01-01 13:59:59.999999+00", "2024-02-28 22:00:00+00",
				"2024-05-02 00:20:30.123457+00", "2024-04-30 20:20:30.123456+00"}},
	}
	tbl := &catalog.Table{Database: "db", Schema: "types", Name: "AllTypes", PrimaryKey: []string{"id"},
		Columns: []catalog.Column{{Name: "id", Ordinal: 1, Type: "int"}}}
	rows := 0
	for i, tt := range tests {
		c := tt.col
		c.Name = c.TypeString()
		c.Ordinal = i + 2
		c.Nullable = true
		tbl.Columns = append(tbl.Columns, c)
		rows = max(rows, len(tt.vals))
	}
	var events []*event.Event
	for r := 0; r <= rows; r++ { // the last row is all NULL
		vals := event.Row{int64(r)}
		for _, tt := range tests {
			var v any
			if r < len(tt.vals) {
				v = tt.vals[r]
			}
			vals = append(vals, v)
		}
		events = append(events, ev(tbl, event.OpRead, 1, nil, vals))
	}
	a, pool := newApplier(t)
	mustApply(t, a, batch("types", 0, events...))
	for i, tt := range tests {
		name := tbl.Columns[i+1].Name
		t.Run(name, func(t *testing.T) {
			// ::text trims char(n)'s blanks; pgx reads bpchar as sent, padded.
			expr := quote(name) + `::text`
			if tt.col.Type == "char" || tt.col.Type == "nchar" {
				expr = quote(name)
			}
			q := `SELECT coalesce(` + expr + `, 'NULL') FROM types."AllTypes" ORDER BY id`
			got, err := pool.Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			var vals []string
			for got.Next() {
				var s string
				if err := got.Scan(&s); err != nil {
					t.Fatal(err)
				}
				vals = append(vals, s)
			}
			if err := got.Err(); err != nil {
				t.Fatal(err)
			}
			for r := 0; r <= rows; r++ {
				want := "NULL"
				if r < len(tt.want) {
					want = tt.want[r]
				}
				if vals[r] != want {
					g, w := vals[r], want
					if len(g) > 80 {
						g, w = g[:80]+"…", w[:min(80, len(w))]+"…"
					}
					t.Errorf("row %d: got %q, want %q", r, g, w)
				}
			}
		})
	}
}

func TestRatToNumericRounds(t *testing.T) {
	tests := []struct {
		in    string
		scale int
		want  string
	}{
		{"1/3", 4, "0.3333"}, {"2/3", 4, "0.6667"}, {"-2/3", 4, "-0.6667"}, {"5/2", 0, "3"}, {"-5/2", 0, "-3"}, {"12.5", 2, "12.50"},
		// Exact values, the int64 path and past it.
		{"-1234567.89", 2, "-1234567.89"}, {"0", 4, "0.0000"}, {"7/20", 4, "0.3500"},
		{"92233720368547758.07", 2, "92233720368547758.07"}, {"92233720368547758.08", 2, "92233720368547758.08"},
		{"-922337203685477580.8", 2, "-922337203685477580.80"}, {"123456789012345678901234567.5", 1, "123456789012345678901234567.5"},
	}
	for _, tt := range tests {
		n := ratToNumeric(rat(tt.in), tt.scale)
		v, err := n.Value()
		if err != nil || v != tt.want {
			t.Errorf("ratToNumeric(%s, %d) = %v, %v; want %s", tt.in, tt.scale, v, err, tt.want)
		}
	}
}

func TestBadValueNamesTheColumn(t *testing.T) {
	a, _ := newApplier(t)
	tbl := people()
	err := a.Apply(context.Background(), batch("t", 0, ev(tbl, event.OpCreate, 1, nil, row(int64(1), 42, nil))))
	if err == nil || !strings.Contains(err.Error(), `"Name"`) || !strings.Contains(err.Error(), "int") {
		t.Errorf("want an error naming column Name and the Go type, got %v", err)
	}
	if offs, _ := a.Offsets(context.Background(), group, "t"); len(offs) != 0 {
		t.Errorf("offsets stored after a failed batch: %v", offs)
	}
}

func TestNULCharacters(t *testing.T) {
	for _, strip := range []bool{false, true} {
		t.Run(fmt.Sprint("strip=", strip), func(t *testing.T) {
			_, pool := newApplier(t)
			a, err := New(context.Background(), pool, Config{StripNUL: strip, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			err = a.Apply(context.Background(), batch("t", 0, ev(people(), event.OpCreate, 1, nil, row(int64(1), "a\x00b", nil))))
			if !strip {
				if err == nil || !strings.Contains(err.Error(), "U+0000") || !strings.Contains(err.Error(), `"Name"`) {
					t.Fatalf("want an error naming U+0000 and the column, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ab" {
				t.Errorf("got %q, want 1|ab", got)
			}
		})
	}
}

// TestStagingOfTablesWithSameColumnNames applies, on one connection, a
// batch whose first table has a decimal key and then one whose first table
// has a uniqueidentifier key under the same column names: the second COPY
// must not reuse the first staging table's column types.
func TestStagingOfTablesWithSameColumnNames(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	table := func(name, typ string, prec, scale int) *catalog.Table {
		return &catalog.Table{Database: "db", Schema: "dbo", Name: name, PrimaryKey: []string{"id"},
			Columns: []catalog.Column{{Name: "id", Ordinal: 1, Type: typ, Precision: prec, Scale: scale},
				{Name: "v", Ordinal: 2, Type: "int", Nullable: true}}}
	}
	dec, guid := table("k_dec", "decimal", 38, 10), table("k_guid", "uniqueidentifier", 0, 0)
	mustApply(t, a, batch("dec", 0, ev(dec, event.OpCreate, 1, nil, row(rat("-0.0000000001"), int64(1)))))
	mustApply(t, a, batch("guid", 0, ev(guid, event.OpCreate, 2, nil, row("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE", int64(2)))))
	if got := dump(t, pool, `"dbo"."k_guid"`, "id", "v"); got != "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE|2" {
		t.Errorf("k_guid = %q", got)
	}
}

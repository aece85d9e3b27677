package avro

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// oddNamesTable has the identifiers users meet: spaces, dots, dashes,
// brackets, quotes, reserved words, non-ASCII letters, 128 characters, and
// two columns whose Avro names would be equal.
func oddNamesTable() *catalog.Table {
	long := strings.Repeat("Ĺ", 128)
	return &catalog.Table{
		Database: "North wind", Schema: "sales.eu", Name: "Order Details",
		Columns: []catalog.Column{
			{Name: "Order ID", Ordinal: 1, Type: "int"},
			{Name: "Product-ID", Ordinal: 2, Type: "int"},
			{Name: "select", Ordinal: 3, Type: "nvarchar", Length: 10, Nullable: true, Collation: "SQL_Latin1_General_CP1_CI_AS"},
			{Name: "a b", Ordinal: 4, Type: "int", Nullable: true},
			{Name: "a_u0020b", Ordinal: 5, Type: "int", Nullable: true},
			{Name: `x]y "q" it's`, Ordinal: 6, Type: "int", Nullable: true},
			{Name: "Ünïcode", Ordinal: 7, Type: "int", Nullable: true},
			{Name: long, Ordinal: 8, Type: "int", Nullable: true},
		},
		PrimaryKey:      []string{"Order ID", "Product-ID"},
		CaptureInstance: "sales.eu_Order Details",
	}
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

func TestFieldNames(t *testing.T) {
	cols := func(names ...string) *catalog.Table {
		tbl := &catalog.Table{Database: "d", Schema: "s", Name: "t"}
		for i, n := range names {
			tbl.Columns = append(tbl.Columns, catalog.Column{Name: n, Ordinal: i + 1, Type: "int"})
		}
		return tbl
	}
	tests := []struct {
		name  string
		table *catalog.Table
		want  []string
	}{
		{"valid names kept", cols("id", "Name_1"), []string{"id", "Name_1"}},
		{"replaced characters", cols("Order ID", "Product-ID", "名字"), []string{"Order_u0020ID", "Product_u002dID", "_u540d_u5b57"}},
		{"first in ordinal order keeps the name", cols("a b", "a_u0020b"), []string{"a_u0020b", "a_u0020b_" + hash8("a_u0020b")}},
		{"either order", cols("a_u0020b", "a b"), []string{"a_u0020b", "a_u0020b_" + hash8("a b")}},
		{"leading digit", cols("_2fa", "2fa"), []string{"_2fa", "_2fa_" + hash8("2fa")}},
		{"case is distinct in Avro", cols("T", "t"), []string{"T", "t"}},
		// The suffixed name of one column is another column's own name:
		// the later column moves on to a suffix of its own.
		{"suffix taken", cols("a b", "a_u0020b", "a_u0020b_"+hash8("a_u0020b")),
			[]string{"a_u0020b", "a_u0020b_" + hash8("a_u0020b"), "a_u0020b_" + hash8("a_u0020b") + "_" + hash8("a_u0020b_"+hash8("a_u0020b"))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fieldNames(tc.table)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fieldNames = %q, want %q", got, tc.want)
			}
		})
	}
}

// Adding a column never renames an existing field, even one that now
// collides with it: the added column takes the suffix.
func TestFieldNamesStableWhenAColumnIsAdded(t *testing.T) {
	tbl := &catalog.Table{Columns: []catalog.Column{{Name: "id", Ordinal: 1}, {Name: "a b", Ordinal: 2}}}
	before, err := fieldNames(tbl)
	if err != nil {
		t.Fatal(err)
	}
	tbl.Columns = append(tbl.Columns, catalog.Column{Name: "a_u0020b", Ordinal: 3})
	after, err := fieldNames(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after[:2], before) || after[2] == after[1] {
		t.Fatalf("before %q, after adding a column %q", before, after)
	}
}

// Every identifier gives valid Avro names; the original names come back
// from the schemas exactly; and an event round-trips through the codec
// with each column's value in its own column.
func TestOddNamesRoundTrip(t *testing.T) {
	ctx := context.Background()
	tbl := oddNamesTable()
	ks, err := KeySchema("my-prefix", tbl)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ValueSchema("my-prefix", tbl)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ks, vs} {
		// hamba checks Avro's name rules for records, namespaces and fields.
		if _, err := havro.Parse(s); err != nil {
			t.Fatalf("schema is not valid Avro: %v\n%s", err, s)
		}
	}
	back, err := TableFromSchemas(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tbl) {
		t.Fatalf("TableFromSchemas =\n%+v\nwant\n%+v", back, tbl)
	}

	_, cl, _ := newRegistry(t)
	enc, dec := NewCodec(cl, "my-prefix"), NewCodec(cl, "")
	const topic = "my-prefix.North_wind.sales.eu.Order_Details"
	row := event.Row{int64(10248), int64(11), "from", int64(4), int64(5), int64(6), int64(7), int64(8)}
	key, value, err := enc.Encode(ctx, topic, &event.Event{Table: tbl, Op: event.OpCreate, After: row, Source: testSource()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := dec.Decode(ctx, topic, key, value)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Table, tbl) {
		t.Errorf("decoded table %+v, want %+v", e.Table, tbl)
	}
	if !reflect.DeepEqual(e.After, row) {
		t.Errorf("decoded after %v, want %v", e.After, row)
	}
	// A tombstone finds its table by the topic's subject alone.
	tomb, err := NewCodec(cl, "").Decode(ctx, topic, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tomb.Table.Name != "Order Details" || tomb.Before[0] != int64(10248) || tomb.Before[1] != int64(11) {
		t.Errorf("tombstone decoded as %s %v", tomb.Table.QualifiedName(), tomb.Before)
	}
}

// FuzzFieldNames: for any column names, the field names are valid Avro,
// distinct, and the schemas give the source names back.
func FuzzFieldNames(f *testing.F) {
	f.Add("a b", "a_u0020b", "2fa")
	f.Add("_2fa", "2fa", "")
	f.Add("名字", "_u540d_u5b57", "x]y")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		tbl := &catalog.Table{Database: "d", Schema: "s", Name: "t", PrimaryKey: []string{"id"}}
		seen := map[string]bool{}
		for _, n := range []string{"id", a, b, c} {
			// SQL Server column names are not empty and distinct (case-insensitively in
			// most collations; exactly in all).
			if n == "" || seen[n] || strings.ContainsRune(n, 0) || !utf8.ValidString(n) {
				continue
			}
			seen[n] = true
			tbl.Columns = append(tbl.Columns, catalog.Column{Name: n, Ordinal: len(tbl.Columns) + 1, Type: "int"})
		}
		names, err := fieldNames(tbl)
		if err != nil {
			t.Fatal(err)
		}
		distinct := map[string]bool{}
		for _, n := range names {
			if !validAvroName(n) || distinct[n] {
				t.Fatalf("field names %q: %q is invalid or repeated", names, n)
			}
			distinct[n] = true
		}
		vs, err := ValueSchema("p", tbl)
		if err != nil {
			t.Fatal(err)
		}
		back, err := TableFromSchemas("", vs)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range back.Columns {
			if c.Name != tbl.Columns[i].Name {
				t.Fatalf("column %d came back as %q, want %q", i, c.Name, tbl.Columns[i].Name)
			}
		}
	})
}

func validAvroName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

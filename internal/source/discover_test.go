package source

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestMakeColumn(t *testing.T) {
	tests := []struct {
		typ                   string
		maxLen, prec, scale   int64
		wantLen, wantP, wantS int
		collation, wantColl   string
	}{
		{"nvarchar", 100, 0, 0, 50, 0, 0, "Latin1_General_CI_AS", "Latin1_General_CI_AS"},
		{"nvarchar", -1, 0, 0, catalog.MaxLength, 0, 0, "x", "x"},
		{"nchar", 20, 0, 0, 10, 0, 0, "", ""},
		{"varchar", 30, 0, 0, 30, 0, 0, "", ""},
		{"varbinary", -1, 0, 0, catalog.MaxLength, 0, 0, "", ""},
		{"decimal", 9, 18, 4, 0, 18, 4, "", ""},
		{"datetime2", 8, 27, 7, 0, 0, 7, "", ""},
		{"int", 4, 10, 0, 0, 0, 0, "", ""},
		{"ntext", 16, 0, 0, 0, 0, 0, "Latin1_General_CI_AS", "Latin1_General_CI_AS"},
		{"uniqueidentifier", 16, 0, 0, 0, 0, 0, "ignored", ""},
	}
	for _, tt := range tests {
		c := makeColumn("c", 3, tt.typ, tt.maxLen, tt.prec, tt.scale, true, tt.collation, false)
		if c.Length != tt.wantLen || c.Precision != tt.wantP || c.Scale != tt.wantS || c.Collation != tt.wantColl || c.Ordinal != 3 {
			t.Errorf("%s(max_length %d): got %+v", tt.typ, tt.maxLen, c)
		}
	}
}

func TestResolveType(t *testing.T) {
	types := map[int64]sysType{
		56:  {ID: 56, SystemID: 56, Name: "int"},
		231: {ID: 231, SystemID: 231, Name: "nvarchar"},
		256: {ID: 256, SystemID: 231, Name: "sysname"},
		257: {ID: 257, SystemID: 56, Name: "myid", UserDefined: true},
		130: {ID: 130, SystemID: 240, Name: "geography", IsCLR: true},
		300: {ID: 300, SystemID: 240, Name: "mypoint", UserDefined: true, IsCLR: true},
	}
	for _, tt := range []struct {
		id   int64
		name string
		clr  bool
		ok   bool
	}{{56, "int", false, true}, {256, "nvarchar", false, true}, {257, "int", false, true},
		{130, "geography", true, true}, {300, "mypoint", true, true}, {999, "", false, false}} {
		got, ok := resolveType(types, tt.id)
		if ok != tt.ok || (ok && (got.Name != tt.name || got.IsCLR != tt.clr)) {
			t.Errorf("resolveType(%d) = %+v, %v; want %s clr=%v ok=%v", tt.id, got, ok, tt.name, tt.clr, tt.ok)
		}
	}
}

func TestSplitName(t *testing.T) {
	for _, tt := range []struct{ in, schema, table string }{
		{"dbo.t", "dbo", "t"}, {"[sales].[order lines]", "sales", "order lines"}, {"t", "dbo", "t"},
		{"dbo.[Order Details]", "dbo", "Order Details"}, {"[sales.eu].[a.b-c]", "sales.eu", "a.b-c"},
		{"dbo.[x]]y]", "dbo", "x]y"}, {"[Ünïcode Täble's \"q\"]", "dbo", "Ünïcode Täble's \"q\""}, {" sales . t ", "sales", "t"},
	} {
		s, n, err := splitName(tt.in)
		if err != nil || s != tt.schema || n != tt.table {
			t.Errorf("splitName(%q) = %q, %q, %v", tt.in, s, n, err)
		}
	}
	for _, bad := range []string{"dbo.", "a.b.c", "[dbo.t", "dbo.[t]x", ""} {
		if s, n, err := splitName(bad); err == nil {
			t.Errorf("splitName(%q) = %q, %q; want an error", bad, s, n)
		}
	}
}

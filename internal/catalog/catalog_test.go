package catalog

import "testing"

func TestColumnIndex(t *testing.T) {
	tbl := &Table{Columns: []Column{{Name: "Name"}, {Name: "T"}, {Name: "t"}, {Name: "Order ID"}}}
	tests := []struct {
		name string
		want int
	}{
		{"Name", 0}, {"NAME", 0}, // case-insensitive, as the default collations
		{"T", 1}, {"t", 2}, // but an exact match wins (case-sensitive databases)
		{"order id", 3}, {"missing", -1},
	}
	for _, tc := range tests {
		if got := tbl.ColumnIndex(tc.name); got != tc.want {
			t.Errorf("ColumnIndex(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

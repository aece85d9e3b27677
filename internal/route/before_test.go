package route

import (
	"slices"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// BeforeColumns marks what applying a before image needs: the target key's
// columns, which the mapping file may widen and rename.
func TestBeforeColumns(t *testing.T) {
	table := func() *catalog.Table {
		return &catalog.Table{Database: "db1", Schema: "testschema", Name: "customer1", PrimaryKey: []string{"Id"},
			Columns: []catalog.Column{{Name: "Tenant", Type: "int"}, {Name: "Id", Type: "int"}, {Name: "Name", Type: "nvarchar", Length: 50, Nullable: true}}}
	}
	tests := []struct {
		name string
		cfg  Config
		want []bool
	}{
		{"source key", Config{}, []bool{false, true, false}},
		{"folded names", Config{FoldNames: true}, []bool{false, true, false}},
		{"merged: the merge column is no source column", Config{File: &File{Tables: []Rule{{Source: "db1.testschema.customer1", TargetSchema: "public", TargetTable: "customer", Merge: true}}}}, []bool{false, true, false}},
		{"mapping file's primary key, a column renamed", Config{File: &File{Tables: []Rule{{Source: "db1.testschema.customer1",
			Columns: map[string]string{"Tenant": "tenant_id"}, PrimaryKey: []string{"tenant_id", "Id"}}}}}, []bool{true, true, false}},
		{"rules that do not resolve: everything", Config{File: &File{Tables: []Rule{{Source: "db1.testschema.customer1",
			PrimaryKey: []string{"Name"}}}}}, nil},
	}
	for _, tt := range tests {
		r, err := New(tt.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := r.BeforeColumns(table()); !slices.Equal(got, tt.want) {
			t.Errorf("%s: BeforeColumns = %v, want %v", tt.name, got, tt.want)
		}
	}
}

package route

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

func customer(db string) *catalog.Table {
	return &catalog.Table{Database: db, Schema: "testschema", Name: "customer1", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{{Name: "Id", Type: "int"}, {Name: "Name", Type: "nvarchar", Length: 50, Nullable: true}}}
}

func change(t *catalog.Table, op event.Op) *event.Event {
	e := &event.Event{Table: t, Op: op, Source: event.Source{Name: "dts1", Db: t.Database, Schema: t.Schema, Table: t.Name}}
	row := event.Row{int64(1), "ann"}
	if op != event.OpCreate && op != event.OpRead {
		e.Before = row
	}
	if op != event.OpDelete {
		e.After = row
	}
	return e
}

func TestConfigIsCheckedAtStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad include", Config{Include: []string{"t"}}, "INCLUDE_TABLES: pattern \"t\": want database.schema.table, or schema.table"},
		{"empty part", Config{Exclude: []string{"db..t"}}, "EXCLUDE_TABLES: pattern \"db..t\" has an empty part"},
		{"schema.table onto one table", Config{File: &File{Tables: []Rule{{Source: "s.t", TargetSchema: "s", TargetTable: "t"}}}}, "set merge: true"},
		{"bad operation", Config{Operations: []string{"insert", "truncate"}}, `OPERATIONS: operation "truncate"`},
		{"rule without source", Config{File: &File{Tables: []Rule{{TargetTable: "x"}}}}, "tables[0]: source is required"},
		{"merge without target", Config{File: &File{Tables: []Rule{{Source: "d.s.t*", Merge: true}}}}, "merge: true needs target_schema and target_table"},
		{"pattern onto one table", Config{File: &File{Tables: []Rule{{Source: "d.s.t*", TargetSchema: "s", TargetTable: "t"}}}}, "set merge: true"},
		{"two rules onto one table", Config{File: &File{Tables: []Rule{{Source: "a.s.t", TargetSchema: "s", TargetTable: "t"}, {Source: "b.s.t", TargetSchema: "s", TargetTable: "t"}}}},
			"tables[1] (source \"b.s.t\") and tables[0] (source \"a.s.t\") both map to target table s.t without merge"},
		{"two columns onto one", Config{File: &File{Tables: []Rule{{Source: "a.s.t", Columns: map[string]string{"A": "x", "B": "x"}}}}}, "are both mapped to \"x\""},
		{"exclude with settings", Config{File: &File{Tables: []Rule{{Source: "a.s.t", Exclude: true, Merge: true}}}}, "exclude: true takes no other setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				if err != nil && tc.name == "two columns onto one" && strings.Contains(err.Error(), "both mapped to") {
					return // map order decides which pair is named
				}
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	r, err := New(Config{
		Exclude:    []string{"*.audit.*"},
		Operations: []string{"insert", "update", "delete"},
		File: &File{Tables: []Rule{
			{Source: "shard?.testschema.customer1", TargetSchema: "public", TargetTable: "customer", Merge: true},
			{Source: "main.dbo.orders", Operations: []string{"insert", "update"}, Columns: map[string]string{"Amount": "amount_cny"}},
			{Source: "main.dbo.tmp_*", Exclude: true},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Merged shards: one target, the data source in the rows and the key.
	e1, err := r.Route(change(customer("shard1"), event.OpUpdate))
	if err != nil {
		t.Fatal(err)
	}
	if s, n := r.TargetName(e1.Table); s != "public" || n != "customer" {
		t.Errorf("merged target %s.%s, want public.customer", s, n)
	}
	if got := e1.After[len(e1.After)-1]; got != "dts1:shard1.testschema.customer1" {
		t.Errorf("__dts_data_source %v, want dts1:shard1.testschema.customer1", got)
	}
	if k := e1.Table.PrimaryKey; len(k) != 2 || k[1] != apply.DataSourceColumn {
		t.Errorf("merged key %v, want the source key then %s", k, apply.DataSourceColumn)
	}
	if len(e1.Before) != 3 || e1.Before[2] != e1.After[2] {
		t.Errorf("before row %v: want the data source too", e1.Before)
	}
	e2, _ := r.Route(change(customer("shard2"), event.OpDelete))
	if e2.Before[2] != "dts1:shard2.testschema.customer1" || e2.After != nil {
		t.Errorf("shard 2 delete: %+v", e2)
	}

	orders := &catalog.Table{Database: "main", Schema: "dbo", Name: "orders", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{{Name: "Id", Type: "int"}, {Name: "Amount", Type: "money"}}}
	if e, _ := r.Route(change(orders, event.OpDelete)); e != nil {
		t.Errorf("a delete of a table without delete in its operations was routed: %+v", e)
	}
	e, err := r.Route(change(orders, event.OpRead))
	if err != nil || e == nil || e.Table.Columns[1].Name != "amount_cny" || orders.Columns[1].Name != "Amount" {
		t.Errorf("renamed column: %+v, %v (the source table must stay as it was)", e, err)
	}
	for _, skipped := range []*catalog.Table{
		{Database: "main", Schema: "audit", Name: "log", PrimaryKey: []string{"Id"}, Columns: []catalog.Column{{Name: "Id", Type: "int"}}},
		{Database: "main", Schema: "dbo", Name: "tmp_x", PrimaryKey: []string{"Id"}, Columns: []catalog.Column{{Name: "Id", Type: "int"}}},
	} {
		if e, err := r.Route(change(skipped, event.OpCreate)); e != nil || err != nil {
			t.Errorf("%s was not left out: %v, %v", skipped.QualifiedName(), e, err)
		}
	}
	// Renaming a column the table lacks is refused when the table is seen.
	r2, _ := New(Config{File: &File{Tables: []Rule{{Source: "main.dbo.orders", Columns: map[string]string{"Amout": "x"}}}}})
	if _, err := r2.Route(change(orders, event.OpCreate)); err == nil || !strings.Contains(err.Error(), `maps column "Amout", which the table does not have`) {
		t.Errorf("a mapping of a missing column: %v", err)
	}
}

// A table named a.b in schema sales.eu is included, excluded and mapped
// like any other (the patterns themselves: internal/selection).
func TestPatternsMatchNamesWithDots(t *testing.T) {
	r, err := New(Config{Include: []string{"db.*.*"}})
	if err != nil {
		t.Fatal(err)
	}
	dotted := &catalog.Table{Database: "db", Schema: "sales.eu", Name: "a.b", PrimaryKey: []string{"Id"}, Columns: []catalog.Column{{Name: "Id", Type: "int"}}}
	e, err := r.Route(change(dotted, event.OpCreate))
	if err != nil || e == nil {
		t.Fatalf("[db].[sales.eu].[a.b] with INCLUDE_TABLES=db.*.*: %+v, %v; want it routed", e, err)
	}
	if s, n := r.TargetName(e.Table); s != "sales.eu" || n != "a.b" {
		t.Errorf("target %q.%q, want \"sales.eu\".\"a.b\"", s, n)
	}
}

func TestFoldedNames(t *testing.T) {
	r, err := New(Config{FoldNames: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Route(change(&catalog.Table{Database: "d", Schema: "dbo", Name: "Student", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{{Name: "Id", Type: "int"}}}, event.OpCreate))
	if err != nil {
		t.Fatal(err)
	}
	if s, n := r.TargetName(e.Table); s != "dbo" || n != "student" || e.Table.Columns[0].Name != "id" || e.Table.PrimaryKey[0] != "id" {
		t.Errorf("folded: %s.%s, columns %v key %v", s, n, e.Table.Columns, e.Table.PrimaryKey)
	}
	for _, bad := range []struct{ table, column, want string }{
		{"Order Details", "Id", `target table name "order details" cannot be used unquoted`},
		{"select", "Id", `"select" is a reserved word`},
		{"t", "2nd", `column name "2nd" cannot be used unquoted`},
		{"T#1", "Id", `has '#'`},
	} {
		_, err := r.Route(change(&catalog.Table{Database: "d", Schema: "dbo", Name: bad.table, PrimaryKey: []string{bad.column},
			Columns: []catalog.Column{{Name: bad.column, Type: "int"}}}, event.OpCreate))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "TARGET_QUOTE_NAMES=on") {
			t.Errorf("%s.%s: got %v, want an error saying %q and the way out", bad.table, bad.column, err, bad.want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("tables:\n  - source: dtstestdata.testschema.customer*\n    target_schema: public\n    target_table: customer\n    merge: true\n"), 0o644)
	f, err := LoadFile(good)
	if err != nil || len(f.Tables) != 1 || !f.Tables[0].Merge {
		t.Fatalf("load: %+v, %v", f, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("tables:\n  - source: a.b.c\n    mrege: true\n"), 0o644)
	if _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), "mrege") {
		t.Fatalf("a misspelt key: %v, want an error naming it", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o644)
	if _, err := LoadFile(empty); err != nil {
		t.Fatalf("an empty file: %v", err)
	}
}

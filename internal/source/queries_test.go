package source

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestGeneratedSQL(t *testing.T) {
	single := testTable().t
	composite := &catalog.Table{Database: "Sales DB", Schema: "sales", Name: "order]lines", CaptureInstance: "sales_order]lines_v2",
		Columns: []catalog.Column{
			{Name: "order_id", Type: "bigint"}, {Name: "line no", Type: "int"}, {Name: "sku", Type: "varchar", Length: 20},
			{Name: "amount", Type: "decimal", Precision: 18, Scale: 2},
		},
		PrimaryKey: []string{"order_id", "line no", "sku"}}
	var sb strings.Builder
	for _, tc := range []struct {
		name string
		sql  string
	}{
		{"snapshot first chunk, one key", qSnapshotChunk(single, false)},
		{"snapshot next chunk, one key", qSnapshotChunk(single, true)},
		{"snapshot first chunk, three keys", qSnapshotChunk(composite, false)},
		{"snapshot next chunk, three keys", qSnapshotChunk(composite, true)},
		{"snapshot range, first chunk", qSnapshotRange(composite, false, true, true)},
		{"snapshot range, next chunk", qSnapshotRange(composite, true, true, true)},
		{"snapshot last range, next chunk", qSnapshotRange(single, true, true, false)},
		{"key bounds", qKeyBounds(composite)},
		{"changes, one key", qChanges(single)},
		{"changes, quoted names", qChanges(composite)},
		{"count", qCountRows(composite)},
		{"enable database", enableDBCommand("Sales DB")},
		{"enable table", enableTableCommand("sales", "o'lines")},
	} {
		sb.WriteString("-- " + tc.name + "\n" + tc.sql + "\n\n")
	}
	golden(t, "per_table.sql", sb.String())
}

// TestQueriesReadOneTable guards the emulator contract: no joins, no
// subqueries, no CTEs in any statement.
func TestQueriesReadOneTable(t *testing.T) {
	all := []string{qCurrentDatabase, qDatabase, qSchemas, qTables, qTypes, qColumns, qIndexes, qIndexColumns,
		qChangeTables, qCapturedColumns, qMaxLSN, qMinLSN, qLSNTimes, qPartitionRows, qDefaults, qDDLHistory,
		qSnapshotChunk(testTable().t, true), qSnapshotRange(testTable().t, true, true, true), qKeyBounds(testTable().t), qWindowKeys(testTable().t), qRowByKey(testTable().t), qChanges(testTable().t), qCountRows(testTable().t)}
	for _, q := range all {
		u := strings.ToUpper(q)
		for _, bad := range []string{" JOIN ", "(SELECT", " WITH ", " UNION "} {
			if strings.Contains(u, bad) {
				t.Errorf("query uses %q: %s", strings.TrimSpace(bad), q)
			}
		}
		if strings.Count(u, " FROM ") > 1 {
			t.Errorf("query reads more than one table: %s", q)
		}
	}
}

// TestQueriesParse checks every statement against the emulator's T-SQL
// parser, which follows SQL Server's grammar and reserved words.
func TestQueriesParse(t *testing.T) {
	tb := testTable().t
	for _, q := range []string{qCurrentDatabase, qDatabase, qSchemas, qTables, qTypes, qColumns, qIndexes,
		qIndexColumns, qChangeTables, qCapturedColumns, qMaxLSN, qMinLSN, qLSNTimes, qPartitionRows, qDefaults, qDDLHistory,
		qWindowKeys(tb), qRowByKey(tb), disableInstanceCommand("dbo", "t", "dbo_t"),
		qSnapshotChunk(tb, true), qSnapshotChunk(tb, false), qSnapshotRange(tb, true, true, true), qKeyBounds(tb), qChanges(tb), qCountRows(tb),
		enableDBCommand("Sales DB"), enableTableCommand("dbo", "t")} {
		if _, err := tsql.Parse(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

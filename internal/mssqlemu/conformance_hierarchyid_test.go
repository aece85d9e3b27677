package mssqlemu_test

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
)

// TestConformanceHierarchyID: hierarchyid's binary form and its methods,
// with the examples of Microsoft's method reference. Parse's page: Parse of
// '/1/1/3/' is 0x5ADE and 0x5ADE's ToString() is '/1/1/3/'; GetRoot's page:
// the root is 0x (no bytes); GetLevel is the depth; GetAncestor(n) is NULL
// past the root; "parent is considered its own descendant"; values compare
// in depth-first order.
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/parse-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getroot-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getlevel-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getancestor-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/isdescendantof-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getreparentedvalue-database-engine
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getdescendant-database-engine
func TestConformanceHierarchyID(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	var bin, root []byte
	var str, rootStr string
	err := db.QueryRowContext(ctx, `DECLARE @StringValue AS nvarchar(4000), @hierarchyidValue AS hierarchyid;
SET @StringValue = '/1/1/3/';
SET @hierarchyidValue = 0x5ADE;
SELECT hierarchyid::Parse(@StringValue), @hierarchyidValue.ToString(), hierarchyid::GetRoot(), hierarchyid::GetRoot().ToString()`).Scan(&bin, &str, &root, &rootStr)
	if err != nil || !bytes.Equal(bin, []byte{0x5A, 0xDE}) || str != "/1/1/3/" || len(root) != 0 || rootStr != "/" {
		t.Errorf("Parse/ToString/GetRoot: 0x%x %q 0x%x %q, %v; want 0x5ADE /1/1/3/ 0x /", bin, str, root, rootStr, err)
	}
	var level int
	var parent, reparented string
	var past sql.NullString
	var self, under, other bool
	err = db.QueryRowContext(ctx, `DECLARE @h hierarchyid = '/1/2/3/';
SELECT @h.GetLevel(), @h.GetAncestor(1).ToString(), @h.GetAncestor(4).ToString(),
  @h.IsDescendantOf(@h), @h.IsDescendantOf('/1/'), @h.IsDescendantOf(hierarchyid::Parse('/2/')),
  @h.GetReparentedValue('/1/', '/5/6/').ToString()`).Scan(&level, &parent, &past, &self, &under, &other, &reparented)
	if err != nil || level != 3 || parent != "/1/2/" || past.Valid || !self || !under || other || reparented != "/5/6/2/3/" {
		t.Errorf("methods of /1/2/3/: level %d, ancestor %q, past the root %v, self %v, under /1/ %v, under /2/ %v, reparented %q, %v",
			level, parent, past, self, under, other, reparented, err)
	}
	// GetDescendant's page, example D: between /3/1/0/ and /3/1/1/ comes
	// /3/1/0.1/; with NULL children, a first child, one after and one before.
	var between, first, after, before string
	err = db.QueryRowContext(ctx, `DECLARE @Manager hierarchyid, @Child1 hierarchyid, @Child2 hierarchyid;
SET @Manager = CAST('/3/1/' AS hierarchyid);
SET @Child1 = CAST('/3/1/0/' AS hierarchyid);
SET @Child2 = CAST('/3/1/1/' AS hierarchyid);
SELECT @Manager.GetDescendant(@Child1, @Child2).ToString(), @Manager.GetDescendant(NULL, NULL).ToString(),
  @Manager.GetDescendant(@Child2, NULL).ToString(), @Manager.GetDescendant(NULL, @Child1).ToString()`).Scan(&between, &first, &after, &before)
	if err != nil || between != "/3/1/0.1/" || first != "/3/1/1/" || after != "/3/1/2/" || before != "/3/1/-1/" {
		t.Errorf("GetDescendant: %q %q %q %q, %v; want /3/1/0.1/ /3/1/1/ /3/1/2/ /3/1/-1/", between, first, after, before, err)
	}
	for _, q := range []string{
		"SELECT CAST('/3/1/' AS hierarchyid).GetDescendant('/3/2/', NULL)",        // not a child
		"SELECT CAST('/3/1/' AS hierarchyid).GetDescendant('/3/1/2/', '/3/1/1/')", // child1 >= child2
	} {
		var v []byte
		if err := db.QueryRowContext(ctx, q).Scan(&v); errNumber(err) != 6522 {
			t.Errorf("%s: %v; want Msg 6522", q, err)
		}
	}
	// A column: methods on it, CAST both ways, and ORDER BY in depth-first order.
	if _, err := db.ExecContext(ctx, `CREATE TABLE dbo.org (node hierarchyid PRIMARY KEY, name nvarchar(20));
INSERT dbo.org VALUES ('/2/', N'c'), ('/1/1/', N'b'), ('/', N'root'), ('/1/', N'a'), (0x6AC0, N'd')`); err != nil {
		t.Fatalf("create: %v", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT node.ToString(), o.node.GetLevel(), CAST(node AS nvarchar(100)), CAST(node AS varbinary(10))
FROM dbo.org AS o ORDER BY node`)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rows.Close()
	want := []struct {
		s     string
		level int
		b     []byte
	}{{"/", 0, []byte{}}, {"/1/", 1, []byte{0x58}}, {"/1/1/", 2, []byte{0x5A, 0xC0}}, {"/2/", 1, []byte{0x68}}, {"/2/1/", 2, []byte{0x6A, 0xC0}}}
	i := 0
	for rows.Next() {
		var s, cs string
		var lv int
		var b []byte
		if err := rows.Scan(&s, &lv, &cs, &b); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || s != want[i].s || cs != s || lv != want[i].level || !bytes.Equal(b, want[i].b) {
			t.Errorf("row %d: %q %d %q 0x%x", i, s, lv, cs, b)
		}
		i++
	}
	if err := rows.Err(); err != nil || i != len(want) {
		t.Errorf("%d rows, %v; want %d", i, err, len(want))
	}
	// Not a node: Msg 6522 (System.FormatException 24001).
	var v []byte
	err = db.QueryRowContext(ctx, "SELECT CAST('/a/' AS hierarchyid)").Scan(&v)
	if errNumber(err) != 6522 {
		t.Errorf("CAST('/a/' AS hierarchyid): %v; want Msg 6522", err)
	}
}

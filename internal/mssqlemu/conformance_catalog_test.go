package mssqlemu_test

import (
	"context"
	"testing"
)

// TestConformanceSystemObjectsAndColumns: sys.system_objects has "a row for
// all schema-scoped system objects" and sys.system_columns "a row for each
// column of system objects that have columns"; system objects have negative
// object_ids and live in schema sys (schema_id 4):
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-system-objects-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-system-columns-transact-sql
func TestConformanceSystemObjectsAndColumns(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	if rows := queryStrings(t, ctx, db, "SELECT TOP 5 name FROM sys.system_columns"); len(rows) != 5 {
		t.Errorf("SELECT TOP 5 name FROM sys.system_columns: %d rows, want 5", len(rows))
	}
	rows := queryStrings(t, ctx, db, `SELECT o.type, o.schema_id, CASE WHEN o.object_id < 0 THEN 'negative' ELSE 'positive' END, TYPE_NAME(c.system_type_id)
		FROM sys.system_objects o JOIN sys.system_columns c ON c.object_id = o.object_id
		WHERE o.name = 'tables' AND c.name = 'is_tracked_by_cdc'`)
	if got := joinRows(rows); got != "V |4|negative|bit" {
		t.Errorf("sys.tables.is_tracked_by_cdc in sys.system_objects and sys.system_columns: %q", got)
	}
	// User tables are not system objects.
	exec(t, ctx, db, "CREATE TABLE dbo.mine (id int NOT NULL PRIMARY KEY)")
	if rows := queryStrings(t, ctx, db, "SELECT name FROM sys.system_objects WHERE name = 'mine'"); len(rows) != 0 {
		t.Errorf("a user table in sys.system_objects: %v", rows)
	}
}

// TestConformanceDBCCUserOptions: "Returns the SET options active (set)
// for the current connection", including the isolation level:
// https://learn.microsoft.com/en-us/sql/t-sql/database-console-commands/dbcc-useroptions-transact-sql
func TestConformanceDBCCUserOptions(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	c := conn(t, ctx, db)
	execOn(t, ctx, c, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
	execOn(t, ctx, c, "SET LOCK_TIMEOUT 1500")
	rows, err := c.QueryContext(ctx, "DBCC USEROPTIONS WITH NO_INFOMSGS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	opts := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		opts[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if opts["isolation level"] != "serializable" || opts["lock_timeout"] != "1500" || opts["ansi_nulls"] != "SET" {
		t.Errorf("DBCC USEROPTIONS: %v", opts)
	}
}

// TestConformanceWindowsCollationCodePages: a varchar holds text in the code
// page of its collation, a Windows collation being "<designator>[_version]
// _<sensitivities>" (https://learn.microsoft.com/en-us/sql/t-sql/statements/windows-collation-name-transact-sql);
// characters the code page lacks become '?', and DATALENGTH counts the
// code page's bytes (two per Chinese character in code page 936, for
// example). An unknown collation is Msg 448.
func TestConformanceWindowsCollationCodePages(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	for _, tc := range []struct{ text, collation, want, bytes string }{
		{"你好", "Chinese_PRC_CI_AI", "你好", "4"},
		{"你好", "Chinese_Taiwan_Stroke_CI_AS", "你好", "4"},
		{"こんにちは", "Japanese_CI_AS", "こんにちは", "10"},
		{"안녕", "Korean_90_CI_AS", "안녕", "4"},
		{"สวัสดี", "Thai_CI_AI", "สวัสดี", "6"},
		{"Алло", "Cyrillic_General_CI_AS", "Алло", "4"},
		{"cześć", "Polish_100_CS_AS", "cześć", "5"},
		{"你好", "Latin1_General_CI_AS", "??", "2"},
	} {
		rows := queryStrings(t, ctx, db, "SELECT CAST(CAST(N'"+tc.text+"' AS nvarchar(20)) COLLATE "+tc.collation+" AS varchar(20)), "+
			"DATALENGTH(CAST(CAST(N'"+tc.text+"' AS nvarchar(20)) COLLATE "+tc.collation+" AS varchar(20)))")
		if got := joinRows(rows); got != tc.want+"|"+tc.bytes {
			t.Errorf("%s as varchar under %s: %q, want %q", tc.text, tc.collation, got, tc.want+"|"+tc.bytes)
		}
	}
	if _, err := db.ExecContext(ctx, "SELECT N'x' COLLATE Klingon_CI_AS"); errNumber(err) != 448 {
		t.Errorf("an unknown collation: %v, want Msg 448", err)
	}
}

package mssqlemu_test

import (
	"context"
	"testing"
)

// TestConformanceSetFmtOnly: "Returns only metadata to the client. Can
// be used to test the format of the response without actually running the
// query"; "No rows are processed or sent to the client because of the
// request when SET FMTONLY is turned ON."
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-fmtonly-transact-sql
func TestConformanceSetFmtOnly(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	c := conn(t, ctx, db)
	execOn(t, ctx, c, "CREATE TABLE dbo.person (id int NOT NULL PRIMARY KEY, name nvarchar(40) NULL)")
	execOn(t, ctx, c, "INSERT INTO dbo.person VALUES (1, N'Ann')")
	execOn(t, ctx, c, "SET FMTONLY ON")
	rows, err := c.QueryContext(ctx, "SELECT id, name FROM dbo.person")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := rows.ColumnTypes()
	if err != nil || len(cols) != 2 || cols[0].Name() != "id" || cols[1].DatabaseTypeName() != "NVARCHAR" {
		t.Errorf("columns under FMTONLY: %v, %v", cols, err)
	}
	if rows.Next() {
		t.Error("a row under FMTONLY")
	}
	_ = rows.Close()
	// Not run: the row is not inserted.
	execOn(t, ctx, c, "INSERT INTO dbo.person VALUES (2, N'Bob')")
	execOn(t, ctx, c, "SET FMTONLY OFF")
	var n int
	if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.person").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows after an INSERT under FMTONLY: %d, %v; want 1", n, err)
	}
}

package mssqlemu_test

import (
	"context"
	"database/sql"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

// TestProcedureOverRPC: go-mssqldb calls a stored procedure by RPC; the
// OUTPUT value comes back in the type the caller declared (an int64 for a
// bit parameter), with the return status
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-procedure-transact-sql).
func TestProcedureOverRPC(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	db := open(t, emu.DSN("master"))
	if _, err := db.ExecContext(ctx, `CREATE PROCEDURE flag @b bit OUTPUT, @label nvarchar(10) = N'x' OUTPUT AS
BEGIN
	SET @b = 1
	SET @label = @label + N'!'
	SELECT 'row 1'
	RETURN 7
END`); err != nil {
		t.Fatal(err)
	}
	var b int64 = 5
	label := "hi"
	var rs mssql.ReturnStatus
	rows, err := db.QueryContext(ctx, "flag", sql.Named("b", sql.Out{Dest: &b}), sql.Named("label", sql.Out{Dest: &label}), &rs)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if b != 1 || label != "hi!" || rs != 7 {
		t.Errorf("b %d, label %q, status %d", b, label, rs)
	}
	// SQL_VARIANT_PROPERTY converts a value that is not a variant first.
	var base string
	if err := db.QueryRowContext(ctx, `SELECT CAST(SQL_VARIANT_PROPERTY(@p1, 'BaseType') AS nvarchar(20))`, "text").Scan(&base); err != nil || base != "nvarchar" {
		t.Errorf("SQL_VARIANT_PROPERTY of an nvarchar parameter: %q %v", base, err)
	}
}

package mssqlemu_test

import (
	"context"
	"errors"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

// TestUnsupportedStatementsAreRefused: T-SQL outside what the emulator
// implements fails the way SQL Server fails a syntax it does not know, and
// the whole batch is refused before any of it runs (compile errors abort
// the batch), so nothing is silently accepted.
func TestUnsupportedStatementsAreRefused(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE r"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Exec(ctx, "r", "CREATE TABLE dbo.t (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("r"))
	for _, tc := range []struct {
		stmt string
		want []int32 // message numbers, in order
	}{
		{"MERGE dbo.t AS x USING (SELECT 1 AS id) AS s ON x.id = s.id WHEN MATCHED THEN UPDATE SET v = 1;", []int32{156}},
		{"CREATE FUNCTION dbo.f() RETURNS int AS BEGIN RETURN 1 END", []int32{156}},
		{"CREATE TRIGGER tr ON dbo.t AFTER INSERT AS SELECT 1", []int32{156}},
		{"WITH c AS (SELECT 1 AS a) DELETE FROM dbo.t WHERE id IN (SELECT a FROM c)", []int32{156}},
		{"SELECT ROW_NUMBER() OVER (ORDER BY id) FROM dbo.t", []int32{156}},
		{"ALTER TABLE dbo.t ENABLE CHANGE_TRACKING", []int32{102}},
		{"CREATE SEQUENCE dbo.s", []int32{102}},
		{"SELECT CAST(1 AS int", []int32{102}},
		// Msg 105 comes with its follow-up Msg 102, as SQL Server sends both.
		{"SELECT 'abc", []int32{105, 102}},
		// Variables are checked when the batch compiles: Msg 137.
		{"SELECT @undeclared", []int32{137}},
		{"DECLARE @a int; DECLARE @a int;", []int32{134}},
	} {
		t.Run(tc.stmt, func(t *testing.T) {
			_, err := db.ExecContext(ctx, "INSERT INTO dbo.t VALUES (1, 1);\n"+tc.stmt)
			var me mssql.Error
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want Msg %v", err, tc.want)
			}
			var got []int32
			for _, e := range me.All {
				got = append(got, e.Number)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("messages %v (%v), want %v", got, me.All, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] || me.All[i].Class != 15 || me.All[i].LineNo != 2 {
					t.Fatalf("message %d: Msg %d Level %d Line %d, want Msg %d Level 15 Line 2 (%v)", i, got[i], me.All[i].Class, me.All[i].LineNo, tc.want[i], me.All)
				}
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.t").Scan(&n); err != nil || n != 0 {
				t.Fatalf("the INSERT before the refused statement ran: %d rows, %v", n, err)
			}
		})
	}
}

package mssqlemu_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/engine"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

// TestPooledConnectionReset: go-mssqldb sets the reset-connection flag when
// database/sql reuses a pooled connection, and the engine then does what
// sp_reset_connection does.
func TestPooledConnectionReset(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE home; CREATE DATABASE other"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Exec(ctx, "home", "CREATE TABLE dbo.t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("home"))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)

	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var spid int
	if err := c.QueryRowContext(ctx, "SELECT @@SPID").Scan(&spid); err != nil {
		t.Fatal(err)
	}
	// Leave a transaction open, another database current, SET options
	// changed and a #temp table.
	if _, err := c.ExecContext(ctx, "CREATE TABLE #left (id int); BEGIN TRAN; INSERT INTO dbo.t VALUES (1); USE other; SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL SNAPSHOT"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil { // back to the pool
		t.Fatal(err)
	}

	var (
		dbName           string
		trancount, spid2 int
		nocount          int
	)
	if err := db.QueryRowContext(ctx, "SELECT DB_NAME(), @@TRANCOUNT, @@SPID, @@OPTIONS & 512").
		Scan(&dbName, &trancount, &spid2, &nocount); err != nil {
		t.Fatal(err)
	}
	if dbName != "home" || trancount != 0 || spid2 != spid || nocount != 0 {
		t.Errorf("after reset: database %q, @@TRANCOUNT %d, @@SPID %d (was %d), NOCOUNT %d", dbName, trancount, spid2, spid, nocount)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.t").Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after the reset rolled back the open transaction: %d %v", n, err)
	}
	var gone bool
	if err := db.QueryRowContext(ctx, "SELECT CASE WHEN OBJECT_ID('tempdb..#left') IS NULL THEN 1 ELSE 0 END").Scan(&gone); err != nil || !gone {
		t.Errorf("the reset must drop the session's #temp tables: %v %v", gone, err)
	}
}

// TestTempTablesPerConnection: two connections each create their own #abc
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-table-transact-sql#temporary-tables).
func TestTempTablesPerConnection(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	db := open(t, emu.DSN("master"))
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i, c := range []interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}{a, b} {
		if _, err := c.ExecContext(ctx, "CREATE TABLE #abc (n int); INSERT INTO #abc VALUES (@p1)", i+1); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	var na, nb int
	if err := a.QueryRowContext(ctx, "SELECT n FROM #abc").Scan(&na); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRowContext(ctx, "SELECT n FROM #abc").Scan(&nb); err != nil {
		t.Fatal(err)
	}
	if na != 1 || nb != 2 {
		t.Errorf("each connection reads its own #abc: %d, %d", na, nb)
	}
}

// TestSPIDIsTheHeaderSPID: @@SPID is the session id the TDS server
// assigned, so concurrent connections differ and stay in SQL Server's range.
func TestSPIDIsTheHeaderSPID(t *testing.T) {
	e := engine.New(engine.Config{})
	defer e.Close()
	s, err := e.Login(context.Background(), tds.LoginRequest{User: "sa", SPID: 77})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rec engine.Recorder
	if err := s.ExecBatch(context.Background(), "SELECT @@SPID", &rec); err != nil || len(rec.Sets) != 1 {
		t.Fatalf("SELECT @@SPID: %v %v", err, rec.Errors())
	}
	if got := rec.Sets[0].Rows[0][0]; got != int64(77) {
		t.Errorf("@@SPID = %v, want 77", got)
	}

	emu := startEmu(t)
	db := open(t, emu.DSN(""))
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var a, b int
	if err := c1.QueryRowContext(ctx, "SELECT @@SPID").Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRowContext(ctx, "SELECT @@SPID").Scan(&b); err != nil {
		t.Fatal(err)
	}
	if a == b || a < 51 || b < 51 {
		t.Errorf("@@SPID of two connections: %d, %d", a, b)
	}
}

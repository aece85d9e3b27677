package mssqlemu_test

import (
	"context"
	"net"
	"testing"
	"time"
)

// A restart looks to clients like a SQL Server service restart: their
// connections end, new ones are refused while it is down, then the same
// address serves the same data; what was committed stays, what was open
// is rolled back, and the database keeps its create_date (its life).
func TestRestartKeepsCommittedDataOnly(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE shop"); err != nil {
		t.Fatal(err)
	}
	addr := emu.Addr()
	db := open(t, emu.DSN("shop"))
	db.SetMaxOpenConns(1) // one session, so the open transaction is the one cut
	if _, err := db.ExecContext(ctx, "CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY); INSERT INTO dbo.t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var created time.Time
	if err := db.QueryRowContext(ctx, "SELECT create_date FROM sys.databases WHERE name = N'shop'").Scan(&created); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO dbo.t VALUES (2)"); err != nil {
		t.Fatal(err)
	}

	down := make(chan error, 1)
	go func() { down <- emu.Restart(ctx, time.Second) }()
	refused := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !refused; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
			refused = true
		} else {
			c.Close()
		}
	}
	if err := <-down; err != nil {
		t.Fatal(err)
	}
	if !refused {
		t.Error("connections were accepted while the emulator was down")
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO dbo.t VALUES (3)"); err == nil {
		t.Error("a transaction opened before the restart went on after it")
	}
	_ = tx.Rollback()
	if emu.Addr() != addr {
		t.Errorf("the emulator listens on %s after the restart, want %s", emu.Addr(), addr)
	}
	var n int
	var after time.Time
	if err := open(t, emu.DSN("shop")).QueryRowContext(ctx,
		"SELECT (SELECT COUNT(*) FROM dbo.t), (SELECT create_date FROM sys.databases WHERE name = N'shop')").Scan(&n, &after); err != nil {
		t.Fatalf("query after the restart: %v", err)
	}
	if n != 1 || !after.Equal(created) {
		t.Errorf("after the restart: %d rows and create_date %s; want 1 (the committed one) and %s", n, after, created)
	}
}

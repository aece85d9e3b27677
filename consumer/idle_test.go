package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// A transaction the consumer left open on a connection it lost (the
// server's end still open) gives its locks up after TARGET_STATEMENT_TIMEOUT
// instead of holding the partitions' offsets for as long as the TCP
// connection lives.
func TestIdleTransactionReleasesItsLocks(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.ForTest(t)
	pcfg, err := targetPoolConfig(dsn, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE TABLE offsets (p int PRIMARY KEY); INSERT INTO offsets VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// The lost attempt: a row locked, then nothing more from the client.
	lost, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lost.Rollback(ctx) }()
	if _, err := lost.Exec(ctx, "SELECT * FROM offsets WHERE p = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	// The retry, on another connection, gets the row within a few seconds.
	retry, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer retry.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := retry.Exec(ctx, "SELECT * FROM offsets WHERE p = 1 FOR UPDATE NOWAIT")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the row is still locked 15 s after its transaction went idle: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Without the timeout (TARGET_STATEMENT_TIMEOUT=0) nothing is set.
	if pcfg, err := targetPoolConfig(dsn, 1, 0); err != nil || pcfg.AfterConnect != nil {
		t.Errorf("with no statement timeout: AfterConnect set %v, %v", pcfg.AfterConnect != nil, err)
	}
}

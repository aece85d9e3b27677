package source

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/microsoft/go-mssqldb" // registers the "sqlserver" driver
)

// The end-to-end tests run against a real SQL Server when MSSQL_DSN is set
// (sqlserver://user:password@host:1433?database=master, with SQL Server
// Agent running so that CDC captures), else against the in-repo emulator
// (internal/mssqlemu) started for each test.
// Each test creates its own database and drops it at the end.

// e2eWait bounds how long a test waits for changes to be captured; a real
// SQL Server's capture job polls every few seconds.
const e2eWait = 90 * time.Second

type e2eEnv struct {
	t     testing.TB
	name  string  // the test database
	admin *sql.DB // connected to master
	db    *sql.DB // connected to the test database
	dsn   func(db string) string
	real  bool
}

// newEnv returns a fresh database; cdc says whether to enable CDC on it.
func newEnv(t testing.TB, cdc bool) *e2eEnv {
	t.Helper()
	return newEnvLag(t, cdc, 0)
}

// newEnvLag is newEnv with an emulator whose capture job lags commits by
// lag, as a real server's does (a real server keeps its own lag).
func newEnvLag(t testing.TB, cdc bool, lag time.Duration) *e2eEnv {
	t.Helper()
	var dsn func(string) string
	real := false
	if base := os.Getenv("MSSQL_DSN"); base != "" {
		real = true
		dsn = func(db string) string {
			u, err := url.Parse(base)
			if err != nil {
				t.Fatalf("MSSQL_DSN is not a sqlserver:// URL: %v", err)
			}
			q := u.Query()
			q.Set("database", db)
			u.RawQuery = q.Encode()
			return u.String()
		}
	} else {
		dsn = startEmulator(t, lag)
	}
	var rb [4]byte
	_, _ = rand.Read(rb[:])
	e := &e2eEnv{t: t, name: "src_" + strings.ToLower(t.Name()[:min(len(t.Name()), 20)]) + "_" + hex.EncodeToString(rb[:]), dsn: dsn, real: real}
	e.name = strings.NewReplacer("/", "_", "-", "_").Replace(e.name)
	var err error
	if e.admin, err = sql.Open("sqlserver", dsn("master")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.admin.Close() })
	e.execOn(e.admin, "CREATE DATABASE "+quoteName(e.name))
	if e.db, err = sql.Open("sqlserver", dsn(e.name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := e.admin.ExecContext(ctx, "DROP DATABASE "+quoteName(e.name)); err != nil {
			t.Logf("drop test database %s: %v", e.name, err)
		}
	})
	e.exec("ALTER DATABASE " + quoteName(e.name) + " SET ALLOW_SNAPSHOT_ISOLATION ON")
	if cdc {
		e.exec("EXEC sys.sp_cdc_enable_db")
	}
	return e
}

func (e *e2eEnv) execOn(db *sql.DB, q string, args ...any) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *e2eEnv) exec(q string, args ...any) { e.t.Helper(); e.execOn(e.db, q, args...) }

// enableTable enables CDC on dbo.<table> with the capture instance given
// (empty: SQL Server's default, dbo_<table>).
func (e *e2eEnv) enableTable(table, instance string) {
	e.t.Helper()
	q := "EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = " + quoteString(table) + ", @role_name = NULL"
	if instance != "" {
		q += ", @capture_instance = " + quoteString(instance)
	}
	e.exec(q)
}

// waitCaptured waits until the capture instance's change table holds at
// least n rows (a real SQL Server captures a few seconds after commit).
func (e *e2eEnv) waitCaptured(instance string, n int64) {
	e.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		var got int64
		err := e.db.QueryRow("SELECT COUNT_BIG(*) FROM cdc." + quoteName(instance+"_CT")).Scan(&got)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("capture instance %s: %d change rows after %s, want %d (err %v); is the capture job running?", instance, got, e2eWait, n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *e2eEnv) config() Config {
	return Config{Database: e.name, SnapshotChunkRows: 10, PollInterval: 20 * time.Millisecond, MaxBatchEvents: 100,
		IdleCheckpoint: time.Hour, Name: "test", Version: "test", Logger: testLogger(e.t)}
}

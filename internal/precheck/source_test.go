package precheck

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	_ "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/engine"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// shopSetup is a database with CDC on, two captured tables with keys and
// one table without CDC; shop_app is a login without owner rights.
var shopSetup = []string{
	"CREATE DATABASE shop",
	"USE shop",
	"EXEC sys.sp_cdc_enable_db",
	"CREATE TABLE dbo.orders (id int PRIMARY KEY, amount decimal(10,2))",
	"CREATE TABLE dbo.customers (id int PRIMARY KEY, name nvarchar(50))",
	"CREATE TABLE dbo.notes (id int PRIMARY KEY, body nvarchar(max))",
	"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'orders', @role_name = NULL",
	"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customers', @role_name = NULL",
}

type emu struct {
	*mssqlemu.Emulator
	admin *sql.DB // sa in database shop
}

func startEmu(t *testing.T, cfg mssqlemu.Config, setup ...string) *emu {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.SAPassword = "Sa-passw0rd"
	cfg.Logins = append(cfg.Logins, engine.Login{Name: "shop_app", Password: "App-passw0rd"},
		engine.Login{Name: "shop_owner", Password: "Owner-passw0rd", Roles: map[string][]string{"shop": {"db_owner"}}})
	e, err := mssqlemu.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	master, err := sql.Open("sqlserver", e.DSN("master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	conn, err := master.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range append(append([]string(nil), shopSetup...), setup...) {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin := openDB(t, e.DSN("shop"))
	return &emu{Emulator: e, admin: admin}
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// check runs the source items on db and returns the named item's result,
// failing the test unless it has status want and its text holds every
// string of says.
func check(t *testing.T, s Source, item string, want Status, says ...string) Result {
	t.Helper()
	rep := Run(context.Background(), s.Items(), nil)
	res, ok := rep.Find(item)
	if !ok {
		t.Fatalf("no result for %s", item)
	}
	text := res.Detail + " fix: " + res.Fix
	if res.Status != want {
		t.Fatalf("%s: %s (%s), want %s", item, res.Status, text, want)
	}
	for _, s := range says {
		if !strings.Contains(text, s) {
			t.Errorf("%s says %q, want it to say %q", item, text, s)
		}
	}
	return res
}

func TestSourceAllPassed(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	s := Source{DB: e.admin, Database: "shop"}
	rep := Run(context.Background(), s.Items(), nil)
	for _, r := range rep {
		if r.Status != Passed {
			t.Errorf("%s: %s: %s %s", r.Item, r.Status, r.Detail, r.Fix)
		}
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceConnectionFails(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	db := openDB(t, e.LoginDSN("shop", "shop_app", "wrong"))
	rep := Run(context.Background(), Source{DB: db, Database: "shop"}.Items(), nil)
	res, _ := rep.Find(SourceConnection)
	if res.Status != Failed || !strings.Contains(res.Detail, "Login failed for user 'shop_app'") || !strings.Contains(res.Fix, "MSSQL_DSN") {
		t.Fatalf("connection: %+v", res)
	}
	if res, _ := rep.Find(CDCTables); res.Status != NotChecked {
		t.Errorf("cdc_tables after a failed connection: %+v, want not checked", res)
	}
	if _, ok := rep.Err().(*FailedError); !ok {
		t.Errorf("Err: %v, want a *FailedError", rep.Err())
	}
}

func TestSourceVersionTooOld(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{ProductVersion: "10.50.6000.34"})
	check(t, Source{DB: e.admin, Database: "shop"}, SourceVersion, Failed, "SQL Server 10.50.6000.34", "older than SQL Server 2012", "upgrade")
}

func TestSourcePermissions(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	app := openDB(t, e.LoginDSN("shop", "shop_app", "App-passw0rd"))
	check(t, Source{DB: app, Database: "shop"}, SourcePermissions, Failed,
		"login shop_app is not a member of db_owner in database shop", "USE [shop]; ALTER ROLE db_owner ADD MEMBER [shop_app];")
	owner := openDB(t, e.LoginDSN("shop", "shop_owner", "Owner-passw0rd"))
	check(t, Source{DB: owner, Database: "shop"}, SourcePermissions, Passed, "shop_owner is a member of db_owner in shop")
}

func TestSourceCDCDatabaseOff(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{}, "EXEC sys.sp_cdc_disable_db")
	s := Source{DB: e.admin, Database: "shop"}
	check(t, s, CDCDatabase, Failed, "not enabled on database shop", "USE [shop]; EXEC sys.sp_cdc_enable_db;")
	check(t, s, CDCTables, NotChecked, "needs cdc_database")
}

func TestSourceCDCTableOff(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	check(t, Source{DB: e.admin, Database: "shop", Tables: []string{"orders", "dbo.notes", "dbo.gone"}}, CDCTables, Failed,
		"TABLES names tables that do not exist: dbo.gone")
	check(t, Source{DB: e.admin, Database: "shop", Tables: []string{"orders", "dbo.notes"}}, CDCTables, Failed,
		"not enabled for change data capture: dbo.notes", "@source_name = N'notes'")
}

func TestSourceNoPrimaryKey(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{},
		"CREATE TABLE dbo.events (id int, what nvarchar(20))",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'events', @role_name = NULL")
	check(t, Source{DB: e.admin, Database: "shop"}, PrimaryKeys, Failed, "without a primary key", "dbo.events")
}

func TestSourceSelectLeavesTablesOut(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{},
		"CREATE TABLE dbo.events (id int, what nvarchar(20))",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'events', @role_name = NULL")
	notEvents := func(schema, table string) bool { return table != "events" }
	check(t, Source{DB: e.admin, Database: "shop", Select: notEvents}, PrimaryKeys, Passed, "(2 tables)")
}

func TestSourceUnsupportedTypes(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{},
		"CREATE TABLE dbo.versions (id int PRIMARY KEY, v rowversion, note sql_variant)",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'versions', @role_name = NULL")
	check(t, Source{DB: e.admin, Database: "shop"}, UnsupportedTypes, Warning, "dbo.versions.v (timestamp)", "dbo.versions.note (sql_variant)")
}

func TestSourceAgentStopped(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{AgentStopped: true})
	check(t, Source{DB: e.admin, Database: "shop"}, CDCCaptureJob, Failed, "SQL Server Agent is stopped", "start SQL Server Agent")
}

func TestSourceRetention(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	ctx := context.Background()
	if _, err := e.admin.ExecContext(ctx, "INSERT INTO dbo.orders VALUES (1, 1.50)"); err != nil {
		t.Fatal(err)
	}
	var b []byte
	if err := e.admin.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_max_lsn()").Scan(&b); err != nil {
		t.Fatal(err)
	}
	last, _ := lsn.FromBytes(b)
	stored := source.Position{Snapshot: source.SnapshotPosition{Started: true, Done: true}, Stream: source.StreamPosition{CommitLSN: last}}
	pos := func(context.Context) (lsn.LSN, error) { return stored.ResumeLSN(), nil }
	check(t, Source{DB: e.admin, Database: "shop", Position: pos}, CDCRetention, Passed, "behind")
	// Later changes, then a cleanup past the stored position.
	for _, stmt := range []string{"INSERT INTO dbo.orders VALUES (2, 2.50)", "INSERT INTO dbo.customers VALUES (1, N'ann')",
		"EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_orders', @low_water_mark = NULL, @threshold = 5000"} {
		if _, err := e.admin.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	check(t, Source{DB: e.admin, Database: "shop", Position: pos}, CDCRetention, Failed,
		"the change tables start later: dbo_orders", "tombstone for the producer's key in STATE_TOPIC", "RETENTION_LOSS=resnapshot")
	check(t, Source{DB: e.admin, Database: "shop", Position: pos, ResnapshotLost: true}, CDCRetention, Warning,
		"the change tables start later: dbo_orders", "RETENTION_LOSS=resnapshot takes a new snapshot of those tables")
	stale := func(context.Context) (lsn.LSN, error) {
		return lsn.LSN{}, &source.StalePositionError{Database: "shop", Saved: "2026-01-01T00:00:00.000/5", Current: "2026-02-01T00:00:00.000/5"}
	}
	check(t, Source{DB: e.admin, Database: "shop", Position: stale}, CDCRetention, Warning, "another life of the source database", "STALE_POSITION=resnapshot")
}

func TestSourceHeartbeatTable(t *testing.T) {
	e := startEmu(t, mssqlemu.Config{})
	hb := &heartbeat.Config{Schema: "dbo", Table: heartbeat.DefaultTable, SourceName: "shop"}
	app := openDB(t, e.LoginDSN("shop", "shop_app", "App-passw0rd"))
	check(t, Source{DB: app, Database: "shop", Heartbeat: hb}, HeartbeatTable, Warning,
		"dbo.dts_log_heart_beat is missing or not captured", "CREATE TABLE [dbo].[dts_log_heart_beat]", "@source_name = N'dts_log_heart_beat'")
	check(t, Source{DB: e.admin, Database: "shop", Heartbeat: hb}, HeartbeatTable, Passed, "will be created")
	if err := heartbeat.Ensure(context.Background(), e.admin, *hb); err != nil {
		t.Fatal(err)
	}
	if err := heartbeat.Beat(context.Background(), e.admin, *hb); err != nil {
		t.Fatal(err)
	}
	check(t, Source{DB: app, Database: "shop", Heartbeat: hb}, HeartbeatTable, Passed, "exists and is enabled for change data capture")
}

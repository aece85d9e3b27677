package mssqlemu_test

// Conformance tests: Microsoft's change data capture documentation examples,
// written against database/sql so that they run unchanged against a real
// SQL Server (with SQL Server Agent running) when MSSQL_DSN is set, e.g.
//
//	MSSQL_DSN='sqlserver://sa:Str0ng!Pass@localhost:1433?encrypt=disable' go test ./internal/mssqlemu -run Conformance
//
// Without MSSQL_DSN they run against the emulator. Each test creates its own
// database and drops it at the end.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// server returns a DSN maker for the server under test. The emulator runs
// with cfg; a real server ignores it.
func server(t *testing.T, cfg mssqlemu.Config) func(database string) string {
	t.Helper()
	if dsn := os.Getenv("MSSQL_DSN"); dsn != "" {
		return func(database string) string {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatalf("MSSQL_DSN: %v", err)
			}
			q := u.Query()
			q.Set("database", database)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	emu := startEmuWith(t, cfg)
	return emu.DSN
}

// freshDB creates a uniquely named database with CDC enabled and returns a
// handle on it; the database is dropped when the test ends.
func freshDB(t *testing.T, ctx context.Context) *sql.DB {
	t.Helper()
	return freshDBWith(t, ctx, mssqlemu.Config{})
}

// freshDBWith is freshDB on an emulator configured with cfg.
func freshDBWith(t *testing.T, ctx context.Context, cfg mssqlemu.Config) *sql.DB {
	t.Helper()
	dsn := server(t, cfg)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "conf_" + hex.EncodeToString(b[:])
	master := open(t, dsn("master"))
	if _, err := master.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	db := open(t, dsn(name))
	t.Cleanup(func() {
		_ = db.Close()
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = master.ExecContext(c, "ALTER DATABASE "+name+" SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		_, _ = master.ExecContext(c, "DROP DATABASE "+name)
	})
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-db-transact-sql
	// Example: EXEC sys.sp_cdc_enable_db;
	if _, err := db.ExecContext(ctx, "EXEC sys.sp_cdc_enable_db"); err != nil {
		t.Fatalf("sp_cdc_enable_db: %v", err)
	}
	return db
}

func exec(t *testing.T, ctx context.Context, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// waitCaptured waits until the capture job has written at least n rows to
// a change table (immediate on the emulator; the Agent job on SQL Server).
func waitCaptured(t *testing.T, ctx context.Context, db *sql.DB, changeTable string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		var got int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+changeTable).Scan(&got); err != nil {
			t.Fatalf("count %s: %v", changeTable, err)
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d change rows, want %d (is the capture job running?)", changeTable, got, n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// departmentTable is AdventureWorks' HumanResources.Department, the table
// Microsoft's examples use.
func departmentTable(t *testing.T, ctx context.Context, db *sql.DB) {
	exec(t, ctx, db, "CREATE SCHEMA HumanResources")
	exec(t, ctx, db, `CREATE TABLE HumanResources.Department (
		DepartmentID smallint IDENTITY(1,1) NOT NULL CONSTRAINT PK_Department_DepartmentID PRIMARY KEY,
		Name nvarchar(50) NOT NULL,
		GroupName nvarchar(50) NOT NULL,
		ModifiedDate datetime NOT NULL CONSTRAINT DF_Department_ModifiedDate DEFAULT (getdate()))`)
}

type change struct {
	op   int
	mask []byte
	id   int
	name string
}

func readChanges(t *testing.T, ctx context.Context, db *sql.DB, q string, args ...any) []change {
	t.Helper()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.op, &c.mask, &c.id, &c.name); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformanceEnableTableAndAllChanges(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	departmentTable(t, ctx, db)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-table-transact-sql
	// Example B: enabling a table with net changes, a capture instance name
	// and a captured column list.
	exec(t, ctx, db, `EXEC sys.sp_cdc_enable_table
		@source_schema = N'HumanResources',
		@source_name = N'Department',
		@role_name = NULL,
		@capture_instance = N'HR_Department',
		@supports_net_changes = 1,
		@captured_column_list = N'DepartmentID, Name, GroupName'`)
	var enabled bool
	if err := db.QueryRowContext(ctx, "SELECT is_tracked_by_cdc FROM sys.tables WHERE name = 'Department'").Scan(&enabled); err != nil || !enabled {
		t.Fatalf("is_tracked_by_cdc = %v, %v", enabled, err)
	}
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'Engineering', N'R&D'), (N'Tool Design', N'R&D')")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET GroupName = N'Research and Development' WHERE DepartmentID = 1")
	exec(t, ctx, db, "DELETE FROM HumanResources.Department WHERE DepartmentID = 2")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 5)

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-all-changes-capture-instance-transact-sql
	// Example: all changes between the minimum and maximum LSN.
	const allChanges = `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT __$operation, __$update_mask, DepartmentID, Name FROM cdc.fn_cdc_get_all_changes_HR_Department(@from_lsn, @to_lsn, N'%s')
ORDER BY __$start_lsn, __$seqval, __$operation`
	all := readChanges(t, ctx, db, strings.Replace(allChanges, "%s", "all", 1))
	wantOps := []int{2, 2, 4, 1}
	if len(all) != len(wantOps) {
		t.Fatalf("all: %+v", all)
	}
	for i, c := range all {
		if c.op != wantOps[i] {
			t.Fatalf("all[%d] op %d, want %d (%+v)", i, c.op, wantOps[i], all)
		}
	}
	// Captured columns have ordinals 1..3; the update changed GroupName (3).
	if !bytes.Equal(all[0].mask, []byte{0x07}) || !bytes.Equal(all[2].mask, []byte{0x04}) {
		t.Fatalf("update masks: insert %x, update %x", all[0].mask, all[2].mask)
	}
	old := readChanges(t, ctx, db, strings.Replace(allChanges, "%s", "all update old", 1))
	if len(old) != 5 || old[2].op != 3 || old[3].op != 4 {
		t.Fatalf("all update old: %+v", old)
	}

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-net-changes-capture-instance-transact-sql
	net := readChanges(t, ctx, db, `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT __$operation, CAST(NULL AS varbinary(128)), DepartmentID, Name FROM cdc.fn_cdc_get_net_changes_HR_Department(@from_lsn, @to_lsn, N'all')`)
	if len(net) != 1 || net[0].op != 2 || net[0].id != 1 {
		t.Fatalf("net changes: %+v", net)
	}

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-help-change-data-capture-transact-sql
	rows, err := db.QueryContext(ctx, "EXEC sys.sp_cdc_help_change_data_capture @source_schema = N'HumanResources', @source_name = N'Department'")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	wantCols := "source_schema,source_table,capture_instance,object_id,source_object_id,start_lsn,end_lsn,supports_net_changes,has_drop_pending,role_name,index_name,filegroup_name,create_date,index_column_list,captured_column_list"
	if strings.Join(cols, ",") != wantCols {
		t.Fatalf("sp_cdc_help_change_data_capture columns: %v", cols)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 1 {
		t.Fatalf("capture instances: %d", n)
	}
}

func TestConformanceLSNFunctions(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	departmentTable(t, ctx, db)
	exec(t, ctx, db, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL")
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'Sales', N'Sales and Marketing')")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET Name = N'Sales EU' WHERE Name = N'Sales'")
	waitCaptured(t, ctx, db, "cdc.HumanResources_Department_CT", 3)

	var minLSN, maxLSN, inc, dec []byte
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-increment-lsn-transact-sql
	if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_min_lsn('HumanResources_Department'), sys.fn_cdc_get_max_lsn(),
		sys.fn_cdc_increment_lsn(sys.fn_cdc_get_max_lsn()), sys.fn_cdc_decrement_lsn(sys.fn_cdc_get_max_lsn())`).Scan(&minLSN, &maxLSN, &inc, &dec); err != nil {
		t.Fatal(err)
	}
	if len(minLSN) != 10 || bytes.Compare(minLSN, maxLSN) > 0 || bytes.Compare(inc, maxLSN) <= 0 || bytes.Compare(dec, maxLSN) >= 0 {
		t.Fatalf("min %x max %x inc %x dec %x", minLSN, maxLSN, inc, dec)
	}
	// Starting after the last LSN read, as the increment_lsn example does,
	// returns nothing new; reading from the min returns both changes.
	var n int
	if err := db.QueryRowContext(ctx, `DECLARE @from_lsn binary(10) = sys.fn_cdc_get_min_lsn('HumanResources_Department'), @to_lsn binary(10) = sys.fn_cdc_get_max_lsn();
SELECT COUNT(*) FROM cdc.fn_cdc_get_all_changes_HumanResources_Department(@from_lsn, @to_lsn, 'all')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("changes from min: %d %v", n, err)
	}

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-map-lsn-to-time-transact-sql
	var commit time.Time
	if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_map_lsn_to_time(sys.fn_cdc_get_max_lsn())`).Scan(&commit); err != nil {
		t.Fatal(err)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-map-time-to-lsn-transact-sql
	var le, gt []byte
	if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_map_time_to_lsn('largest less than or equal', @p1), sys.fn_cdc_map_time_to_lsn('smallest greater than', @p1)`,
		sql.Named("p1", mssql.DateTime1(commit))).Scan(&le, &gt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(le, maxLSN) || gt != nil {
		t.Fatalf("map_time_to_lsn: le %x (max %x), gt %x", le, maxLSN, gt)
	}

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-column-ordinal-transact-sql
	// and sys-fn-cdc-has-column-changed-transact-sql: the update changed Name only.
	var ord int
	var nameChanged, groupChanged bool
	if err := db.QueryRowContext(ctx, `DECLARE @from_lsn binary(10) = sys.fn_cdc_get_min_lsn('HumanResources_Department'), @to_lsn binary(10) = sys.fn_cdc_get_max_lsn();
SELECT sys.fn_cdc_get_column_ordinal('HumanResources_Department', 'Name'),
	sys.fn_cdc_has_column_changed('HumanResources_Department', 'Name', __$update_mask),
	sys.fn_cdc_has_column_changed('HumanResources_Department', 'GroupName', __$update_mask)
FROM cdc.fn_cdc_get_all_changes_HumanResources_Department(@from_lsn, @to_lsn, 'all') WHERE __$operation = 4`).Scan(&ord, &nameChanged, &groupChanged); err != nil {
		t.Fatal(err)
	}
	if ord != 2 || !nameChanged || groupChanged {
		t.Fatalf("ordinal %d, Name changed %v, GroupName changed %v", ord, nameChanged, groupChanged)
	}

	// Below the minimum LSN the query fails with the misleading Msg 313.
	_, err := db.ExecContext(ctx, `SELECT * FROM cdc.fn_cdc_get_all_changes_HumanResources_Department(0x00000000000000000000, sys.fn_cdc_get_max_lsn(), 'all')`)
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 313 {
		t.Fatalf("below min LSN: %v", err)
	}
}

func TestConformanceDisableTable(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	departmentTable(t, ctx, db)
	exec(t, ctx, db, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL, @capture_instance = N'HR_Department'")
	exec(t, ctx, db, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL, @capture_instance = N'HR_Department2'")
	// A third capture instance is refused (at most two per table).
	_, err := db.ExecContext(ctx, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL, @capture_instance = N'HR_Department3'")
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 22962 {
		t.Fatalf("third capture instance: %v", err)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-disable-table-transact-sql
	exec(t, ctx, db, "EXEC sys.sp_cdc_disable_table @source_schema = N'HumanResources', @source_name = N'Department', @capture_instance = N'HR_Department'")
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cdc.change_tables").Scan(&n); err != nil || n != 1 {
		t.Fatalf("change_tables after disable: %d %v", n, err)
	}
	exec(t, ctx, db, "EXEC sys.sp_cdc_disable_table @source_schema = N'HumanResources', @source_name = N'Department', @capture_instance = N'all'")
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cdc.change_tables").Scan(&n); err != nil || n != 0 {
		t.Fatalf("change_tables after disable all: %d %v", n, err)
	}
}

package mssqlemu_test

// Conformance tests for the LSN functions, the update-mask helpers, DDL
// history, cleanup and the capture delay. Like conformance_test.go they run
// unchanged against a real SQL Server when MSSQL_DSN is set: they wait for
// the capture job by polling and clean up with sys.sp_cdc_cleanup_change_table,
// never through emulator hooks.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

func TestConformanceMapTimeToLSN(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	for _, name := range []string{"A", "B", "C"} {
		exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (@p1, N'G')", name)
	}
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 3)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-map-time-to-lsn-transact-sql
	// Each relational operator picks the start_lsn of cdc.lsn_time_mapping
	// whose tran_end_time satisfies the relation with tracking_time.
	times := queryStrings(t, ctx, db, `SELECT CONVERT(varchar(23), tran_end_time, 121) FROM cdc.lsn_time_mapping
WHERE start_lsn IN (SELECT __$start_lsn FROM cdc.HR_Department_CT) ORDER BY start_lsn`)
	if len(times) != 3 {
		t.Fatalf("lsn_time_mapping rows of three commits: %v", times)
	}
	for _, tm := range times {
		for _, tc := range []struct{ op, agg string }{
			{"largest less than", "SELECT MAX(start_lsn) FROM cdc.lsn_time_mapping WHERE tran_end_time < @t"},
			{"largest less than or equal", "SELECT MAX(start_lsn) FROM cdc.lsn_time_mapping WHERE tran_end_time <= @t"},
			{"smallest greater than", "SELECT MIN(start_lsn) FROM cdc.lsn_time_mapping WHERE tran_end_time > @t"},
			{"smallest greater than or equal", "SELECT MIN(start_lsn) FROM cdc.lsn_time_mapping WHERE tran_end_time >= @t"},
		} {
			var got, want []byte
			q := "DECLARE @t datetime = CONVERT(datetime, @p1, 121); SELECT sys.fn_cdc_map_time_to_lsn(@p2, @t), (" + tc.agg + ")"
			if err := db.QueryRowContext(ctx, q, tm[0], tc.op).Scan(&got, &want); err != nil {
				t.Fatalf("%s %s: %v", tc.op, tm[0], err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("map_time_to_lsn(%q, %s) = %x, want %x", tc.op, tm[0], got, want)
			}
		}
	}
	// The page's example: a time window mapped to an LSN range for the
	// net changes function.
	rows := queryStrings(t, ctx, db, `DECLARE @begin_time datetime, @end_time datetime, @begin_lsn binary(10), @end_lsn binary(10);
SET @begin_time = DATEADD(day, -1, GETDATE());
SET @end_time = DATEADD(day, 1, GETDATE());
SELECT @begin_lsn = sys.fn_cdc_map_time_to_lsn('smallest greater than', @begin_time);
SELECT @end_lsn = sys.fn_cdc_map_time_to_lsn('largest less than or equal', @end_time);
-- Not below the capture instance's start (the mapping table may hold older rows on SQL Server).
IF @begin_lsn < sys.fn_cdc_get_min_lsn('HR_Department') SET @begin_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SELECT __$operation, Name FROM cdc.fn_cdc_get_net_changes_HR_Department(@begin_lsn, @end_lsn, 'all') ORDER BY Name`)
	if got, want := joinRows(rows), "2|A\n2|B\n2|C"; got != want {
		t.Errorf("net changes of the window:\n got %s\nwant %s", got, want)
	}
}

func TestConformanceIncrementDecrementLSN(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	var saved, inc, dec, roundTrip []byte
	if err := db.QueryRowContext(ctx, `DECLARE @m binary(10) = sys.fn_cdc_get_max_lsn();
SELECT @m, sys.fn_cdc_increment_lsn(@m), sys.fn_cdc_decrement_lsn(@m), sys.fn_cdc_decrement_lsn(sys.fn_cdc_increment_lsn(@m))`).Scan(&saved, &inc, &dec, &roundTrip); err != nil {
		t.Fatal(err)
	}
	if bytes.Compare(inc, saved) <= 0 || bytes.Compare(dec, saved) >= 0 || !bytes.Equal(roundTrip, saved) {
		t.Fatalf("max %x increment %x decrement %x decrement(increment) %x", saved, inc, dec, roundTrip)
	}
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'B', N'G')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 2)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-increment-lsn-transact-sql
	// Example: the next query interval starts just after the saved upper bound.
	rows := queryStrings(t, ctx, db, `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_increment_lsn(@p1);
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT __$operation, Name FROM cdc.fn_cdc_get_all_changes_HR_Department(@from_lsn, @to_lsn, N'all')`, saved)
	if got := joinRows(rows); got != "2|B" {
		t.Errorf("changes after the saved LSN: %q", got)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-decrement-lsn-transact-sql
	// An upper bound just below the last change's LSN excludes it.
	rows = queryStrings(t, ctx, db, `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SET @to_lsn = sys.fn_cdc_decrement_lsn((SELECT MAX(__$start_lsn) FROM cdc.HR_Department_CT));
SELECT __$operation, Name FROM cdc.fn_cdc_get_all_changes_HR_Department(@from_lsn, @to_lsn, N'all')`)
	if got := joinRows(rows); got != "2|A" {
		t.Errorf("changes below the maximum: %q", got)
	}
}

func TestConformanceIsBitSet(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G'), (N'B', N'G')")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET GroupName = N'H' WHERE Name = N'A'")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET Name = N'C' WHERE Name = N'B'")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 6)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-is-bit-set-transact-sql
	// Example: prepend IsGroupNmUpdated to the all-changes result.
	rows := queryStrings(t, ctx, db, `DECLARE @from_lsn binary(10), @to_lsn binary(10), @GroupNm_ordinal int;
SET @from_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SET @GroupNm_ordinal = sys.fn_cdc_get_column_ordinal('HR_Department','GroupName');
SELECT sys.fn_cdc_is_bit_set(@GroupNm_ordinal,__$update_mask) as 'IsGroupNmUpdated', *
FROM cdc.fn_cdc_get_all_changes_HR_Department( @from_lsn, @to_lsn, 'all')
WHERE __$operation = 4
ORDER BY __$start_lsn`)
	if len(rows) != 2 || rows[0][0] != "true" || rows[1][0] != "false" {
		t.Errorf("IsGroupNmUpdated: %v", rows)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-has-column-changed-transact-sql
	// has_column_changed answers the same from the column name.
	rows = queryStrings(t, ctx, db, `SELECT sys.fn_cdc_has_column_changed('HR_Department', 'GroupName', __$update_mask),
	sys.fn_cdc_has_column_changed('HR_Department', 'Name', __$update_mask)
FROM cdc.fn_cdc_get_all_changes_HR_Department(sys.fn_cdc_get_min_lsn('HR_Department'), sys.fn_cdc_get_max_lsn(), 'all')
WHERE __$operation = 4 ORDER BY __$start_lsn`)
	if got := joinRows(rows); got != "true|false\nfalse|true" {
		t.Errorf("has_column_changed: %q", got)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-column-ordinal-transact-sql
	var ord int
	if err := db.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_column_ordinal('HR_Department', 'GroupName')").Scan(&ord); err != nil || ord != 3 {
		t.Errorf("get_column_ordinal: %d %v", ord, err)
	}
}

func TestConformanceDDLHistory(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "ALTER TABLE HumanResources.Department ADD CostCenter int NULL")
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName, CostCenter) VALUES (N'A', N'G', 7)")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-ddl-history-transact-sql
	// The capture job records DDL on a tracked source table.
	waitQuery(t, ctx, db, "SELECT ddl_command FROM cdc.ddl_history", 1)
	rows := queryStrings(t, ctx, db, `SELECT OBJECT_NAME(source_object_id), required_column_update, ddl_command, CASE WHEN ddl_lsn IS NULL THEN 0 ELSE 1 END
FROM cdc.ddl_history`)
	if len(rows) != 1 || rows[0][0] != "Department" || rows[0][1] != "false" || !strings.Contains(rows[0][2], "ADD CostCenter int NULL") || rows[0][3] != "1" {
		t.Errorf("cdc.ddl_history: %v", rows)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/track-changes/about-change-data-capture-sql-server
	// ("Handling changes to source tables"): a new column is not captured by
	// the existing capture instance.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cdc.captured_columns WHERE column_name = N'CostCenter'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("CostCenter in cdc.captured_columns: %d %v", n, err)
	}
	var length sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT COL_LENGTH('cdc.HR_Department_CT', 'CostCenter')`).Scan(&length); err != nil || length.Valid {
		t.Errorf("CostCenter in the change table: %v %v", length, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COL_LENGTH('HumanResources.Department', 'CostCenter')`).Scan(&length); err != nil || length.Int64 != 4 {
		t.Errorf("CostCenter in the source table: %v %v", length, err)
	}
}

func TestConformanceCleanupAndMinLSN(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	// Distinct commit times: cleanup lowers a watermark to the smallest
	// LSN sharing its commit time.
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G'); WAITFOR DELAY '00:00:00.050'")
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'B', N'G')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 2)
	var oldMin, second []byte
	if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_min_lsn('HR_Department'), MAX(__$start_lsn) FROM cdc.HR_Department_CT`).Scan(&oldMin, &second); err != nil {
		t.Fatal(err)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-cleanup-change-table-transact-sql
	// The new low watermark is a start_lsn of cdc.lsn_time_mapping; change
	// rows below it are removed.
	exec(t, ctx, db, `DECLARE @LSN binary(10) = @p1;
EXECUTE sys.sp_cdc_cleanup_change_table @capture_instance = 'HR_Department', @low_water_mark = @LSN, @threshold = 5000`, second)
	var newMin []byte
	var n int
	if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_min_lsn('HR_Department'), (SELECT COUNT(*) FROM cdc.HR_Department_CT)`).Scan(&newMin, &n); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(newMin, second) || n != 1 {
		t.Fatalf("after cleanup: min %x (want %x), %d change rows", newMin, second, n)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-all-changes-capture-instance-transact-sql
	// "If the specified LSN range doesn't fall within the change tracking
	// timeline for the capture instance, the function returns error 208"
	// ... in practice Msg 313, "An insufficient number of arguments".
	_, err := db.ExecContext(ctx, `SELECT * FROM cdc.fn_cdc_get_all_changes_HR_Department(@p1, sys.fn_cdc_get_max_lsn(), N'all')`, oldMin)
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 313 {
		t.Fatalf("below the minimum LSN: %v", err)
	}
	rows := queryStrings(t, ctx, db, `SELECT __$operation, Name FROM cdc.fn_cdc_get_all_changes_HR_Department(sys.fn_cdc_get_min_lsn('HR_Department'), sys.fn_cdc_get_max_lsn(), N'all')`)
	if got := joinRows(rows); got != "2|B" {
		t.Errorf("changes from the new minimum: %q", got)
	}
}

func TestConformanceTwoCaptureInstances(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-table-transact-sql
	// "A source table can have no more than two capture instances".
	exec(t, ctx, db, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL, @capture_instance = N'HR_Department_v2'")
	_, err := db.ExecContext(ctx, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL, @capture_instance = N'HR_Department_v3'")
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 22962 || me.Class != 16 {
		t.Fatalf("third capture instance: %v", err)
	}
	// Both instances capture the same change; the second captures every column.
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	waitCaptured(t, ctx, db, "cdc.HR_Department_v2_CT", 1)
	var mask1, mask2 []byte
	if err := db.QueryRowContext(ctx, "SELECT (SELECT __$update_mask FROM cdc.HR_Department_CT), (SELECT __$update_mask FROM cdc.HR_Department_v2_CT)").Scan(&mask1, &mask2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mask1, []byte{0x07}) || !bytes.Equal(mask2, []byte{0x0f}) {
		t.Errorf("insert masks: %x (3 columns), %x (4 columns)", mask1, mask2)
	}
	// A database that is not enabled refuses sp_cdc_enable_table with Msg 22901.
	exec(t, ctx, db, "EXEC sys.sp_cdc_disable_db")
	_, err = db.ExecContext(ctx, "EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department', @role_name = NULL")
	if !errors.As(err, &me) || me.Number != 22901 {
		t.Fatalf("enable table without enable db: %v", err)
	}
}

// TestConformanceCaptureDelay: changes reach the change table only when
// the capture job has read them; readers poll. Against the emulator the
// job runs with a short capture delay, as on SQL Server (pollinginterval).
func TestConformanceCaptureDelay(t *testing.T) {
	ctx := context.Background()
	db := freshDBWith(t, ctx, mssqlemu.Config{CaptureDelay: 20 * time.Millisecond})
	enableDepartment(t, ctx, db)
	var before []byte
	if err := db.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_max_lsn()").Scan(&before); err != nil {
		t.Fatal(err)
	}
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')")
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-change-job-transact-sql
	// (@pollinginterval: seconds between log scan cycles).
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	var after, start []byte
	if err := db.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_max_lsn(), (SELECT __$start_lsn FROM cdc.HR_Department_CT)").Scan(&after, &start); err != nil {
		t.Fatal(err)
	}
	if bytes.Compare(after, before) <= 0 || bytes.Compare(after, start) < 0 {
		t.Errorf("max LSN before %x, after %x, change at %x", before, after, start)
	}
}

// TestConformanceMaxLSNNeverPassesUncapturedChanges: the capture job reads
// the log in order, so every change committed at or below
// sys.fn_cdc_get_max_lsn() is already in its change table; readers that
// read up to the maximum and move on rely on it
// (https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-max-lsn-transact-sql:
// "the maximum LSN from the start_lsn column in the cdc.lsn_time_mapping
// system table", which the capture job fills as it scans the log). A
// capture instance enabled while a committed change waits for the capture
// job must not move the maximum past that change.
func TestConformanceMaxLSNNeverPassesUncapturedChanges(t *testing.T) {
	ctx := context.Background()
	db := freshDBWith(t, ctx, mssqlemu.Config{CaptureDelay: 300 * time.Millisecond})
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "CREATE TABLE dbo.other (id int NOT NULL PRIMARY KEY)")
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')") // waits for the capture job
	exec(t, ctx, db, "EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'other', @role_name = NULL")
	var max []byte
	var captured int
	if err := db.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_max_lsn(), (SELECT COUNT(*) FROM cdc.HR_Department_CT)").Scan(&max, &captured); err != nil {
		t.Fatal(err)
	}
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	var start []byte
	if err := db.QueryRowContext(ctx, "SELECT __$start_lsn FROM cdc.HR_Department_CT").Scan(&start); err != nil {
		t.Fatal(err)
	}
	if captured == 0 && bytes.Compare(max, start) >= 0 {
		t.Errorf("sys.fn_cdc_get_max_lsn() was %x while the change committed at %x was not captured yet", max, start)
	}
}

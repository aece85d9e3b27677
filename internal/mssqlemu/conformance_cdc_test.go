package mssqlemu_test

// More conformance tests, one per change data capture procedure, function
// and system table. Each cites the learn.microsoft.com page whose example
// or documented behaviour it checks, and runs unchanged against a real SQL
// Server when MSSQL_DSN is set (see conformance_test.go).

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

// enableDepartment creates HumanResources.Department and enables it as the
// capture instance HR_Department with net changes (sp_cdc_enable_table
// example B), capturing DepartmentID, Name and GroupName.
func enableDepartment(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	departmentTable(t, ctx, db)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-table-transact-sql
	// Example B: "Enable change data capture by specifying additional optional parameters".
	exec(t, ctx, db, `EXECUTE sys.sp_cdc_enable_table
		@source_schema = N'HumanResources',
		@source_name = N'Department',
		@role_name = NULL,
		@capture_instance = N'HR_Department',
		@supports_net_changes = 1,
		@captured_column_list = N'DepartmentID, Name, GroupName'`)
}

// queryStrings runs q and returns every row with each value formatted by
// database/sql into a string (NULL as "NULL").
func queryStrings(t *testing.T, ctx context.Context, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func joinRows(rows [][]string) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = strings.Join(r, "|")
	}
	return strings.Join(parts, "\n")
}

// waitQuery polls q until it returns at least n rows: SQL Server's capture
// job writes change rows and DDL history asynchronously.
func waitQuery(t *testing.T, ctx context.Context, db *sql.DB, q string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		var got int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ("+q+") AS x").Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d rows, want %d (is the capture job running?)", q, got, n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestConformanceHelpChangeDataCapture(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-help-change-data-capture-transact-sql
	// Example: "EXECUTE sys.sp_cdc_help_change_data_capture @source_schema = N'HumanResources', @source_name = N'Employee';"
	// and "Return information for all tables": no arguments.
	for _, q := range []string{
		"EXECUTE sys.sp_cdc_help_change_data_capture @source_schema = N'HumanResources', @source_name = N'Department'",
		"EXECUTE sys.sp_cdc_help_change_data_capture",
	} {
		rows := queryStrings(t, ctx, db, q)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", q, len(rows))
		}
		r := rows[0]
		// source_schema, source_table, capture_instance, ..., supports_net_changes (7), ..., index_name (10), ..., index_column_list (13), captured_column_list (14)
		got := strings.Join([]string{r[0], r[1], r[2], r[7], r[10], r[13], r[14]}, "|")
		want := "HumanResources|Department|HR_Department|true|PK_Department_DepartmentID|[DepartmentID]|[DepartmentID], [Name], [GroupName]"
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
		if r[5] == "NULL" || r[6] != "NULL" {
			t.Errorf("%s: start_lsn %q, end_lsn %q", q, r[5], r[6])
		}
	}
}

func TestConformanceCapturedAndIndexColumns(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-captured-columns-transact-sql
	got := joinRows(queryStrings(t, ctx, db, `SELECT cc.column_name, cc.column_id, cc.column_type, cc.column_ordinal, cc.is_computed
FROM cdc.captured_columns AS cc JOIN cdc.change_tables AS ct ON ct.object_id = cc.object_id
WHERE ct.capture_instance = N'HR_Department' ORDER BY cc.column_ordinal`))
	want := "DepartmentID|1|smallint|1|false\nName|2|nvarchar|2|false\nGroupName|3|nvarchar|3|false"
	if got != want {
		t.Errorf("cdc.captured_columns:\n got %s\nwant %s", got, want)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-index-columns-transact-sql
	got = joinRows(queryStrings(t, ctx, db, `SELECT ic.column_name, ic.index_ordinal, ic.column_id
FROM cdc.index_columns AS ic JOIN cdc.change_tables AS ct ON ct.object_id = ic.object_id
WHERE ct.capture_instance = N'HR_Department'`))
	if want := "DepartmentID|1|1"; got != want {
		t.Errorf("cdc.index_columns:\n got %s\nwant %s", got, want)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-change-tables-transact-sql
	got = joinRows(queryStrings(t, ctx, db, `SELECT capture_instance, supports_net_changes, has_drop_pending, index_name, OBJECT_NAME(source_object_id)
FROM cdc.change_tables`))
	if want := "HR_Department|true|false|PK_Department_DepartmentID|Department"; got != want {
		t.Errorf("cdc.change_tables:\n got %s\nwant %s", got, want)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-get-captured-columns-transact-sql
	// Example: EXECUTE sys.sp_cdc_get_captured_columns @capture_instance = N'HumanResources_Employee';
	rows := queryStrings(t, ctx, db, "EXECUTE sys.sp_cdc_get_captured_columns @capture_instance = N'HR_Department'")
	if len(rows) != 3 {
		t.Errorf("sp_cdc_get_captured_columns: %d rows", len(rows))
	}
}

// TestConformanceChangeTableColumns reads cdc.<capture_instance>_CT
// directly: the change table's layout is documented on the
// cdc.<capture_instance>_CT page.
func TestConformanceChangeTableColumns(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'Engineering', N'R&D')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-capture-instance-ct-transact-sql
	rows, err := db.QueryContext(ctx, "SELECT * FROM cdc.HR_Department_CT")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	rows.Close()
	want := "__$start_lsn,__$end_lsn,__$seqval,__$operation,__$update_mask,DepartmentID,Name,GroupName,__$command_id"
	if got := strings.Join(cols, ","); got != want {
		t.Errorf("columns of cdc.HR_Department_CT:\n got %s\nwant %s", got, want)
	}
	var start, seq, mask []byte
	var op, cmd int
	if err := db.QueryRowContext(ctx, "SELECT __$start_lsn, __$seqval, __$operation, __$update_mask, __$command_id FROM cdc.HR_Department_CT").
		Scan(&start, &seq, &op, &mask, &cmd); err != nil {
		t.Fatal(err)
	}
	if len(start) != 10 || len(seq) != 10 || op != 2 || !bytes.Equal(mask, []byte{0x07}) || cmd != 1 {
		t.Errorf("change row: start %x seqval %x op %d mask %x command_id %d", start, seq, op, mask, cmd)
	}
	// One commit LSN per transaction, listed in cdc.lsn_time_mapping.
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-lsn-time-mapping-transact-sql
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cdc.lsn_time_mapping WHERE start_lsn = @p1 AND tran_end_time >= tran_begin_time", start).Scan(&n); err != nil || n != 1 {
		t.Errorf("lsn_time_mapping rows for %x: %d %v", start, n, err)
	}
}

// TestConformanceSeqvalOrdersATransaction: all operations of a transaction
// share its commit LSN; __$seqval orders them.
func TestConformanceSeqvalOrdersATransaction(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, `BEGIN TRANSACTION;
INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G');
UPDATE HumanResources.Department SET Name = N'B' WHERE Name = N'A';
DELETE FROM HumanResources.Department WHERE Name = N'B';
COMMIT TRANSACTION;`)
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 4)
	rows := queryStrings(t, ctx, db, `SELECT __$operation, Name FROM cdc.HR_Department_CT ORDER BY __$seqval, __$operation`)
	if got, want := joinRows(rows), "2|A\n3|A\n4|B\n1|B"; got != want {
		t.Errorf("ordered by __$seqval:\n got %s\nwant %s", got, want)
	}
	var lsns int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(DISTINCT __$start_lsn) FROM cdc.HR_Department_CT").Scan(&lsns); err != nil || lsns != 1 {
		t.Errorf("distinct __$start_lsn: %d %v", lsns, err)
	}
}

func TestConformanceNetChangesRowFilterOptions(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'Engineering', N'R&D'), (N'Tool Design', N'R&D'), (N'Sales', N'S&M')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 3)
	var from []byte
	if err := db.QueryRowContext(ctx, "SELECT sys.fn_cdc_increment_lsn(sys.fn_cdc_get_max_lsn())").Scan(&from); err != nil {
		t.Fatal(err)
	}
	// In the next interval: row 1 is updated twice, row 2 deleted, row 4
	// inserted and updated, row 5 inserted and deleted.
	exec(t, ctx, db, "UPDATE HumanResources.Department SET Name = N'Eng' WHERE DepartmentID = 1")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET Name = N'Engineering EU' WHERE DepartmentID = 1")
	exec(t, ctx, db, "DELETE FROM HumanResources.Department WHERE DepartmentID = 2")
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'Marketing', N'S&M'), (N'Temp', N'X')")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET GroupName = N'Sales and Marketing' WHERE DepartmentID = 4")
	exec(t, ctx, db, "DELETE FROM HumanResources.Department WHERE DepartmentID = 5")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 3+4+1+2+2+1)

	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-net-changes-capture-instance-transact-sql
	// Example: net changes over an interval, with each row filter option.
	const q = `DECLARE @to_lsn binary(10) = sys.fn_cdc_get_max_lsn();
SELECT __$operation, __$update_mask, DepartmentID, Name, GroupName
FROM cdc.fn_cdc_get_net_changes_HR_Department(@p1, @to_lsn, @p2) ORDER BY DepartmentID`
	for _, tc := range []struct{ option, want string }{
		{"all", "4|NULL|1|Engineering EU|R&D\n1|NULL|2|Tool Design|R&D\n2|NULL|4|Marketing|Sales and Marketing"},
		// The mask is set for updates only: row 1 changed Name (ordinal 2).
		{"all with mask", "4|\x02|1|Engineering EU|R&D\n1|NULL|2|Tool Design|R&D\n2|NULL|4|Marketing|Sales and Marketing"},
		// Inserts and updates become operation 5.
		{"all with merge", "5|NULL|1|Engineering EU|R&D\n1|NULL|2|Tool Design|R&D\n5|NULL|4|Marketing|Sales and Marketing"},
	} {
		t.Run(tc.option, func(t *testing.T) {
			got := joinRows(queryStrings(t, ctx, db, q, from, tc.option))
			if got != tc.want {
				t.Errorf("net changes %q:\n got %q\nwant %q", tc.option, got, tc.want)
			}
		})
	}
	// An unknown row filter option is refused with Msg 313.
	_, err := db.ExecContext(ctx, "SELECT * FROM cdc.fn_cdc_get_net_changes_HR_Department(sys.fn_cdc_get_min_lsn('HR_Department'), sys.fn_cdc_get_max_lsn(), N'all update old')")
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 313 {
		t.Errorf("net changes with 'all update old': %v", err)
	}
}

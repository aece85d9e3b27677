package mssqlemu_test

// Conformance tests of what SQL Server does when a captured table changes
// shape: the DDL is recorded, existing rows get their defaults without change
// rows, and only a second capture instance sees a new column.

import (
	"bytes"
	"context"
	"testing"
)

func TestConformanceAddColumnDefaultsWithoutChangeRows(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 1)
	// https://learn.microsoft.com/en-us/sql/t-sql/statements/alter-table-transact-sql
	// "If the new column allows null values and you don't specify a default,
	// the new column contains a null value for each row in the table. If the
	// new column allows null values and you add a default definition with the
	// new column, you can use WITH VALUES to store the default value in the
	// new column for each existing row in the table. If the new column doesn't
	// allow null values and has a DEFAULT definition, the new column contains
	// the default value in each existing row."
	exec(t, ctx, db, `ALTER TABLE HumanResources.Department ADD
		CostCenter int NOT NULL CONSTRAINT DF_Department_CostCenter DEFAULT (42),
		Budget int NULL CONSTRAINT DF_Department_Budget DEFAULT (7) WITH VALUES,
		Note nvarchar(20) NULL CONSTRAINT DF_Department_Note DEFAULT (N'none')`)
	rows := queryStrings(t, ctx, db, "SELECT CostCenter, Budget, Note FROM HumanResources.Department")
	if got := joinRows(rows); got != "42|7|NULL" {
		t.Errorf("existing row after ADD: %q, want 42|7|NULL", got)
	}
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'B', N'G')")
	rows = queryStrings(t, ctx, db, "SELECT CostCenter, Budget, Note FROM HumanResources.Department WHERE Name = N'B'")
	if got := joinRows(rows); got != "42|7|none" {
		t.Errorf("new row after ADD: %q, want 42|7|none", got)
	}
	// Filling the existing rows wrote no change row: the change table holds
	// the two inserts only.
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 2)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cdc.HR_Department_CT").Scan(&n); err != nil || n != 2 {
		t.Errorf("change rows: %d %v, want the 2 inserts", n, err)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-ddl-history-transact-sql
	waitQuery(t, ctx, db, "SELECT ddl_command FROM cdc.ddl_history", 1)
	rows = queryStrings(t, ctx, db, "SELECT OBJECT_NAME(source_object_id) FROM cdc.ddl_history")
	if len(rows) != 1 || rows[0][0] != "Department" {
		t.Errorf("cdc.ddl_history: %v, want one row for Department", rows)
	}
}

func TestConformanceSecondCaptureInstanceSeesNewColumn(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	exec(t, ctx, db, "INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A', N'G')")
	exec(t, ctx, db, "ALTER TABLE HumanResources.Department ADD CostCenter int NOT NULL CONSTRAINT DF_Department_CostCenter DEFAULT (42)")
	exec(t, ctx, db, "UPDATE HumanResources.Department SET Name = N'A2' WHERE Name = N'A'")
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 3)
	waitQuery(t, ctx, db, "SELECT ddl_command FROM cdc.ddl_history", 1)
	// https://learn.microsoft.com/en-us/sql/relational-databases/track-changes/about-change-data-capture-sql-server
	// ("Handling changes to source tables"): "to accommodate the new column, a
	// second capture instance can be created"; at most two per table, each
	// with its own change table and start_lsn.
	exec(t, ctx, db, `EXEC sys.sp_cdc_enable_table @source_schema = N'HumanResources', @source_name = N'Department',
		@role_name = NULL, @capture_instance = N'HR_Department_v2', @supports_net_changes = 1`)
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-change-tables-transact-sql
	var start1, start2, ddlLSN, min2 []byte
	if err := db.QueryRowContext(ctx, `SELECT (SELECT start_lsn FROM cdc.change_tables WHERE capture_instance = N'HR_Department'),
		(SELECT start_lsn FROM cdc.change_tables WHERE capture_instance = N'HR_Department_v2'),
		(SELECT MAX(ddl_lsn) FROM cdc.ddl_history), sys.fn_cdc_get_min_lsn('HR_Department_v2')`).Scan(&start1, &start2, &ddlLSN, &min2); err != nil {
		t.Fatal(err)
	}
	if bytes.Compare(start2, start1) <= 0 || bytes.Compare(start2, ddlLSN) <= 0 {
		t.Errorf("start_lsn of the second instance %x, want after the first's %x and the DDL's %x", start2, start1, ddlLSN)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-min-lsn-transact-sql
	if !bytes.Equal(min2, start2) {
		t.Errorf("sys.fn_cdc_get_min_lsn(HR_Department_v2) = %x, want its start_lsn %x", min2, start2)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-captured-columns-transact-sql
	rows := queryStrings(t, ctx, db, `SELECT ct.capture_instance, cc.column_name FROM cdc.captured_columns AS cc
		JOIN cdc.change_tables AS ct ON ct.object_id = cc.object_id WHERE cc.column_name = N'CostCenter'`)
	if got := joinRows(rows); got != "HR_Department_v2|CostCenter" {
		t.Errorf("instances capturing CostCenter: %q, want only HR_Department_v2", got)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-get-captured-columns-transact-sql
	rows = queryStrings(t, ctx, db, "EXEC sys.sp_cdc_get_captured_columns @capture_instance = N'HR_Department_v2'")
	var names []string
	for _, r := range rows {
		names = append(names, r[3])
	}
	if got := joinRows([][]string{names}); got != "DepartmentID|Name|GroupName|ModifiedDate|CostCenter" {
		t.Errorf("sp_cdc_get_captured_columns HR_Department_v2: %q", got)
	}
	// Changes before the instance's start are not in it; later ones are in
	// both, and the new instance shows the filled value in both images.
	exec(t, ctx, db, "UPDATE HumanResources.Department SET GroupName = N'G2' WHERE Name = N'A2'")
	waitCaptured(t, ctx, db, "cdc.HR_Department_v2_CT", 2)
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 5)
	rows = queryStrings(t, ctx, db, `SELECT __$operation, GroupName, CostCenter FROM cdc.fn_cdc_get_all_changes_HR_Department_v2(
		sys.fn_cdc_get_min_lsn('HR_Department_v2'), sys.fn_cdc_get_max_lsn(), N'all update old') ORDER BY __$seqval, __$operation`)
	if got := joinRows(rows); got != "3|G|42\n4|G2|42" {
		t.Errorf("changes of HR_Department_v2: %q, want the last update only", got)
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-disable-table-transact-sql
	exec(t, ctx, db, "EXEC sys.sp_cdc_disable_table @source_schema = N'HumanResources', @source_name = N'Department', @capture_instance = N'HR_Department'")
	rows = queryStrings(t, ctx, db, "SELECT capture_instance FROM cdc.change_tables")
	if got := joinRows(rows); got != "HR_Department_v2" {
		t.Errorf("capture instances after disabling the first: %q", got)
	}
}

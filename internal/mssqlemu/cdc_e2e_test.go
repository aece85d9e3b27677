package mssqlemu_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

func TestCaptureDelayCleanupAndDDL(t *testing.T) {
	ctx := context.Background()
	// A capture delay far longer than the test: nothing is captured until
	// FlushCapture, so the test does not depend on timing.
	emu, err := mssqlemu.Start(ctx, mssqlemu.Config{CaptureDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Exec(ctx, "master", `CREATE DATABASE app; ALTER DATABASE app SET ALLOW_SNAPSHOT_ISOLATION ON`); err != nil {
		t.Fatal(err)
	}
	if err := emu.Exec(ctx, "app", `CREATE TABLE dbo.t (id int PRIMARY KEY, v nvarchar(10));
EXEC sys.sp_cdc_enable_db;
EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N't', @role_name = NULL;
INSERT INTO dbo.t VALUES (1, N'a'), (2, N'b');`); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("app"))
	count := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cdc.dbo_t_CT`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("captured before the delay: %d", n)
	}
	emu.FlushCapture()
	if n := count(); n != 2 {
		t.Fatalf("after flush: %d", n)
	}
	// A column added after the capture instance exists is not captured,
	// and the ALTER is recorded in cdc.ddl_history.
	if _, err := db.ExecContext(ctx, `ALTER TABLE dbo.t ADD extra int NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE dbo.t SET extra = 5, v = N'z' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	emu.FlushCapture()
	var ddl string
	if err := db.QueryRowContext(ctx, `SELECT ddl_command FROM cdc.ddl_history`).Scan(&ddl); err != nil || ddl != "ALTER TABLE dbo.t ADD extra int NULL" {
		t.Fatalf("ddl_history: %q %v", ddl, err)
	}
	var cols []string
	rows, err := db.QueryContext(ctx, `SELECT column_name FROM cdc.captured_columns ORDER BY column_ordinal`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) != 2 {
		t.Fatalf("captured columns: %v", cols)
	}
	// Cleanup from Go keeps only the newest transaction older than the
	// retention and moves the minimum LSN up to it.
	var before, after, maxLSN []byte
	_ = db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_min_lsn('dbo_t'), sys.fn_cdc_get_max_lsn()`).Scan(&before, &maxLSN)
	if err := emu.Cleanup("app", 0); err != nil {
		t.Fatal(err)
	}
	_ = db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_min_lsn('dbo_t')`).Scan(&after)
	if !bytes.Equal(after, maxLSN) || bytes.Equal(before, after) {
		t.Fatalf("min lsn before %x after %x max %x", before, after, maxLSN)
	}
	_, err = db.ExecContext(ctx, `SELECT * FROM cdc.fn_cdc_get_all_changes_dbo_t(@p1, sys.fn_cdc_get_max_lsn(), N'all')`, before)
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 313 {
		t.Fatalf("query below the new minimum: %v", err)
	}
	if n := count(); n != 2 {
		t.Fatalf("rows left after cleanup: %d (want the update's before/after)", n)
	}

	// SNAPSHOT through the TDS transaction manager.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT v FROM dbo.t WHERE id = 2`).Scan(&v); err != nil || v != "b" {
		t.Fatalf("snapshot read %q %v", v, err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE dbo.t SET v = N'new' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT v FROM dbo.t WHERE id = 2`).Scan(&v); err != nil || v != "b" {
		t.Fatalf("snapshot reread %q %v", v, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE dbo.t SET v = N'mine' WHERE id = 2`)
	if !errors.As(err, &me) || me.Number != 3960 {
		t.Fatalf("update conflict: %v", err)
	}
	_ = tx.Rollback()
}

func TestConcurrentSessions(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", `CREATE DATABASE conc; ALTER DATABASE conc SET ALLOW_SNAPSHOT_ISOLATION ON`); err != nil {
		t.Fatal(err)
	}
	if err := emu.Exec(ctx, "conc", `CREATE TABLE dbo.c (id int PRIMARY KEY, n int)`); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("conc"))
	db.SetMaxOpenConns(8)
	// A writer holds its transaction open; a snapshot reader on another
	// connection is not blocked by it and sees the committed state.
	writer, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.ExecContext(ctx, `INSERT INTO dbo.c VALUES (0, 0)`); err != nil {
		t.Fatal(err)
	}
	reader, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM dbo.c`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("snapshot reader: %d %v", n, err)
	}
	_ = reader.Commit()
	// Writers of other rows do not wait for the open transaction.
	errs := make(chan error, 8)
	for i := 1; i <= 8; i++ {
		go func(i int) {
			_, err := db.ExecContext(ctx, `INSERT INTO dbo.c VALUES (@p1, @p1)`, i)
			errs <- err
		}(i)
	}
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.QueryRowContext(ctx, `SELECT SUM(n) FROM dbo.c`).Scan(&n); err != nil || n != 36 {
		t.Fatalf("sum %d %v", n, err)
	}
}

// TestScanMarkersAdvanceMaxLSN: transactions that change only untracked
// tables still move sys.fn_cdc_get_max_lsn, through the capture job's
// cdc.lsn_time_mapping rows with tran_id 0x00 (one per capture cycle).
func TestScanMarkersAdvanceMaxLSN(t *testing.T) {
	ctx := context.Background()
	emu := startEmuWith(t, mssqlemu.Config{CaptureDelay: time.Hour})
	if err := emu.Exec(ctx, "master", "CREATE DATABASE m"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Exec(ctx, "m", `CREATE TABLE dbo.tracked (id int PRIMARY KEY);
CREATE TABLE dbo.untracked (id int PRIMARY KEY);
EXEC sys.sp_cdc_enable_db;
EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'tracked', @role_name = NULL;
INSERT INTO dbo.tracked VALUES (1);`); err != nil {
		t.Fatal(err)
	}
	emu.FlushCapture()
	db := open(t, emu.DSN("m"))
	state := func() (maxLSN []byte, rows, markers int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT sys.fn_cdc_get_max_lsn(), (SELECT COUNT(*) FROM cdc.lsn_time_mapping),
	(SELECT COUNT(*) FROM cdc.lsn_time_mapping WHERE tran_id = 0x00 AND start_lsn = sys.fn_cdc_get_max_lsn())`).Scan(&maxLSN, &rows, &markers); err != nil {
			t.Fatal(err)
		}
		return maxLSN, rows, markers
	}
	max0, rows0, _ := state()
	for i := 1; i <= 3; i++ {
		if _, err := db.ExecContext(ctx, "INSERT INTO dbo.untracked VALUES (@p1)", i); err != nil {
			t.Fatal(err)
		}
	}
	if m, _, _ := state(); !bytes.Equal(m, max0) {
		t.Fatalf("max LSN moved before the capture job ran: %x -> %x", max0, m)
	}
	emu.FlushCapture()
	max1, rows1, markers := state()
	if bytes.Compare(max1, max0) <= 0 || rows1 != rows0+1 || markers != 1 {
		t.Fatalf("after a capture cycle over 3 untracked commits: max %x -> %x, mapping rows %d -> %d, marker at max %d", max0, max1, rows0, rows1, markers)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cdc.fn_cdc_get_all_changes_dbo_tracked(sys.fn_cdc_get_min_lsn('dbo_tracked'), sys.fn_cdc_get_max_lsn(), N'all')`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("changes up to the marker: %d, %v", n, err)
	}
}

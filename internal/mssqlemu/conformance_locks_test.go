package mssqlemu_test

// Conformance tests for concurrent writers: row-level locks, lock
// timeouts, deadlocks, and the order in which interleaved transactions
// reach the change tables. Like the other conformance tests they run
// unchanged against a real SQL Server when MSSQL_DSN is set.

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

// conn pins one session of db for the test.
func conn(t *testing.T, ctx context.Context, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func execOn(t *testing.T, ctx context.Context, c interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string) {
	t.Helper()
	if _, err := c.ExecContext(ctx, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func errNumber(err error) int32 {
	var me mssql.Error
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestConformanceInterleavedTransactionsOrderByCommitLSN: a transaction
// that began first but committed last comes last in the change table.
// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-capture-instance-ct-transact-sql
// "__$start_lsn: Log sequence number (LSN) associated with the commit
// transaction for the change. All changes committed in the same
// transaction share the same commit LSN." "__$seqval: Sequence value used
// to order changes to a row within a transaction."
// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-lsn-time-mapping-transact-sql
// (tran_begin_lsn: "LSN of the beginning of the transaction").
func TestConformanceInterleavedTransactionsOrderByCommitLSN(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	enableDepartment(t, ctx, db)
	a, b := conn(t, ctx, db), conn(t, ctx, db)
	txA, err := a.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, txA, `INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'A1', N'G')`)
	// B writes other rows of the same table while A's insert is
	// uncommitted: it does not wait, and it commits first.
	txB, err := b.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, txB, `INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'B1', N'G')`)
	execOn(t, ctx, txB, `INSERT INTO HumanResources.Department (Name, GroupName) VALUES (N'B2', N'G')`)
	if err := txB.Commit(); err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, txA, `UPDATE HumanResources.Department SET GroupName = N'H' WHERE Name = N'A1'`)
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	waitCaptured(t, ctx, db, "cdc.HR_Department_CT", 4)
	rows := queryStrings(t, ctx, db, `SELECT Name, __$operation,
		CASE WHEN __$start_lsn = (SELECT MIN(__$start_lsn) FROM cdc.HR_Department_CT) THEN 'first' ELSE 'second' END
		FROM cdc.HR_Department_CT ORDER BY __$start_lsn, __$seqval, __$operation`)
	if got, want := joinRows(rows), "B1|2|first\nB2|2|first\nA1|2|second\nA1|3|second\nA1|4|second"; got != want {
		t.Errorf("change rows by commit LSN:\n got %s\nwant %s", got, want)
	}
	// A's insert was logged before B committed: its __$seqval is below B's
	// commit LSN although its __$start_lsn is above it.
	var seqBelow, beginBelow int
	if err := db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM cdc.HR_Department_CT a WHERE a.Name = N'A1' AND a.__$operation = 2
			AND a.__$seqval < (SELECT MIN(__$start_lsn) FROM cdc.HR_Department_CT)),
		(SELECT COUNT(*) FROM cdc.lsn_time_mapping m WHERE m.start_lsn = (SELECT MAX(__$start_lsn) FROM cdc.HR_Department_CT)
			AND m.tran_begin_lsn < (SELECT MIN(__$start_lsn) FROM cdc.HR_Department_CT))`).Scan(&seqBelow, &beginBelow); err != nil {
		t.Fatal(err)
	}
	if seqBelow != 1 || beginBelow != 1 {
		t.Errorf("A's seqval below B's commit: %d, A's tran_begin_lsn below B's commit: %d", seqBelow, beginBelow)
	}
	got := queryStrings(t, ctx, db, `DECLARE @from binary(10) = sys.fn_cdc_get_min_lsn('HR_Department'), @to binary(10) = sys.fn_cdc_get_max_lsn();
		SELECT Name, __$operation FROM cdc.fn_cdc_get_all_changes_HR_Department(@from, @to, N'all update old')`)
	if g, want := joinRows(got), "B1|2\nB2|2\nA1|2\nA1|3\nA1|4"; g != want {
		t.Errorf("fn_cdc_get_all_changes:\n got %s\nwant %s", g, want)
	}
}

// TestConformanceLockTimeoutAndDeadlock: SET LOCK_TIMEOUT
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/set-lock-timeout-transact-sql)
// cancels the waiting statement with Msg 1222 and leaves its transaction
// active; two sessions that wait for each other's rows end with one
// deadlock victim, Msg 1205, whose transaction is rolled back
// (https://learn.microsoft.com/en-us/sql/relational-databases/sql-server-deadlocks-guide).
func TestConformanceLockTimeoutAndDeadlock(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	exec(t, ctx, db, `CREATE TABLE dbo.acct (id int PRIMARY KEY, n int NOT NULL)`)
	exec(t, ctx, db, `INSERT INTO dbo.acct VALUES (1, 0), (2, 0)`)
	a, b := conn(t, ctx, db), conn(t, ctx, db)
	execOn(t, ctx, a, `BEGIN TRAN; UPDATE dbo.acct SET n = 1 WHERE id = 1`)
	execOn(t, ctx, b, `SET LOCK_TIMEOUT 200; BEGIN TRAN; UPDATE dbo.acct SET n = 2 WHERE id = 2`)
	_, err := b.ExecContext(ctx, `UPDATE dbo.acct SET n = 2 WHERE id = 1`)
	if n := errNumber(err); n != 1222 {
		t.Fatalf("lock timeout: %v", err)
	}
	var tc int
	if err := b.QueryRowContext(ctx, `SELECT @@TRANCOUNT`).Scan(&tc); err != nil || tc != 1 {
		t.Fatalf("after Msg 1222 the transaction stays: %d %v", tc, err)
	}
	execOn(t, ctx, b, `SET LOCK_TIMEOUT -1`)
	// a waits for b's row 2, b for a's row 1: one of them is the victim.
	errA := make(chan error, 1)
	go func() {
		_, err := a.ExecContext(ctx, `UPDATE dbo.acct SET n = 1 WHERE id = 2`)
		errA <- err
	}()
	// Whichever of the two closes the cycle, exactly one is the victim.
	_, errB := b.ExecContext(ctx, `UPDATE dbo.acct SET n = 2 WHERE id = 1`)
	ea := <-errA
	victims := 0
	for _, err := range []error{ea, errB} {
		switch errNumber(err) {
		case 1205:
			victims++
		case 0:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("want a deadlock victim, got %v", err)
		}
	}
	if victims != 1 {
		t.Fatalf("want one victim: a %v, b %v", ea, errB)
	}
	survivor := a
	if errNumber(ea) == 1205 {
		survivor = b
	}
	execOn(t, ctx, survivor, `COMMIT`)
	var sum int
	if err := db.QueryRowContext(ctx, `SELECT SUM(n) FROM dbo.acct`).Scan(&sum); err != nil || (sum != 2 && sum != 4) {
		t.Fatalf("only the survivor's updates stay: sum %d %v", sum, err)
	}
}

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

// TestConformanceRepeatableReadAndSerializable: "REPEATABLE READ: shared
// locks are placed on all data read by each statement in the transaction
// and are held until the transaction completes. This prevents other
// transactions from modifying any rows that have been read by the current
// transaction." "SERIALIZABLE: … Other transactions cannot insert new rows
// with key values that would fall in the range of keys read by any
// statements in the current transaction until the current transaction
// completes." And under both, statements "cannot read data that has been
// modified but not yet committed by other transactions."
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-transaction-isolation-level-transact-sql
func TestConformanceRepeatableReadAndSerializable(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	exec(t, ctx, db, "CREATE TABLE dbo.rr (id int NOT NULL PRIMARY KEY, v int NOT NULL)")
	exec(t, ctx, db, "INSERT INTO dbo.rr (id, v) VALUES (1, 10), (2, 20), (8, 80)")
	a, b := conn(t, ctx, db), conn(t, ctx, db)
	execOn(t, ctx, b, "SET LOCK_TIMEOUT 300")
	execOn(t, ctx, a, "SET LOCK_TIMEOUT 300")
	read := func(q sqlQuerier, id int) (int, error) {
		var v int
		err := q.QueryRowContext(ctx, "SELECT v FROM dbo.rr WHERE id = @p1", id).Scan(&v)
		return v, err
	}

	// REPEATABLE READ: a row read cannot be changed by another transaction
	// until the reader ends, and reads the same again.
	txA, err := a.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	var level int
	if err := txA.QueryRowContext(ctx, "SELECT transaction_isolation_level FROM sys.dm_exec_sessions WHERE session_id = @@SPID").Scan(&level); err != nil || level != 3 {
		t.Fatalf("transaction_isolation_level under REPEATABLE READ: %d %v, want 3", level, err)
	}
	if v, err := read(txA, 1); err != nil || v != 10 {
		t.Fatalf("read row 1: %d %v", v, err)
	}
	if _, err := b.ExecContext(ctx, "UPDATE dbo.rr SET v = 11 WHERE id = 1"); errNumber(err) != 1222 {
		t.Fatalf("UPDATE of a row a REPEATABLE READ transaction read: %v, want Msg 1222 (lock timeout)", err)
	}
	if v, err := read(txA, 1); err != nil || v != 10 {
		t.Fatalf("read row 1 again: %d %v, want 10", v, err)
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, b, "UPDATE dbo.rr SET v = 11 WHERE id = 1")

	// SERIALIZABLE: no row can be inserted into a range read.
	txA, err = a.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := txA.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.rr WHERE id BETWEEN 1 AND 8").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count: %d %v", n, err)
	}
	if _, err := b.ExecContext(ctx, "INSERT INTO dbo.rr (id, v) VALUES (5, 50)"); errNumber(err) != 1222 {
		t.Fatalf("INSERT into a range a SERIALIZABLE transaction read: %v, want Msg 1222 (lock timeout)", err)
	}
	if err := txA.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.rr WHERE id BETWEEN 1 AND 8").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count again: %d %v, want 3 (no phantom)", n, err)
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, b, "INSERT INTO dbo.rr (id, v) VALUES (5, 50)")

	// Under both, a read waits for another transaction's uncommitted change.
	txB, err := b.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	execOn(t, ctx, txB, "UPDATE dbo.rr SET v = 21 WHERE id = 2")
	txA, err = a.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := read(txA, 2); errNumber(err) != 1222 {
		t.Fatalf("SERIALIZABLE read of a row another transaction changed: %v, want Msg 1222 (lock timeout)", err)
	}
	_ = txA.Rollback()
	if err := txB.Commit(); err != nil {
		t.Fatal(err)
	}
	if v, err := read(a, 2); err != nil || v != 21 {
		t.Fatalf("row 2 after both ended: %d %v, want 21", v, err)
	}
}

type sqlQuerier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

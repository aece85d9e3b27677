package engine

import (
	"context"
	"testing"
)

// Temporary tables, as CREATE TABLE documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-table-transact-sql#temporary-tables):
// "Local temporary tables are visible only in the current session";
// "Local temporary tables are dropped automatically at the end of the
// current session"; global temporary tables "are visible to any user and
// any connection" and are dropped when the session that created them ends.
func TestLocalTempTablesArePerSession(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE tt; USE tt; CREATE TABLE #abc (id int PRIMARY KEY, v varchar(5)); INSERT INTO #abc VALUES (1, 'a')`)
	b := a.session()
	if n, _ := b.errNum(`SELECT * FROM #abc`); n != 208 {
		t.Fatalf("another session's #temp table: Msg %d, want 208", n)
	}
	b.ok(`CREATE TABLE #abc (x int); INSERT INTO #abc VALUES (7), (8)`)
	if got := flat(a.rows(`SELECT id, v FROM #abc`)); got != "1,a" {
		t.Fatalf("a's #abc: %s", got)
	}
	if got := flat(b.rows(`SELECT SUM(x) FROM #abc`)); got != "15" {
		t.Fatalf("b's #abc: %s", got)
	}
	if got := flat(a.rows(`SELECT CASE WHEN OBJECT_ID('tempdb..#abc') IS NOT NULL THEN 1 ELSE 0 END, CASE WHEN OBJECT_ID('tempdb..#nope') IS NULL THEN 1 ELSE 0 END`)); got != "1,1" {
		t.Fatalf("OBJECT_ID of a temp table: %s", got)
	}
	// Not a table of the current database.
	if got := flat(a.rows(`SELECT COUNT(*) FROM sys.tables WHERE name LIKE '#%'`)); got != "0" {
		t.Fatalf("temp tables listed in the user database: %s", got)
	}
	a.ok(`UPDATE #abc SET v = 'b' WHERE id = 1; DELETE FROM #abc WHERE id = 2; DROP TABLE #abc`)
	if n, _ := a.errNum(`SELECT * FROM #abc`); n != 208 {
		t.Fatalf("dropped: Msg %d", n)
	}
	a.ok(`IF OBJECT_ID('tempdb..#abc') IS NOT NULL DROP TABLE #abc; CREATE TABLE #abc (id int)`)

	// Gone when the session ends; a transaction's CREATE TABLE #t is undone
	// by its rollback.
	_ = b.s.Close()
	c := a.session()
	c.ok(`BEGIN TRAN; CREATE TABLE #r (id int); ROLLBACK`)
	if n, _ := c.errNum(`SELECT * FROM #r`); n != 208 {
		t.Fatalf("rolled back CREATE TABLE #r: Msg %d", n)
	}
	if len(b.s.(*session).temps) != 0 {
		t.Fatal("a closed session keeps its temp tables")
	}
}

func TestGlobalTempTables(t *testing.T) {
	a := newHarness(t)
	b := a.session()
	a.ok(`CREATE TABLE ##g (id int); INSERT INTO ##g VALUES (1)`)
	if got := flat(b.rows(`SELECT id FROM ##g`)); got != "1" {
		t.Fatalf("another session reads ##g: %s", got)
	}
	_ = a.s.Close()
	if n, _ := b.errNum(`SELECT id FROM ##g`); n != 208 {
		t.Fatalf("##g after its creator ended: Msg %d", n)
	}
}

// TestResetDropsTempTables: sp_reset_connection drops the session's
// temporary tables, as a new connection would not have them.
func TestResetDropsTempTables(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE TABLE #p (id int)`)
	var rec Recorder
	if err := a.s.(*session).ResetSession(context.Background(), false, &rec); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.errNum(`SELECT * FROM #p`); n != 208 {
		t.Fatalf("#p after reset: Msg %d", n)
	}
}

// Table variables (https://learn.microsoft.com/en-us/sql/t-sql/data-types/table-transact-sql):
// declared with DECLARE @t TABLE, scoped to the batch, used like a table
// in SELECT, INSERT, UPDATE and DELETE.
func TestTableVariables(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE tv; USE tv; CREATE TABLE src (id int PRIMARY KEY, n int); INSERT INTO src VALUES (1, 10), (2, 20), (3, 30)`)
	got := flat(h.rows(`DECLARE @t TABLE (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, note varchar(10) NULL);
INSERT INTO @t (id, n) SELECT id, n FROM src WHERE id < 3;
INSERT INTO @t (id) VALUES (9);
UPDATE @t SET note = 'x' WHERE id = 1;
DELETE FROM @t WHERE id = 2;
SELECT t.id, t.n, t.note, s.n FROM @t AS t LEFT JOIN src AS s ON s.id = t.id ORDER BY t.id`))
	if got != "1,10,x,10;9,0,NULL,NULL" {
		t.Fatalf("table variable: %s", got)
	}
	// Another batch does not see it.
	if n, text := h.errNum(`SELECT * FROM @t`); n != 1087 || text != `Must declare the table variable "@t".` {
		t.Fatalf("outside its batch: Msg %d %s", n, text)
	}
	if n, _ := h.errNum(`DECLARE @t TABLE (id int PRIMARY KEY); INSERT INTO @t VALUES (1); INSERT INTO @t VALUES (1)`); n != 2627 {
		t.Fatalf("primary key of a table variable: Msg %d", n)
	}
	// "Transaction rollbacks don't affect table variables."
	if got := flat(h.rows(`DECLARE @t TABLE (id int); BEGIN TRAN; INSERT INTO @t VALUES (1); INSERT INTO src VALUES (9, 90); ROLLBACK; SELECT (SELECT COUNT(*) FROM @t), (SELECT COUNT(*) FROM src)`)); got != "1,3" {
		t.Fatalf("table variable after ROLLBACK: %s", got)
	}
	// Two sessions each have their own.
	b := h.session()
	if got := flat(b.rows(`DECLARE @t TABLE (id int); INSERT INTO @t VALUES (5); SELECT id FROM @t`)); got != "5" {
		t.Fatalf("second session: %s", got)
	}
}

// TestNullablePrimaryKey: a primary key on a column declared NULL is Msg
// 8111 followed by Msg 1750, as SQL Server reports it.
func TestNullablePrimaryKey(t *testing.T) {
	h := newHarness(t)
	rec := h.run(`CREATE TABLE #bad (bad int NULL PRIMARY KEY)`)
	errs := rec.Errors()
	if len(errs) != 2 || errs[0].Number != 8111 || errs[1].Number != 1750 {
		t.Fatalf("errors: %v", errs)
	}
}

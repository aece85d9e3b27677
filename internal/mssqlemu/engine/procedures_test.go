package engine

import "testing"

// Stored procedures
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-procedure-transact-sql).
func TestStoredProcedures(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE sp; USE sp; CREATE TABLE t (id int PRIMARY KEY, n int)`)
	h.ok(`CREATE PROCEDURE dbo.addrow @id int, @n int = 10, @total int = NULL OUTPUT AS
BEGIN
	SET NOCOUNT ON;
	IF @id < 0 RETURN 1;
	INSERT INTO t VALUES (@id, @n);
	SELECT @total = SUM(n) FROM t;
	SELECT id, n FROM t WHERE id = @id;
	RETURN 0
END`)
	got := flat(h.rows(`DECLARE @rc int, @sum int;
EXEC @rc = addrow 1, @total = @sum OUTPUT;
EXEC @rc = dbo.addrow @n = 5, @id = 2, @total = @sum OUTPUT;
SELECT @rc, @sum`))
	if got != "0,15" {
		t.Fatalf("status and OUTPUT: %s", got)
	}
	if got := flat(h.rows(`DECLARE @rc int; EXEC @rc = addrow -1; SELECT @rc`)); got != "1" {
		t.Fatalf("RETURN 1: %s", got)
	}
	for _, c := range []struct {
		sql string
		n   int32
	}{
		{`EXEC addrow`, 201},
		{`EXEC addrow 1, 2, 3, 4`, 8144},
		{`EXEC addrow @nope = 1`, 8145},
		{`CREATE PROCEDURE addrow AS SELECT 1`, 2714},
		{`SELECT 1; CREATE PROCEDURE p2 AS SELECT 1`, 111},
		{`DROP PROCEDURE nope`, 3701},
	} {
		if n, text := h.errNum(c.sql); n != c.n {
			t.Errorf("%s: Msg %d %s, want %d", c.sql, n, text, c.n)
		}
	}
	h.ok(`ALTER PROCEDURE addrow @id int AS RETURN @id + 1`)
	if got := flat(h.rows(`DECLARE @rc int; EXEC @rc = addrow 41; SELECT @rc, OBJECT_ID('addrow', 'P') - OBJECT_ID('dbo.addrow')`)); got != "42,0" {
		t.Fatalf("after ALTER: %s", got)
	}
	h.ok(`CREATE OR ALTER PROC p3 AS SELECT 3`)
	h.ok(`DROP PROCEDURE IF EXISTS addrow, p3, nope`)
	if got := flat(h.rows(`SELECT COUNT(*) FROM sys.objects WHERE type = 'P'`)); got != "0" {
		t.Fatalf("after DROP: %s procedures", got)
	}
	// RETURN at batch level ends the batch quietly.
	if rec := h.ok(`SELECT 1; RETURN; SELECT 2`); len(rec.Sets) != 1 {
		t.Fatalf("RETURN in a batch: %d result sets", len(rec.Sets))
	}
}

// TestTempProcedures: #name procedures belong to their session.
func TestTempProcedures(t *testing.T) {
	a := newHarness(t)
	b := a.session()
	a.ok(`CREATE PROCEDURE #answer @x int = 42 AS RETURN @x`)
	if got := flat(a.rows(`DECLARE @rc int; EXEC @rc = #answer; SELECT @rc`)); got != "42" {
		t.Fatalf("own #procedure: %s", got)
	}
	if n, _ := b.errNum(`EXEC #answer`); n != 2812 {
		t.Fatalf("another session's #procedure: Msg %d", n)
	}
	a.ok(`DROP PROCEDURE #answer`)
	if n, _ := a.errNum(`EXEC #answer`); n != 2812 {
		t.Fatalf("dropped #procedure: Msg %d", n)
	}
}

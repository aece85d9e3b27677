package engine

import "testing"

// UNION and UNION ALL, as the set operators page documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/set-operators-union-transact-sql).
func TestUnion(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE un; USE un; CREATE TABLE a (id int, s varchar(5)); CREATE TABLE b (id bigint, s nvarchar(10));
INSERT INTO a VALUES (1, 'x'), (2, 'y'), (2, 'y'); INSERT INTO b VALUES (2, N'y'), (3, N'z')`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT id, s FROM a UNION SELECT id, s FROM b ORDER BY id`, "1,x;2,y;3,z"},
		{`SELECT id, s FROM a UNION ALL SELECT id, s FROM b ORDER BY 1, s`, "1,x;2,y;2,y;2,y;3,z"},
		{`SELECT id AS n FROM a UNION ALL SELECT 10 ORDER BY n DESC OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY`, "2;2"},
		// Left to right: the last UNION removes the duplicates of all before it.
		{`SELECT 1 UNION ALL SELECT 1 UNION SELECT 2 ORDER BY 1`, "1;2"},
		{`SELECT COUNT(*) FROM (SELECT id FROM a UNION SELECT id FROM b) AS u`, "3"},
		{`SELECT TOP 1 id FROM a UNION ALL SELECT id FROM b ORDER BY id`, "1;2;3"},
	} {
		if got := flat(h.rows(c.sql)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.sql, got, c.want)
		}
	}
	// The result's types: highest precedence of the arms.
	rec := h.ok(`SELECT id, s FROM a UNION SELECT id, s FROM b`)
	if cols := rec.Sets[0].Columns; cols[0].Type.ID.Name() != "bigint" || cols[1].Type.ID.Name() != "nvarchar" || cols[0].Name != "id" {
		t.Errorf("result columns: %+v", cols)
	}
	h.ok(`CREATE TABLE c (id int); INSERT INTO c SELECT id FROM a UNION SELECT id FROM b`)
	if got := flat(h.rows(`SELECT COUNT(*) FROM c`)); got != "3" {
		t.Errorf("INSERT ... UNION: %s", got)
	}
	if n, _ := h.errNum(`SELECT 1, 2 UNION SELECT 3`); n != 205 {
		t.Errorf("arms of different widths: Msg %d", n)
	}
}

// TestDistinctKeepsTimes: DISTINCT tells apart two times of one day.
func TestDistinctKeepsTimes(t *testing.T) {
	h := newHarness(t)
	if got := flat(h.rows(`SELECT COUNT(*) FROM (SELECT DISTINCT d FROM (SELECT CAST('2006-01-02 10:00' AS datetime2) AS d UNION ALL SELECT CAST('2006-01-02 11:00' AS datetime2)) AS x) AS y`)); got != "2" {
		t.Fatalf("distinct datetime2 values: %s", got)
	}
}

package engine

import "testing"

// Common table expressions
// (https://learn.microsoft.com/en-us/sql/t-sql/queries/with-common-table-expression-transact-sql).
func TestCommonTableExpressions(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE ct; USE ct; CREATE TABLE emp (id int PRIMARY KEY, boss int NULL, name varchar(10));
INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'vp'), (3, 2, 'dev'), (4, 2, 'ops'), (5, NULL, 'solo')`)
	for _, c := range []struct{ sql, want string }{
		{`WITH v AS (SELECT id, name FROM emp WHERE boss = 2) SELECT name FROM v ORDER BY id`, "dev;ops"},
		{`WITH a (n) AS (SELECT 1), b AS (SELECT n + 1 AS m FROM a) SELECT a.n, b.m FROM a CROSS JOIN b`, "1,2"},
		// Shadows the table of the same name.
		{`WITH emp AS (SELECT 42 AS id) SELECT id FROM emp`, "42"},
		// Recursive: the chain of command under the CEO, level by level.
		{`WITH chain (id, name, lvl) AS (
	SELECT id, name, 0 FROM emp WHERE boss IS NULL AND id = 1
	UNION ALL
	SELECT e.id, e.name, c.lvl + 1 FROM emp AS e JOIN chain AS c ON e.boss = c.id)
SELECT name, lvl FROM chain ORDER BY lvl, name`, "ceo,0;vp,1;dev,2;ops,2"},
		{`WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT SUM(i) FROM n`, "15"},
		{`DECLARE @x int; WITH n AS (SELECT 7 AS i) SELECT @x = i FROM n; SELECT @x`, "7"},
		{`CREATE TABLE #c (n int); WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 4) INSERT INTO #c SELECT i FROM n; SELECT SUM(n) FROM #c`, "10"},
		{`WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT MAX(i) FROM n OPTION (MAXRECURSION 1000)`, "1000"},
	} {
		if got := flat(h.rows(c.sql)); got != c.want {
			t.Errorf("%s:\n got %s, want %s", c.sql, got, c.want)
		}
	}
	for _, c := range []struct {
		sql string
		n   int32
	}{
		{`WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n`, 530},
		{`WITH a (x, y) AS (SELECT 1) SELECT * FROM a`, 8159},
		{`WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 20) SELECT MAX(i) FROM n OPTION (MAXRECURSION 10)`, 530},
		{`WITH a AS (SELECT 1) SELECT * FROM a`, 8155},
	} {
		if n, text := h.errNum(c.sql); n != c.n {
			t.Errorf("%s: Msg %d %s, want %d", c.sql, n, text, c.n)
		}
	}
}

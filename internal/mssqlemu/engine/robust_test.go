package engine

import "testing"

// TestNoInternalErrors runs odd but valid or invalid statements and checks
// that none of them hits an internal error (Msg 8630): every failure must be
// a SQL Server error.
func TestNoInternalErrors(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE r; USE r; CREATE TABLE t (id int PRIMARY KEY, s nvarchar(10), d datetime2, b varbinary(10), g uniqueidentifier, m money, x xml, f float, bt bit)`)
	h.ok(`INSERT INTO t VALUES (1, N'a', '2024-01-01', 0x01, NEWID(), 1.5, '<a/>', 1e10, 1), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	stmts := []string{
		`SELECT * FROM t WHERE s = 1`, `SELECT * FROM t WHERE d = 'x'`, `SELECT * FROM t WHERE b = 'abc'`, `SELECT * FROM t WHERE g = 'nope'`,
		`SELECT * FROM t WHERE m > 'x'`, `SELECT * FROM t WHERE bt = 'maybe'`, `SELECT * FROM t WHERE f = N'1e10'`, `SELECT d + 1 FROM t`,
		`SELECT s + 1 FROM t`, `SELECT b + b FROM t`, `SELECT -s FROM t`, `SELECT ~f FROM t`, `SELECT g + 1 FROM t`, `SELECT x + 'a' FROM t`,
		`SELECT SUM(s) FROM t`, `SELECT AVG(d) FROM t`, `SELECT MIN(g), MAX(b) FROM t`, `SELECT COUNT(DISTINCT s) FROM t`,
		`SELECT * FROM t ORDER BY 5`, `SELECT * FROM t ORDER BY g, b, x`, `SELECT TOP (-1) * FROM t`, `SELECT TOP 50 PERCENT * FROM t`,
		`SELECT CAST(d AS int) FROM t`, `SELECT CONVERT(varchar, d, 999) FROM t`, `SELECT CONVERT(datetime, 'x', 103)`, `SELECT CAST(0x0102 AS int)`,
		`SELECT DATEADD(xx, 1, d) FROM t`, `SELECT DATEDIFF(day, s, d) FROM t`, `SELECT SUBSTRING(s, -5, 2) FROM t`, `SELECT LEFT(s, -1) FROM t`,
		`SELECT REPLICATE(s, -1) FROM t`, `SELECT ROUND(m, 2), ROUND(f, -1), ROUND(NULL, 1) FROM t`, `SELECT ABS(s) FROM t`, `SELECT LEN(b), DATALENGTH(x) FROM t`,
		`SELECT OBJECT_ID(NULL), DB_NAME(999), SCHEMA_NAME(NULL), OBJECT_NAME(-1)`, `SELECT sys.fn_cdc_get_min_lsn(NULL), sys.fn_cdc_map_lsn_to_time(NULL)`,
		`SELECT sys.fn_cdc_increment_lsn(0x01), sys.fn_cdc_is_bit_set(1, NULL)`, `SELECT * FROM cdc.fn_cdc_get_all_changes_nope(NULL, NULL, 'all')`,
		`EXEC sys.sp_cdc_enable_table`, `EXEC sys.sp_cdc_help_change_data_capture`, `EXEC sp_pkeys`, `EXEC sp_columns @table_name = NULL`,
		`UPDATE t SET id = NULL`, `UPDATE t SET s = REPLICATE(N'x', 20)`, `INSERT INTO t (id) SELECT id FROM t`, `INSERT INTO t (id, s) VALUES (3)`,
		`DELETE TOP (1) FROM t WHERE 1 = 0`, `SELECT * FROM t t1 JOIN t t2 ON t1.id = t2.id WHERE t1.s IS NULL`, `SELECT t.* FROM t`, `SELECT nope.* FROM t`,
		`SELECT (SELECT id FROM t)`, `SELECT 1 WHERE EXISTS (SELECT 1 FROM t WHERE id = 1)`, `SELECT id FROM t WHERE id IN (SELECT id FROM t)`,
		`SELECT s, COUNT(*) FROM t GROUP BY s HAVING COUNT(*) > 0 ORDER BY COUNT(*) DESC`, `SELECT DISTINCT bt FROM t`, `SELECT * FROM t ORDER BY id OFFSET 1 ROWS FETCH NEXT 5 ROWS ONLY`,
		`DECLARE @v int; SELECT @v = id FROM t; SELECT @v`, `DECLARE @v int; SET @v += 'x'`, `SET @undeclared = 1`, `PRINT NULL`, `RAISERROR('x %s', 16, 1, 'y')`,
		`THROW 50001, 'boom', 1`, `ALTER TABLE t ADD extra int NOT NULL`, `ALTER TABLE t ALTER COLUMN s int`, `ALTER TABLE t DROP COLUMN nope`,
		`CREATE INDEX i ON t (nope)`, `DROP TABLE nope`, `TRUNCATE TABLE t`, `SELECT * FROM t`, `WAITFOR DELAY '00:00:00'`,
		`SELECT CASE WHEN 1 = 1 THEN 1 ELSE 'x' END`, `SELECT COALESCE(NULL, NULL)`, `SELECT IIF(1 > 0, 'a', 'b')`, `SELECT NULLIF(1, 1)`,
		`SELECT * FROM sys.databases, sys.schemas`, `SELECT * FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 't'`, `SELECT * FROM sys.objects`,
		`SELECT * FROM sys.columns c JOIN sys.types ty ON c.user_type_id = ty.user_type_id`, `SELECT SERVERPROPERTY(NULL), DATABASEPROPERTYEX('r', 'Collation')`,
		`SELECT CONVERT(varchar(max), CAST('2024-01-01' AS datetimeoffset), 127)`, `SELECT CAST(N'😀' AS varchar(10))`, `SELECT CAST(1e400 AS float)`,
	}
	for _, q := range stmts {
		for _, m := range h.run(q).Errors() {
			if m.Number == 8630 {
				t.Errorf("%s: internal error %s", q, m.Text)
			}
		}
	}
}

package mssqlemu_test

import "strings"

// workflowQueries are the rest of the T-SQL a test or demo drives a source
// database with (issue point 3), each with its expected rows ("|" between
// values, NULL for NULL), run by every independent client after
// workflowSetup.
var workflowQueries = []struct {
	query string
	want  []string
}{
	// Single-table SELECT with TOP, WHERE with AND/OR/comparisons/IS NULL,
	// ORDER BY, arithmetic, concatenation, ISNULL, COALESCE, LEN.
	{`SELECT TOP 2 id, c_int * 2 + 1 AS arith, c_int % 3 AS modulo, c_int / 4 AS quotient, c_int - 100 AS diff,
	c_nvarchar + N'!' AS concat, ISNULL(c_varchar, 'none') AS isn, COALESCE(NULL, c_nvarchar) AS coal, LEN(c_nvarchar) AS len
FROM dbo.t WHERE (c_int > 0 OR c_int IS NULL) AND id <> 1 ORDER BY id DESC`,
		[]string{"50|111|1|13|-45|kept!|none|kept|4", "2|45|1|5|-78|deux!|b|deux|4"}},
	// Local variables, COUNT(*), CAST/CONVERT with date styles, GETDATE,
	// SYSUTCDATETIME, NEWID.
	{`DECLARE @n int; SELECT @n = COUNT(*) FROM dbo.t; SET @n = @n * 10;
SELECT @n AS n10, CONVERT(varchar(10), CAST('2024-02-29' AS date), 103) AS s103, CONVERT(varchar(8), CAST('13:14:15' AS time), 108) AS s108,
	CONVERT(varchar(19), CAST('2024-02-29T23:59:58' AS datetime2), 120) AS s120,
	CASE WHEN GETDATE() > '2020-01-01' THEN 'yes' ELSE 'no' END AS now_ok,
	CASE WHEN SYSUTCDATETIME() > '2020-01-01' THEN 'yes' ELSE 'no' END AS utc_ok, LEN(CAST(NEWID() AS varchar(36))) AS guid_len`,
		[]string{"30|29/02/2024|13:14:15|2024-02-29 23:59:58|yes|yes|36"}},
	// ALTER TABLE ... ADD after CDC was enabled: recorded in cdc.ddl_history,
	// not captured by the existing capture instance.
	{`ALTER TABLE dbo.t ADD extra int NULL;
SELECT (SELECT COUNT(*) FROM cdc.ddl_history), (SELECT COUNT(*) FROM cdc.captured_columns WHERE column_name = 'extra'),
	(SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 't' AND COLUMN_NAME = 'extra')`,
		[]string{"1|0|1"}},
	// EXEC with positional parameters; catalog views.
	{`EXEC sys.sp_cdc_help_change_data_capture N'dbo', N't'`, nil},
	{`SELECT t.name, c.name, ty.name, c.max_length, c.[precision], c.[scale], c.is_nullable
FROM sys.tables AS t JOIN sys.columns AS c ON c.object_id = t.object_id JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
WHERE t.name = 't' AND c.name IN ('id', 'c_dec', 'c_nvarchar') ORDER BY c.column_id`,
		[]string{"t|id|int|4|10|0|False", "t|c_dec|decimal|17|38|10|True", "t|c_nvarchar|nvarchar|40|0|0|True"}},
}

// pymssqlQueries runs workflowQueries (JSON in argv[1]) on cur and prints
// each result row as q<i>=v1|v2|...
const pymssqlQueries = `
def run_queries(cur, qs):
    for i, q in enumerate(qs):
        cur.execute(q)
        if cur.description is None:
            continue
        for r in cur.fetchall():
            print("q%d=%s" % (i, "|".join("NULL" if v is None else str(v) for v in r)))
`

// tsqlRow is a want row as tsql prints it: tab-separated, bit as 1/0.
func tsqlRow(row string) string {
	row = strings.ReplaceAll(row, "|True", "|1")
	row = strings.ReplaceAll(row, "|False", "|0")
	return strings.ReplaceAll(row, "|", "\t")
}

package engine

import (
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

func TestExpressions(t *testing.T) {
	h := newHarness(t)
	cases := []struct{ sql, want string }{
		{`SELECT 7 / 2, 7 % 3, -7 / 2, 1.5 * 2, 10 / 4.0`, "3,1,-3,3.0,2.500000"},
		{`SELECT 'a' + 'b', N'x' + NULL, ISNULL(NULL, 'd'), COALESCE(NULL, NULL, 3)`, "ab,NULL,d,3"},
		{`SELECT LEN('abc  '), DATALENGTH(N'abc'), DATALENGTH('abc'), UPPER('aé'), LOWER('AB'), LTRIM('  x'), RTRIM('x  ') + '|'`, "3,6,3,AÉ,ab,x,x|"},
		{`SELECT SUBSTRING('abcdef', 2, 3), REPLACE('aXbx', 'x', '-'), LEFT('abc', 2), RIGHT('abc', 2), CHARINDEX('c', 'abcabc')`, "bcd,a-b-,ab,bc,3"},
		{`SELECT CASE WHEN 1 > 2 THEN 'x' WHEN 2 > 1 THEN 'y' END, CASE 3 WHEN 1 THEN 'one' ELSE 'other' END`, "y,other"},
		{`SELECT ABS(-3), ROUND(2.567, 2), ROUND(1234, -2), ABS(-1.50)`, "3,2.570,1200,1.50"},
		{`SELECT DATEADD(day, 1, CAST('2024-02-28' AS date)), DATEDIFF(day, '2024-01-01', '2024-03-01'), DATEADD(month, 1, CAST('2024-01-31' AS datetime2(0)))`, "2024-02-29,60,2024-02-29 00:00:00"},
		{`SELECT CONVERT(varchar(30), CAST('2024-01-02 03:04:05.123' AS datetime), 121), CONVERT(varchar, CAST('2024-01-02' AS date), 112), CONVERT(varchar, CAST('2024-01-02' AS date), 103), CONVERT(varchar, CAST('2024-01-02' AS date), 101)`, "2024-01-02 03:04:05.123,20240102,02/01/2024,01/02/2024"},
		{`SELECT CONVERT(varchar(30), CAST('2024-01-02T03:04:05' AS datetime), 126), CONVERT(varchar(40), CAST('2024-01-02T03:04:05.1234567+05:30' AS datetimeoffset), 127), CONVERT(varchar(30), CAST('2024-01-02 13:04' AS datetime), 0)`, "2024-01-02T03:04:05,2024-01-01T21:34:05.1234567Z,Jan  2 2024  1:04PM"},
		{`SELECT CONVERT(varchar(30), CAST('2024-01-02 03:04:05' AS datetime2(0)), 20), CONVERT(varchar(10), CAST('2024-01-02' AS date), 23), CONVERT(varchar(10), CAST('2024-01-02' AS date), 1), CONVERT(varchar(10), CAST('2024-01-02' AS date), 3)`, "2024-01-02 03:04:05,2024-01-02,01/02/24,02/01/24"},
		{`SELECT CAST('2024-01-02T03:04:05.1234567' AS datetime2(7)), CAST('2024-01-01 00:00:00.001' AS datetime), CAST('2024-01-01 00:00:00.005' AS datetime)`, "2024-01-02 03:04:05.1234567,2024-01-01 00:00:00.000,2024-01-01 00:00:00.007"},
		{`SELECT CAST(CAST('2024-01-02T03:04:05+05:30' AS datetimeoffset(0)) AS varchar(40))`, "2024-01-02 03:04:05 +05:30"},
		{`SELECT 1 WHERE 'ABC' = 'abc ' AND 'a' LIKE 'A' AND 5 BETWEEN 1 AND 9 AND 3 IN (1, 3) AND NULL IS NULL`, "1"},
		{`SELECT CAST(12.345 AS decimal(5,2)), CAST(1 AS bit), CAST('1.5' AS float), CAST(2 AS money)`, "12.35,1,1.5,2.00"},
		{`DECLARE @x int = 5; SET @x = @x + 1; SELECT @x * 2`, "12"},
		{`DECLARE @s nvarchar(10); SELECT @s = N'😀'; SELECT LEN(@s), DATALENGTH(@s)`, "1,4"},
	}
	for _, c := range cases {
		if got := flat(h.rows(c.sql)); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.sql, got, c.want)
		}
	}
}

func TestStorageOfTypes(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE ty; USE ty; CREATE TABLE t (
		id int PRIMARY KEY, g uniqueidentifier DEFAULT NEWID(), v varchar(10), n nvarchar(10), rv rowversion,
		dto datetimeoffset(3), x xml, h hierarchyid, m nvarchar(max), b varbinary(max), ch char(3), sv sql_variant)`)
	h.ok(`INSERT INTO t (id, v, n, dto, x, h, m, b, ch) VALUES (1, 'café€', N'𝄞x', '2024-05-06 07:08:09.123+05:30', '<a/>', 0x58, REPLICATE(N'z', 5000), 0x0102, 'a')`)
	h.ok(`INSERT INTO t (id, v) VALUES (2, 'ŝ')`)
	got := flat(h.rows(`SELECT v, n, LEN(m), DATALENGTH(b), ch + '|', CAST(x AS nvarchar(10)), h FROM t WHERE id = 1`))
	if got != "café€,𝄞x,5000,2,a  |,<a/>,0x58" {
		t.Fatalf("values: %s", got)
	}
	if got := flat(h.rows(`SELECT v FROM t WHERE id = 2`)); got != "?" {
		t.Fatalf("code page 1252 replacement: %s", got)
	}
	rows := h.rows(`SELECT rv, g FROM t ORDER BY id`)
	if rows[0][0] == rows[1][0] || len(rows[0][0]) != 18 || len(rows[0][1]) != 36 {
		t.Fatalf("rowversion/guid: %v", rows)
	}
	got = flat(h.rows(`SELECT name, max_length, [precision], scale, is_nullable, system_type_id FROM sys.columns WHERE object_id = OBJECT_ID('dbo.t') AND name IN ('id', 'n', 'm', 'dto', 'ch') ORDER BY column_id`))
	if got != "id,4,10,0,0,56;n,20,0,0,1,231;dto,9,30,3,1,43;m,-1,0,0,1,231;ch,3,0,0,1,175" {
		t.Fatalf("sys.columns: %s", got)
	}
}

func TestCatalogViews(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE cat; USE cat; CREATE TABLE dbo.a (k1 int NOT NULL, k2 varchar(5) NOT NULL, v int, CONSTRAINT pk_a PRIMARY KEY (k1, k2))`)
	cases := []struct{ sql, want string }{
		{`SELECT name, database_id, is_cdc_enabled, snapshot_isolation_state_desc, collation_name FROM sys.databases WHERE name = 'cat'`, "cat,5,0,OFF,SQL_Latin1_General_CP1_CI_AS"},
		{`SELECT name, type, is_tracked_by_cdc FROM sys.tables`, "a,U ,0"},
		{`SELECT i.name, i.index_id, i.is_primary_key FROM sys.indexes i WHERE i.object_id = OBJECT_ID('a')`, "pk_a,1,1"},
		{`SELECT key_ordinal, column_id FROM sys.index_columns WHERE object_id = OBJECT_ID('dbo.a') ORDER BY key_ordinal`, "1,1;2,2"},
		{`SELECT COLUMN_NAME, ORDINAL_POSITION FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE WHERE TABLE_NAME = 'a' ORDER BY ORDINAL_POSITION`, "k1,1;k2,2"},
		{`SELECT CONSTRAINT_TYPE FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_NAME = 'a'`, "PRIMARY KEY"},
		{`SELECT DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'a' AND COLUMN_NAME = 'k2'`, "varchar,5,NO"},
		{`SELECT DB_NAME(), DB_ID('cat'), SCHEMA_NAME(1), SERVERPROPERTY('ProductVersion'), SERVERPROPERTY('EngineEdition')`, "cat,5,dbo,15.0.4322.2,3"},
		{`SELECT CASE WHEN @@VERSION LIKE 'Microsoft SQL Server 2019%' THEN 1 ELSE 0 END, CASE WHEN @@SPID > 50 THEN 1 ELSE 0 END`, "1,1"},
	}
	for _, c := range cases {
		if got := flat(h.rows(c.sql)); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.sql, got, c.want)
		}
	}
	if got := flat(h.rows(`EXEC sp_pkeys @table_name = 'a'`)); got != "cat,dbo,a,k1,1,pk_a;cat,dbo,a,k2,2,pk_a" {
		t.Errorf("sp_pkeys: %s", got)
	}
}

func TestValueConversions(t *testing.T) {
	cases := []struct {
		in   string
		to   sqltypes.Type
		want string
	}{
		{"2024-01-02T03:04:05.1234567", sqltypes.DateTime2Type, "2024-01-02 03:04:05.1234567"},
		{"2024-01-02 03:04:05.999", sqltypes.Type{ID: sqltypes.SmallDateTime}, "2024-01-02 03:04:00"},
		{"2024-01-02 03:04:29.999", sqltypes.Type{ID: sqltypes.SmallDateTime}, "2024-01-02 03:05:00"},
		{"2024-01-02 23:59:59.999", sqltypes.DateTimeType, "2024-01-03 00:00:00.000"},
		{"12:34:56.1234", sqltypes.Type{ID: sqltypes.Time, Scale: 3}, "12:34:56.123"},
		{"6F9619FF-8B86-D011-B42D-00C04FC964FF", sqltypes.GUIDType, "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{"1234.5678", sqltypes.Type{ID: sqltypes.Money}, "1234.57"},
	}
	for _, c := range cases {
		v, err := sqltypes.Convert(c.in, sqltypes.VarCharType(100), c.to, -1)
		if err != nil {
			t.Errorf("%s → %s: %v", c.in, c.to, err)
			continue
		}
		style := 121
		if c.to.ID == sqltypes.Money || c.to.ID == sqltypes.UniqueIdentifier || c.to.ID == sqltypes.Time {
			style = -1
		}
		got, _ := sqltypes.ToString(v, c.to, style)
		if c.to.ID == sqltypes.SmallDateTime {
			got = got[:19]
		}
		if got != c.want {
			t.Errorf("%s → %s: got %s want %s", c.in, c.to, got, c.want)
		}
	}
}

func TestBitComparisons(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE b; USE b; CREATE TABLE t (id int PRIMARY KEY, f bit)`)
	h.ok(`INSERT INTO t VALUES (1, 1), (2, 0), (3, NULL)`)
	if got := flat(h.rows(`SELECT id FROM t WHERE f = 1`)); got != "1" {
		t.Fatalf("bit = 1: %s", got)
	}
	if got := flat(h.rows(`SELECT i.name FROM sys.indexes i WHERE i.is_primary_key = 1 AND i.object_id = OBJECT_ID('t')`)); !strings.HasPrefix(got, "PK__t__") {
		t.Fatalf("is_primary_key = 1: %s", got)
	}
	if got := flat(h.rows(`SELECT COUNT(*) FROM t WHERE f <> 'true'`)); got != "1" {
		t.Fatalf("bit <> 'true': %s", got)
	}
}

func TestPartitionsView(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE pv; USE pv; CREATE TABLE h (a int); CREATE TABLE c (id int PRIMARY KEY); INSERT INTO h VALUES (1), (2); INSERT INTO c VALUES (3), (2), (1)`)
	if got := flat(h.rows(`SELECT index_id, rows FROM sys.partitions WHERE object_id = OBJECT_ID('h')`)); got != "0,2" {
		t.Fatalf("heap: %s", got)
	}
	if got := flat(h.rows(`SELECT index_id, rows FROM sys.partitions WHERE object_id = OBJECT_ID('c')`)); got != "1,3" {
		t.Fatalf("clustered: %s", got)
	}
	if got := flat(h.rows(`SELECT id FROM c`)); got != "1;2;3" {
		t.Fatalf("clustered scan order: %s", got)
	}
}

func TestCollations(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE co; USE co; CREATE TABLE t (id int PRIMARY KEY, ci varchar(10), cs varchar(10) COLLATE Latin1_General_CS_AS)`)
	h.ok(`INSERT INTO t VALUES (1, 'Abc', 'Abc')`)
	if got := flat(h.rows(`SELECT COUNT(*) FROM t WHERE ci = 'ABC'`)); got != "1" {
		t.Fatalf("case-insensitive: %s", got)
	}
	if got := flat(h.rows(`SELECT COUNT(*) FROM t WHERE 'ABC' = cs`)); got != "0" {
		t.Fatalf("case-sensitive column beats the literal: %s", got)
	}
	if got := flat(h.rows(`SELECT collation_name FROM sys.columns WHERE name = 'cs'`)); got != "Latin1_General_CS_AS" {
		t.Fatalf("collation_name: %s", got)
	}
}

func TestChecksAndComputedColumns(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE ck; USE ck; CREATE TABLE t (id int PRIMARY KEY, qty int CHECK (qty >= 0), price decimal(8,2), total AS qty * price,
		CONSTRAINT ck_price CHECK (price < 1000))`)
	h.ok(`INSERT INTO t (id, qty, price) VALUES (1, 2, 3.50), (2, NULL, NULL)`)
	if n, text := h.errNum(`INSERT INTO t (id, qty, price) VALUES (3, -1, 1)`); n != 547 || !strings.Contains(text, "column 'qty'") {
		t.Fatalf("column check: %d %s", n, text)
	}
	if n, text := h.errNum(`UPDATE t SET price = 5000 WHERE id = 1`); n != 547 || !strings.Contains(text, `"ck_price"`) {
		t.Fatalf("table check: %d %s", n, text)
	}
	if got := flat(h.rows(`SELECT id, total FROM t ORDER BY id`)); got != "1,7.00;2,NULL" {
		t.Fatalf("computed: %s", got)
	}
	if got := flat(h.rows(`SELECT is_computed FROM sys.columns WHERE name = 'total'`)); got != "1" {
		t.Fatalf("is_computed: %s", got)
	}
}

// TestConvertStylesFollowTheSourceType: style 121 is the default style of
// time, date, datetime2 and datetimeoffset, so CONVERT with it gives what
// CAST gives; Msg 9809 names the target type
// (https://learn.microsoft.com/en-us/sql/t-sql/functions/cast-and-convert-transact-sql#date-and-time-styles).
func TestConvertStylesFollowTheSourceType(t *testing.T) {
	h := newHarness(t)
	got := flat(h.rows(`DECLARE @t time = '23:59:59.999999', @d date = '2006-01-02', @o datetimeoffset(3) = '2006-01-02 03:04:05.5 -08:00';
SELECT CONVERT(nvarchar(50), @t, 121), CAST(@t AS nvarchar(50)), CONVERT(varchar(30), @d, 121), CONVERT(varchar(40), @o, 121), CONVERT(varchar(40), @o, 127)`))
	if want := "23:59:59.9999990,23:59:59.9999990,2006-01-02,2006-01-02 03:04:05.500 -08:00,2006-01-02T11:04:05.500Z"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if n, text := h.errNum(`SELECT CONVERT(nvarchar(30), CAST('10:00' AS time), 101)`); n != 9809 || text != "The style 101 is not supported for conversions from time to nvarchar." {
		t.Fatalf("time with a date style: Msg %d %s", n, text)
	}
}

// TestDateTimeKeys: date and time primary keys keep their whole value
// (two times of one day are different keys).
func TestDateTimeKeys(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE dk; USE dk; CREATE TABLE a (d datetime2 PRIMARY KEY); INSERT INTO a VALUES ('2006-01-02 10:00'), ('2006-01-02 11:00');
CREATE TABLE b (t time PRIMARY KEY); INSERT INTO b VALUES ('10:00'), ('11:00');
CREATE TABLE c (d datetime PRIMARY KEY); INSERT INTO c VALUES ('2006-01-02 10:00'), ('2006-01-02 11:00')`)
	if n, _ := h.errNum(`INSERT INTO b VALUES ('10:00')`); n != 2627 {
		t.Fatalf("duplicate time key: Msg %d", n)
	}
}

package tsql

// parseCases feed the golden test (testdata/parse.golden), the round-trip
// check and the fuzz corpus. count is the number of statements expected.
var parseCases = []struct {
	name  string
	sql   string
	count int
}{
	// Lexer.
	{"literals", "SELECT 1, 12.50, 1.5e-3, 2E10, $12.5, 0x0A1b, 0xABC, 0x, N'unicode ü', 'it''s', NULL, .5", 1},
	{"identifiers", `SELECT [weird ]] name], "quoted""id", __$start_lsn, #tmp.x, t.[c d] FROM [db]..[t]`, 1},
	{"four-part names", "SELECT * FROM srv.db.dbo.t; SELECT db.dbo.t.col FROM db.dbo.t", 2},
	{"variables and globals", "SELECT @@ROWCOUNT, @@trancount, @@VERSION, @@SPID, @x, @@error", 1},
	{"comments", "SELECT /* a /* nested */ comment */ 1 -- trailing\n, 2 -- end", 1},
	{"case-insensitive keywords", "sElEcT tOp 3 * fRoM t wHeRe a iS nOt NuLl", 1},
	{"semicolons optional", "SELECT 1 SELECT 2;SELECT 3;;", 3},
	{"clr type methods", `SELECT hierarchyid::GetRoot(), hierarchyid::Parse('/1/').ToString(), @h.GetAncestor(1).GetLevel(), node.ToString(), o.node.IsDescendantOf(@h), geometry::Point(1, 2, 0).STX FROM dbo.org AS o WHERE o.node.GetLevel() = 1`, 1},

	// Database, schema, USE.
	{"create database", "CREATE DATABASE [inventory]; USE inventory", 2},
	{"create schema", "CREATE SCHEMA hr AUTHORIZATION dbo", 1},
	{"logins and users", "CREATE LOGIN [app] WITH PASSWORD = 'pa''ss', CHECK_POLICY=OFF, DEFAULT_DATABASE = [shop]\nCREATE USER app; CREATE USER u2 FOR LOGIN app WITH DEFAULT_SCHEMA = dbo; CREATE USER u3 WITHOUT LOGIN; ALTER LOGIN app WITH PASSWORD = 'new' OLD_PASSWORD = 'pa''ss'; DROP USER IF EXISTS u2; DROP USER app; DROP LOGIN app", 8},
	{"drop database", "DROP DATABASE IF EXISTS a, b", 1},

	// CREATE / ALTER / DROP TABLE.
	{"create table types", `CREATE TABLE dbo.all_types (
		a bit, b tinyint, c smallint, d int, e bigint, f decimal(38,38), g numeric(10), h money, i smallmoney,
		j float(24), k real, l char(10), m varchar(max), n nchar(5), o nvarchar(max), p text, q ntext,
		r binary(10), s varbinary(max), t image, u uniqueidentifier, v date, w time(7), x datetime,
		y datetime2(7), z smalldatetime, aa datetimeoffset(3), ab xml, ac rowversion, ad hierarchyid,
		ae sql_variant, af geometry, ag geography, ah sysname, ai double precision,
		aj character varying(10), ak national character varying(10), al timestamp, am integer,
		an dec(5,2), ao char varying(3), ap national char(2), aq nchar varying(7), ar binary varying(4),
		as2 [int], at2 [nvarchar](20), au sys.sysname)`, 1},
	{"create table constraints", `CREATE TABLE [dbo].[customer] (
		id int IDENTITY(1,1) NOT NULL,
		code char(3) COLLATE Latin1_General_BIN NOT NULL CONSTRAINT df_code DEFAULT ('ABC'),
		name nvarchar(100) NULL DEFAULT N'',
		created datetime2(3) NOT NULL DEFAULT SYSUTCDATETIME(),
		guid uniqueidentifier ROWGUIDCOL DEFAULT NEWID(),
		total AS (id * 2) PERSISTED,
		email varchar(200) UNIQUE NONCLUSTERED,
		age int CHECK (age >= 0),
		CONSTRAINT pk_customer PRIMARY KEY CLUSTERED (id ASC, code DESC),
		CONSTRAINT uq UNIQUE (email),
		CHECK (age < 200)
	)`, 1},
	{"column primary key", "CREATE TABLE t (id bigint NOT NULL PRIMARY KEY, v int IDENTITY(-5, -1)); CREATE TABLE u (id int CONSTRAINT pk PRIMARY KEY NONCLUSTERED)", 2},
	{"scripted ddl", `CREATE TABLE [dbo].[t]([id] [int] NOT NULL,
		CONSTRAINT [PK_t] PRIMARY KEY CLUSTERED ([id] ASC) WITH (PAD_INDEX = OFF, STATISTICS_NORECOMPUTE = OFF, FILLFACTOR = 90) ON [PRIMARY]
		) ON [PRIMARY] TEXTIMAGE_ON [PRIMARY]`, 1},
	{"alter table", `ALTER TABLE dbo.customer ADD phone varchar(20) NULL, score int NOT NULL DEFAULT 0;
		ALTER TABLE dbo.customer DROP COLUMN phone, score;
		ALTER TABLE t DROP COLUMN IF EXISTS x;
		ALTER TABLE t ALTER COLUMN name nvarchar(200) COLLATE Latin1_General_CI_AS NOT NULL;
		ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id);
		ALTER TABLE [dbo].[t] ADD CONSTRAINT [DF_t_c] DEFAULT ((0)) FOR [c];
		ALTER TABLE t ADD DEFAULT N'x' FOR d, e int IDENTITY(1,1) NOT FOR REPLICATION NOT NULL`, 7},
	{"indexes and constraints", `CREATE UNIQUE NONCLUSTERED INDEX AK_Department_Name ON HumanResources.Department (Name ASC, GroupName DESC) INCLUDE (ModifiedDate) WHERE Name IS NOT NULL;
		CREATE INDEX ix ON t (a); CREATE CLUSTERED INDEX cx ON dbo.t (id) WITH (FILLFACTOR = 80) ON [PRIMARY];
		DROP INDEX ix ON t; DROP INDEX IF EXISTS ix ON dbo.t, cx ON dbo.t; DROP INDEX dbo.t.ix;
		ALTER TABLE t DROP CONSTRAINT pk_t; ALTER TABLE t DROP CONSTRAINT IF EXISTS a, b`, 8},
	{"drop and truncate", "DROP TABLE dbo.a; DROP TABLE IF EXISTS a, b.c; TRUNCATE TABLE dbo.a", 3},

	// DML.
	{"insert values", "INSERT INTO dbo.customer (id, name) VALUES (1, N'a'), (2, DEFAULT), (3, NULL)", 1},
	{"insert forms", `INSERT customer VALUES (1, 'x'); INSERT INTO t DEFAULT VALUES;
		INSERT INTO t (a) SELECT a FROM u WHERE a > 1 ORDER BY a; INSERT TOP (5) INTO t WITH (TABLOCK) SELECT * FROM u;
		INSERT INTO t (a, b) EXEC dbo.p 1, 2; INSERT INTO t (SELECT 1)`, 6},
	{"update", "UPDATE dbo.customer SET name = N'b', score += 1, note = DEFAULT, t.x = NULL WHERE id = 1", 1},
	{"update top and from", "UPDATE TOP (10) c SET c.name = o.name FROM dbo.customer AS c INNER JOIN dbo.other o ON o.id = c.id WHERE o.flag = 1", 1},
	{"update variable", "UPDATE t SET @v = a, a = a + 1", 1},
	{"delete", "DELETE FROM dbo.customer WHERE id IN (1, 2, 3); DELETE dbo.customer; DELETE TOP (2) FROM t WITH (ROWLOCK) WHERE a = 1", 3},
	{"delete from join", "DELETE c FROM customer c JOIN orders o ON o.cid = c.id", 1},

	// Transactions and SET.
	{"transactions", `BEGIN TRAN; BEGIN TRANSACTION t1; COMMIT; COMMIT TRAN; COMMIT TRANSACTION t1; COMMIT WORK;
		ROLLBACK; ROLLBACK TRAN; ROLLBACK TRANSACTION sp1; ROLLBACK WORK; SAVE TRANSACTION sp1; BEGIN TRAN @name;
		BEGIN TRANSACTION m WITH MARK 'desc'`, 13},
	{"isolation levels", `SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
		SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION ISOLATION LEVEL SNAPSHOT;
		SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`, 5},
	{"set options", `SET NOCOUNT ON; SET NOCOUNT OFF; SET ANSI_NULLS, QUOTED_IDENTIFIER ON; SET XACT_ABORT ON;
		SET LOCK_TIMEOUT -1; SET LOCK_TIMEOUT 5000; SET TEXTSIZE 2147483647; SET DATEFORMAT ymd; SET LANGUAGE us_english;
		SET LANGUAGE N'Deutsch'; SET DATEFIRST 7; SET ROWCOUNT 0; SET DEADLOCK_PRIORITY LOW; SET STATISTICS IO, TIME ON;
		SET IMPLICIT_TRANSACTIONS OFF; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET CONCAT_NULL_YIELDS_NULL ON;
		SET ANSI_PADDING ON; SET ANSI_NULL_DFLT_ON ON; SET CURSOR_CLOSE_ON_COMMIT OFF; SET IDENTITY_INSERT dbo.t ON`, 22},
	{"go-mssqldb connect options", "set textsize -1; set quoted_identifier on; set arithabort on; set context_info 0x", 4},
	{"odbc connect options", "set quoted_identifier on set arithabort off set numeric_roundabort off set ansi_warnings on set ansi_padding on set ansi_nulls on set concat_null_yields_null on set cursor_close_on_commit off set implicit_transactions off set language us_english set dateformat mdy set datefirst 7 set transaction isolation level read committed", 13},
	{"alter database", `ALTER DATABASE inventory SET ALLOW_SNAPSHOT_ISOLATION ON; ALTER DATABASE inventory SET READ_COMMITTED_SNAPSHOT OFF;
		ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE; ALTER DATABASE d SET RECOVERY SIMPLE;
		ALTER DATABASE d SET ALLOW_SNAPSHOT_ISOLATION OFF WITH NO_WAIT; ALTER DATABASE d SET x = ON WITH ROLLBACK AFTER 5 SECONDS`, 6},

	// Variables.
	{"declare and set", `DECLARE @a int, @b nvarchar(max) = N'x', @c AS decimal(10,2) = 1.5; SET @a = @a * 2; SET @b += N'y';
		SELECT @a = COUNT(*), @c = MAX(price) FROM t; SELECT @a = 1`, 5},

	// EXEC.
	{"exec forms", `EXEC sys.sp_cdc_enable_db; EXECUTE dbo.p 1, N'x', @v OUTPUT, DEFAULT, NULL, -5, bareword;
		EXEC @rc = dbo.p @a = 1, @b = @c OUT; EXEC @procname; EXEC ('SELECT ' + @x + ' FROM t'); EXEC sp_help [dbo.t]`, 6},
	{"implicit exec", "sp_who 'active'", 1},
	{"implicit exec quoted", "[sys].[sp_cdc_enable_db]", 1},

	// Control flow.
	{"if else", "IF @a > 1 PRINT 'big' ELSE IF @a = 1 PRINT 'one' ELSE BEGIN PRINT 'small'; RETURN END", 1},
	{"if exists", "IF NOT EXISTS (SELECT 1 FROM sys.tables WHERE name = 't') CREATE TABLE t (a int)", 1},
	{"while", "WHILE @i < 10 BEGIN SET @i = @i + 1; IF @i = 5 BREAK ELSE CONTINUE; END", 1},
	{"try catch", `BEGIN TRY
		INSERT INTO t VALUES (1);
		SELECT 1/0
	END TRY
	BEGIN CATCH
		SELECT ERROR_NUMBER() AS n, ERROR_MESSAGE() AS m;
		IF @@TRANCOUNT > 0 ROLLBACK;
		THROW;
	END CATCH; BEGIN TRY PRINT 1 END TRY BEGIN CATCH END CATCH`, 2},
	{"misc statements", `WAITFOR DELAY '00:00:01'; WAITFOR TIME @t; PRINT 'hello ' + CAST(@x AS varchar(10));
		RAISERROR('oops %d', 16, 1, @n) WITH NOWAIT; RAISERROR (N'x', 10, 1); THROW 51000, 'bad', 1; THROW; RETURN; RETURN 5`, 9},

	// SELECT.
	{"select list forms", "SELECT DISTINCT TOP (10) *, t.*, dbo.t.*, a AS x, b y, c 'z', w = d + 1, 'lit' = 2, e AS [with space] FROM dbo.t", 1},
	{"select top forms", "SELECT TOP 5 a FROM t; SELECT TOP (@n) PERCENT a FROM t ORDER BY a; SELECT TOP (3) WITH TIES a FROM t ORDER BY a", 3},
	{"select clauses", `SELECT a, COUNT(*) AS n FROM dbo.t WITH (NOLOCK) WHERE b <> 2 AND c != 3 OR NOT d = 4
		GROUP BY a HAVING COUNT(*) > 1 ORDER BY n DESC, a ASC OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY`, 1},
	{"select hints", "SELECT * FROM t AS a WITH (NOLOCK, INDEX(ix_a)); SELECT * FROM t WITH (UPDLOCK, HOLDLOCK, ROWLOCK); SELECT * FROM t x WITH (INDEX = 1)", 3},
	{"legacy hints", "SELECT * FROM t (NOLOCK); SELECT * FROM t AS a (UPDLOCK, ROWLOCK) WHERE a.id = 1; SELECT * FROM dbo.f(x)", 3},
	{"joins", `SELECT s.name, t.name FROM sys.tables t INNER JOIN sys.schemas s ON s.schema_id = t.schema_id
		LEFT OUTER JOIN sys.columns c ON c.object_id = t.object_id AND c.column_id = 1
		RIGHT JOIN a ON 1 = 1 FULL OUTER JOIN b ON 1 = 1 CROSS JOIN z, y`, 1},
	{"derived table", "SELECT x.a FROM (SELECT TOP 1 a FROM t ORDER BY a) AS x", 1},
	{"select without from", "SELECT GETDATE(), SYSUTCDATETIME(), SYSDATETIMEOFFSET(), NEWID(), DB_NAME(), SCHEMA_NAME(), CURRENT_TIMESTAMP, SYSTEM_USER", 1},

	// Expressions.
	{"precedence", "SELECT 1 + 2 * 3 - 4 / 5 % 6, -a * b, ~a & b | c ^ d, (1 + 2) * 3, - -1, a - -1, 'a' + 'b' + c", 1},
	{"predicates", `SELECT * FROM t WHERE a IS NULL AND b IS NOT NULL AND c IN (1, 2) AND d NOT IN (SELECT x FROM u)
		AND e BETWEEN 1 AND 10 AND f NOT BETWEEN 2 AND 3 AND g LIKE 'a%' AND h NOT LIKE '%\_%' ESCAPE '\'
		AND (i = 1 OR j = 2) AND k !< 1 AND l !> 2 AND m <= 3 AND n >= 4 AND o < 5 AND p > 6`, 1},
	{"parenthesized conditions", "SELECT * FROM t WHERE ((a + 1) * 2 > 3) AND (((b = 1))) OR NOT (c = 1 AND (d) = 2)", 1},
	{"case", `SELECT CASE WHEN a > 1 THEN 'x' WHEN a IS NULL THEN NULL ELSE 'y' END,
		CASE b WHEN 1 THEN 'one' WHEN 2 THEN 'two' END FROM t`, 1},
	{"cast convert", `SELECT CAST(a AS nvarchar(max)), TRY_CAST('1' AS int), CONVERT(varchar(30), d, 121), TRY_CONVERT(date, '2024-01-01'),
		CONVERT(datetime2(7), x), CAST(1 AS decimal(38,38)), CAST(x AS binary(10)), CAST(1 AS float(24))`, 1},
	{"functions", `SELECT ISNULL(a, 0), COALESCE(a, b, 'c'), LEN(s), DATALENGTH(s), UPPER(s), LOWER(s), LTRIM(RTRIM(s)),
		SUBSTRING(s, 1, 2), REPLACE(s, 'a', 'b'), ABS(-1), ROUND(1.5, 0), DATEADD(day, 1, d), DATEDIFF(ms, a, b),
		DATEPART(YEAR, d), OBJECT_ID('dbo.t'), OBJECT_ID(N'dbo.t', 'U'), NULLIF(a, 0), LEFT(s, 2), RIGHT(s, 2),
		IIF(a > 1, 'x', 'y'), COUNT(DISTINCT a), COUNT_BIG(*), MIN(a), MAX(a), SUM(ALL a), AVG(a), dbo.f(1)`, 1},
	{"subqueries", "SELECT (SELECT MAX(a) FROM t) AS m, a FROM u WHERE EXISTS (SELECT * FROM t WHERE t.id = u.id) AND a = (SELECT 1)", 1},
	{"collate", "SELECT a COLLATE Latin1_General_BIN FROM t WHERE b COLLATE SQL_Latin1_General_CP1_CI_AS = 'x'", 1},

	{"common scripts", `IF OBJECT_ID('dbo.t', 'U') IS NOT NULL DROP TABLE dbo.t;
		EXEC sp_executesql N'SELECT * FROM t WHERE id = @id', N'@id int', @id = 1;
		SELECT @@SPID AS spid, @@TRANCOUNT AS tc, SCOPE_IDENTITY() AS id, @@IDENTITY;
		SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v`, 4},

	// Microsoft's change data capture documentation examples.
	{"cdc enable db", "USE AdventureWorks2022;\nEXEC sys.sp_cdc_enable_db;", 2},
	{"cdc enable table", `EXEC sys.sp_cdc_enable_table
		@source_schema = N'HumanResources',
		@source_name = N'Department',
		@role_name = N'cdc_Admin',
		@capture_instance = N'HumanResources_Department',
		@supports_net_changes = 1,
		@index_name = N'AK_Department_Name',
		@captured_column_list = N'DepartmentID, Name, GroupName',
		@filegroup_name = N'PRIMARY';`, 1},
	{"cdc enable table no role", "EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'MyTable', @role_name = NULL, @supports_net_changes = 1", 1},
	{"cdc get all changes", `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('HR_Department');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT * FROM cdc.fn_cdc_get_all_changes_HR_Department
  (@from_lsn, @to_lsn, N'all');`, 4},
	{"cdc get all changes update old", "SELECT * FROM cdc.fn_cdc_get_all_changes_dbo_customer(@from_lsn, @to_lsn, N'all update old') ORDER BY __$start_lsn, __$seqval, __$operation", 1},
	{"cdc net changes", `DECLARE @begin_time datetime, @end_time datetime, @begin_lsn binary(10), @end_lsn binary(10);
SET @begin_time = GETDATE()-1;
SET @end_time = GETDATE();
SELECT @begin_lsn = sys.fn_cdc_map_time_to_lsn('smallest greater than', @begin_time);
SELECT @end_lsn = sys.fn_cdc_map_time_to_lsn('largest less than or equal', @end_time);
SELECT * FROM cdc.fn_cdc_get_net_changes_HumanResources_Department(@begin_lsn, @end_lsn, 'all with merge');`, 6},
	{"cdc increment and ordinal", `SET @from_lsn = sys.fn_cdc_increment_lsn(@save_to_lsn);
SELECT sys.fn_cdc_is_bit_set(sys.fn_cdc_get_column_ordinal('dbo_Customer', 'CustomerName'), __$update_mask) AS 'IsNameUpdated',
  sys.fn_cdc_has_column_changed('dbo_Customer', 'CustomerName', __$update_mask) AS name_changed,
  sys.fn_cdc_map_lsn_to_time(__$start_lsn) AS commit_time
FROM cdc.fn_cdc_get_all_changes_dbo_Customer(@from_lsn, @to_lsn, N'all') WHERE __$operation = 4;`, 2},
	{"cdc admin procedures", `EXEC sys.sp_cdc_disable_table @source_schema = N'HumanResources', @source_name = N'Department', @capture_instance = N'HumanResources_Department';
EXEC sys.sp_cdc_disable_db;
EXECUTE sys.sp_cdc_help_change_data_capture @source_schema = N'HumanResources', @source_name = N'Employee';
EXECUTE sys.sp_cdc_get_captured_columns @capture_instance = N'HumanResources_Employee';
EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = 2880;
EXEC sys.sp_cdc_start_job; EXEC sys.sp_cdc_stop_job @job_type = N'capture';
EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_customer', @low_water_mark = 0x00000020000000A80001, @threshold = 5000;`, 8},
	{"cdc catalog queries", `SELECT name, is_cdc_enabled FROM sys.databases WHERE name = DB_NAME();
SELECT s.name AS schema_name, t.name AS table_name, t.is_tracked_by_cdc FROM sys.tables AS t INNER JOIN sys.schemas AS s ON s.schema_id = t.schema_id WHERE t.is_tracked_by_cdc = 1;
SELECT capture_instance, start_lsn, object_id, source_object_id FROM cdc.change_tables;
SELECT * FROM cdc.captured_columns; SELECT * FROM cdc.lsn_time_mapping WHERE tran_begin_time > DATEADD(hour, -1, SYSDATETIME())`, 5},
	{"cdc position checks", `DECLARE @min binary(10) = sys.fn_cdc_get_min_lsn(N'dbo_customer');
IF @min > @from_lsn RAISERROR('position %s fell out of retention', 16, 1, 'dbo_customer');
SELECT TOP (1000) * FROM cdc.dbo_customer_CT WITH (NOLOCK) WHERE __$start_lsn > @from_lsn AND __$start_lsn <= @to_lsn ORDER BY __$start_lsn, __$command_id, __$seqval, __$operation`, 3},
	{"union", `SELECT a, b FROM t WHERE a > 1 UNION SELECT c, d FROM u UNION ALL SELECT 1, @x ORDER BY 1 DESC OFFSET 1 ROWS; INSERT INTO t SELECT 1, 2 UNION ALL SELECT 3, 4`, 2},
	{"create procedure", `CREATE PROCEDURE dbo.p (@a int = 5, @b nvarchar(20) = NULL OUTPUT, @c varchar(max) OUT) WITH RECOMPILE AS
BEGIN SET NOCOUNT ON; SELECT @b = N'x' + CAST(@a AS nvarchar(10)); IF @a > 1 RETURN @a * 2 END; RETURN 0`, 1},
	{"alter and drop procedure", `CREATE OR ALTER PROC p @x int AS SELECT @x`, 1},
	{"drop procedure", `DROP PROC IF EXISTS p, dbo.q; DROP PROCEDURE r`, 2},
	{"query hints", `SELECT a FROM t ORDER BY a OPTION (MAXRECURSION 10000, RECOMPILE, OPTIMIZE FOR (@p = 1), USE HINT ('DISABLE_OPTIMIZED_PLAN_FORCING'))`, 1},
	{"common table expressions", `WITH a (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM a WHERE n < 3), b AS (SELECT n FROM a) SELECT * FROM b ORDER BY n; ;WITH c AS (SELECT 1 AS x) SELECT x FROM c; WITH d (k) AS (SELECT 2) INSERT INTO t (id) SELECT k FROM d`, 3},
	{"table variables", `DECLARE @t TABLE (id int PRIMARY KEY, v nvarchar(10) NULL DEFAULT N'x', UNIQUE (v)), @n int = 1;
INSERT INTO @t (id) VALUES (@n); UPDATE @t SET v = N'y' WHERE id = 1; DELETE FROM @t WHERE id = 2;
SELECT x.id, v FROM @t AS x JOIN #tmp ON #tmp.id = x.id`, 5},
}

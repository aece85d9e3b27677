package engine

import (
	"fmt"
	"strings"
	"testing"
)

func TestSnapshotIsolation(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE snap; USE snap; CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1), (2, 2)`)
	b := a.session()
	if n, _ := b.errNum(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT * FROM t`); n != 3952 {
		t.Fatalf("snapshot without ALLOW_SNAPSHOT_ISOLATION: %d", n)
	}
	b.run(`IF @@TRANCOUNT > 0 ROLLBACK`)
	a.ok(`ALTER DATABASE snap SET ALLOW_SNAPSHOT_ISOLATION ON`)
	if got := flat(b.rows(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT v FROM t WHERE id = 1`)); got != "1" {
		t.Fatalf("snapshot read: %s", got)
	}
	a.ok(`UPDATE t SET v = 10 WHERE id = 1`)
	if got := flat(b.rows(`SELECT v FROM t WHERE id = 1`)); got != "1" {
		t.Fatalf("snapshot must not see later commit: %s", got)
	}
	if n, _ := b.errNum(`UPDATE t SET v = 20 WHERE id = 1`); n != 3960 {
		t.Fatalf("write-write conflict: %d", n)
	}
	if got := flat(b.rows(`SELECT @@TRANCOUNT`)); got != "0" {
		t.Fatalf("conflict must end the transaction, trancount %s", got)
	}
	if got := flat(b.rows(`SELECT v FROM t WHERE id = 1`)); got != "10" {
		t.Fatalf("after conflict: %s", got)
	}
}

func TestTransactionsAndErrors(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE tx; USE tx; CREATE TABLE t (id int PRIMARY KEY, s varchar(3) NOT NULL)`)
	rec := h.run(`BEGIN TRAN; INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (1, 'b'); INSERT INTO t VALUES (2, 'abcd'); SELECT @@TRANCOUNT; COMMIT`)
	errs := rec.Errors()
	if len(errs) != 2 || errs[0].Number != 2627 || errs[1].Number != 2628 {
		t.Fatalf("errors: %v", errs)
	}
	if !strings.Contains(errs[0].Text, "Cannot insert duplicate key in object 'dbo.t'. The duplicate key value is (1).") {
		t.Fatalf("2627 text: %s", errs[0].Text)
	}
	if got := flat(h.rows(`SELECT id, s FROM t`)); got != "1,a" {
		t.Fatalf("rows: %s", got)
	}
	if n, _ := h.errNum(`COMMIT`); n != 3902 {
		t.Fatalf("commit without begin: %d", n)
	}
	if n, _ := h.errNum(`SELECT nope FROM t`); n != 207 {
		t.Fatalf("bad column: %d", n)
	}
	if n, _ := h.errNum(`SELECT * FROM nope`); n != 208 {
		t.Fatalf("bad table: %d", n)
	}
	if n, _ := h.errNum(`SELECT 1/0`); n != 8134 {
		t.Fatalf("divide by zero: %d", n)
	}
	if n, _ := h.errNum(`SELECT CAST('x' AS int)`); n != 245 {
		t.Fatalf("conversion: %d", n)
	}
	if n, _ := h.errNum(`USE nodb`); n != 911 {
		t.Fatalf("use: %d", n)
	}
	if n, _ := h.errNum(`CREATE TABLE t (a int)`); n != 2714 {
		t.Fatalf("exists: %d", n)
	}
	if n, _ := h.errNum(`SELECT * FROM t WHERE`); n != 102 && n != 156 {
		t.Fatalf("syntax: %d", n)
	}
}

func TestSavepoints(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE sp; USE sp; CREATE TABLE t (id int PRIMARY KEY)`)
	h.ok(`BEGIN TRAN; INSERT INTO t VALUES (1); SAVE TRAN s1; INSERT INTO t VALUES (2); ROLLBACK TRAN s1; INSERT INTO t VALUES (3); COMMIT`)
	if got := flat(h.rows(`SELECT id FROM t`)); got != "1;3" {
		t.Fatalf("rows: %s", got)
	}
	if got := flat(h.rows(`BEGIN TRAN; BEGIN TRAN; INSERT INTO t VALUES (4); COMMIT; SELECT @@TRANCOUNT; ROLLBACK; SELECT @@TRANCOUNT`)); got != "0" {
		t.Fatalf("nested trancount: %s", got)
	}
	if got := flat(h.rows(`SELECT COUNT(*) FROM t`)); got != "2" {
		t.Fatalf("nested rollback kept rows: %s", got)
	}
}

func TestOldVersionsAreDropped(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE gc; USE gc; ALTER DATABASE gc SET ALLOW_SNAPSHOT_ISOLATION ON; CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)`)
	b := a.session()
	b.ok(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT v FROM t`)
	for i := 0; i < 5; i++ {
		a.ok(`UPDATE t SET v = v + 1`)
	}
	tbl := a.e.db("gc").table("dbo", "t")
	if n := len(tbl.chains[0].versions); n != 6 {
		t.Fatalf("with an open snapshot: %d versions, want every version since its start", n)
	}
	if got := flat(b.rows(`SELECT v FROM t; COMMIT`)); got != "0" {
		t.Fatalf("snapshot read after pruning: %s", got)
	}
	a.ok(`UPDATE t SET v = v + 1`)
	if n := len(tbl.chains[0].versions); n != 1 {
		t.Fatalf("without snapshots: %d versions", n)
	}
	for i := 2; i < 200; i++ {
		a.ok(fmt.Sprintf(`INSERT INTO t VALUES (%d, 0); DELETE FROM t WHERE id = %d`, i, i))
	}
	if len(tbl.chains) > 100 {
		t.Fatalf("deleted rows kept: %d chains", len(tbl.chains))
	}
}

func TestDynamicSQL(t *testing.T) {
	h := newHarness(t)
	got := flat(h.rows(`DECLARE @t sysname = N'dyn'; EXEC ('CREATE DATABASE ' + @t); EXEC sp_executesql N'SELECT name FROM sys.databases WHERE name = @n', N'@n sysname', @n = @t`))
	if got != "dyn" {
		t.Fatalf("dynamic SQL: %s", got)
	}
}

func TestTryCatchAndIndexDDL(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE tc; USE tc; CREATE TABLE t (id int CONSTRAINT pk_t PRIMARY KEY, code varchar(5), v int CONSTRAINT df_v DEFAULT 7)`)
	got := flat(h.rows(`BEGIN TRY INSERT INTO t (id) VALUES (1); INSERT INTO t (id) VALUES (1); SELECT 'not reached' END TRY
BEGIN CATCH SELECT ERROR_NUMBER(), ERROR_SEVERITY() END CATCH`))
	if got != "2627,14" {
		t.Fatalf("catch: %s", got)
	}
	h.ok(`CREATE UNIQUE INDEX ux_code ON t (code)`)
	h.ok(`INSERT INTO t (id, code) VALUES (2, 'a')`)
	if n, _ := h.errNum(`INSERT INTO t (id, code) VALUES (3, 'A')`); n != 2627 {
		t.Fatalf("unique index: %d", n)
	}
	if got := flat(h.rows(`SELECT name, is_unique, is_primary_key FROM sys.indexes WHERE object_id = OBJECT_ID('t') ORDER BY index_id`)); got != "pk_t,1,1;ux_code,1,0" {
		t.Fatalf("sys.indexes: %s", got)
	}
	h.ok(`DROP INDEX ux_code ON t; ALTER TABLE t DROP CONSTRAINT df_v; ALTER TABLE t ALTER COLUMN code nvarchar(20) NULL`)
	h.ok(`INSERT INTO t (id, code) VALUES (3, 'A')`)
	if got := flat(h.rows(`SELECT id, code, v FROM t ORDER BY id`)); got != "1,NULL,7;2,a,7;3,A,NULL" {
		t.Fatalf("rows: %s", got)
	}
	if got := flat(h.rows(`SELECT TYPE_NAME(system_type_id), max_length FROM sys.columns WHERE object_id = OBJECT_ID('t') AND name = 'code'`)); got != "nvarchar,40" {
		t.Fatalf("altered column: %s", got)
	}
}

func TestPointLookupKeepsSemantics(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE pl; USE pl; CREATE TABLE t (k varchar(5) PRIMARY KEY, n int); INSERT INTO t VALUES ('Ab', 1), ('c', 2)`)
	h.ok(`BEGIN TRAN; UPDATE t SET k = 'x' WHERE k = 'ab'; ROLLBACK`)
	h.ok(`UPDATE t SET n = 10 WHERE k = 'AB' AND n = 1`)
	h.ok(`UPDATE t SET n = 20 WHERE 'C' = k AND n = 99`)
	h.ok(`DELETE FROM t WHERE k = 'toolong-key'`)
	if got := flat(h.rows(`SELECT k, n FROM t ORDER BY k`)); got != "Ab,10;c,2" {
		t.Fatalf("rows: %s", got)
	}
}

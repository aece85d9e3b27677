package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// seekQueries are SELECTs of the keyset shape (and near it) whose results
// must not depend on whether the key seek or the scan answers them.
var seekQueries = []struct {
	name, sql string
	view      bool // the seek reads the ordered view for it (else the scan answers, or nothing needs reading)
}{
	{"first chunk", `SELECT TOP (3) id, name, v FROM t ORDER BY id`, true},
	{"after a key", `SELECT TOP (3) * FROM t WHERE id > 2 ORDER BY id`, true},
	{"more than there are", `SELECT TOP (100) * FROM t WHERE id > 2 ORDER BY id`, true},
	{"no rows past the end", `SELECT TOP (2) * FROM t WHERE id > 100 ORDER BY id`, true},
	{"no rows before the start", `SELECT TOP (2) * FROM t WHERE id < -100 ORDER BY id`, true},
	{"range of the first key", `SELECT TOP (5) * FROM t WHERE id >= 2 AND id < 7 ORDER BY id`, true},
	{"keyset within a range", `SELECT TOP (5) * FROM t WHERE (id > 4) AND id >= 2 AND id < 30 ORDER BY id`, true},
	{"constant first", `SELECT TOP (3) * FROM t WHERE 5 < id ORDER BY id`, true},
	{"between", `SELECT TOP (3) * FROM t WHERE id BETWEEN 2 AND 6 ORDER BY id`, true},
	{"or of ranges", `SELECT TOP (3) * FROM t WHERE id = 5 OR id > 8 ORDER BY id`, true},
	{"another column filters", `SELECT TOP (3) * FROM t WHERE id > 1 AND v > 4 ORDER BY id`, true},
	{"contradiction", `SELECT TOP (3) * FROM t WHERE id > 1 AND id < 1 ORDER BY id`, false},
	{"top zero", `SELECT TOP (0) * FROM t ORDER BY id`, false},
	{"alias", `SELECT TOP (3) x.id, x.v FROM t x WHERE x.id > -5 ORDER BY x.id`, true},
	{"variables", `DECLARE @n bigint = 3, @k bigint = 4; SELECT TOP (@n) * FROM t WHERE id > @k ORDER BY id`, true},
	{"parameters", `EXEC sp_executesql N'SELECT TOP (@p1) * FROM t WHERE (id > @p2) AND id < @p3 ORDER BY id', N'@p1 int, @p2 bigint, @p3 bigint', 2, 1, 9`, true},
	{"decimal bound", `SELECT TOP (3) * FROM t WHERE id > 2.5 ORDER BY id`, true},
	{"later order columns", `SELECT TOP (3) * FROM t ORDER BY id, v DESC`, true},
	{"composite keyset", `SELECT TOP (4) a, b, v FROM c WHERE (a > 1) OR (a = 1 AND b > N'A') ORDER BY a, b`, true},
	{"composite ties on the first column", `SELECT TOP (2) a, b, v FROM c ORDER BY a`, true},
	{"composite ties across the last row", `SELECT TOP (3) a, b, v FROM c ORDER BY a`, true},
	{"composite later column descending", `SELECT TOP (2) a, b FROM c WHERE a >= 2 ORDER BY a, b DESC`, true},
	{"string key", `SELECT TOP (2) * FROM s WHERE k > N'b' ORDER BY k`, false},
	{"descending", `SELECT TOP (3) * FROM t ORDER BY id DESC`, false},
	{"offset", `SELECT * FROM t ORDER BY id OFFSET 2 ROWS FETCH NEXT 2 ROWS ONLY`, false},
}

// TestKeySeekMatchesScan runs seekQueries in three sessions (read
// committed, a SNAPSHOT transaction begun before the changes, and a
// transaction holding uncommitted changes) with the seek and with the
// scan, the ordered view built before the changes (they are read apart)
// and after them (they are in it).
func TestKeySeekMatchesScan(t *testing.T) {
	for _, viewFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("view built before the changes %v", viewFirst), func(t *testing.T) {
			h := newHarness(t)
			h.ok(`CREATE DATABASE sk; USE sk; ALTER DATABASE sk SET ALLOW_SNAPSHOT_ISOLATION ON;
CREATE TABLE t (id int PRIMARY KEY, name nvarchar(20), v int);
INSERT INTO t VALUES (5,'e',5),(1,'a',1),(3,'c',3),(9,'i',9),(7,'g',7),(2,'b',2),(8,'h',8),(4,'d',4),(6,'f',6),(-3,'m',-3);
CREATE TABLE c (a bigint NOT NULL, b nvarchar(10) NOT NULL, v int, PRIMARY KEY (a, b));
INSERT INTO c VALUES (2,N'b',1),(1,N'z',2),(2,N'A',3),(1,N'a',4),(3,N'c',5),(2,N'c',6);
CREATE TABLE s (k nvarchar(10) PRIMARY KEY, v int);
INSERT INTO s VALUES (N'a',1),(N'C',2),(N'b',3)`)
			h.e.scanOnly = !viewFirst
			for _, q := range seekQueries {
				h.rows(q.sql)
			}
			snap := h.session()
			snap.ok(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT COUNT(*) FROM t; SELECT COUNT(*) FROM c`)
			h.ok(`DELETE FROM t WHERE id = 3; UPDATE t SET id = 30 WHERE id = 4; UPDATE t SET v = 50 WHERE id = 5;
INSERT INTO t VALUES (10,'j',10); DELETE FROM c WHERE a = 3; UPDATE c SET a = 4 WHERE a = 1 AND b = N'z'`)
			w := h.session()
			w.ok(`BEGIN TRAN; DELETE FROM t WHERE id = 6; INSERT INTO t VALUES (11,'k',11); UPDATE t SET id = 20 WHERE id = 7;
UPDATE t SET v = 0 WHERE id = 8; INSERT INTO c VALUES (0, N'q', 9)`)
			h.e.scanOnly = false
			sessions := map[string]*harness{"read committed": h, "snapshot before the changes": snap, "uncommitted changes": w}
			for _, q := range seekQueries {
				for name, s := range sessions {
					h.e.scanOnly = false
					seek := s.rows(q.sql)
					h.e.scanOnly = true
					scan := s.rows(q.sql)
					if !reflect.DeepEqual(seek, scan) {
						t.Errorf("%s, %s: %s\nseek %v\nscan %v", q.name, name, q.sql, seek, scan)
					}
				}
			}
			h.e.scanOnly = false
			// The oracle must not be the seek itself: the seek was taken
			// where expected.
			d := h.e.db("sk")
			for _, q := range seekQueries {
				for _, tbl := range []string{"t", "c", "s"} {
					d.table("dbo", tbl).order = nil
				}
				h.rows(q.sql)
				built := false
				for _, tbl := range []string{"t", "c", "s"} {
					built = built || d.table("dbo", tbl).order != nil
				}
				if built != q.view {
					t.Errorf("%s: ordered view read %v, want %v", q.name, built, q.view)
				}
			}
			// Spot checks of what the three sessions see.
			for _, c := range []struct {
				s    *harness
				want string
			}{
				{h, "5,e,50;6,f,6;7,g,7;8,h,8"},
				{snap, "5,e,5;6,f,6;7,g,7;8,h,8"},
				{w, "5,e,50;8,h,0;9,i,9;10,j,10"},
			} {
				if got := flat(c.s.rows(`SELECT TOP (4) * FROM t WHERE id > 4 ORDER BY id`)); got != c.want {
					t.Errorf("got %s, want %s", got, c.want)
				}
			}
		})
	}
}

// BenchmarkSnapshotChunk reads one 1,000-row keyset chunk from the middle
// of tables of growing size: with the key seek its cost does not depend on
// the table's size; with the scan (how=scan, as before the seek) it grows
// with it.
func BenchmarkSnapshotChunk(b *testing.B) {
	for _, c := range []struct {
		how  string
		rows int
	}{{"seek", 10_000}, {"seek", 100_000}, {"seek", 400_000}, {"scan", 10_000}, {"scan", 100_000}} {
		rows := c.rows
		b.Run(fmt.Sprintf("how=%s/rows=%d", c.how, rows), func(b *testing.B) {
			h := newHarness(b)
			h.e.scanOnly = c.how == "scan"
			h.ok(`CREATE DATABASE bench; USE bench; CREATE TABLE t (id bigint PRIMARY KEY, name nvarchar(40), amount decimal(12,2))`)
			for lo := 0; lo < rows; lo += 1000 {
				var vals []string
				for j := lo; j < lo+1000; j++ {
					vals = append(vals, fmt.Sprintf("(%d, N'name %d', %d.25)", j, j, j))
				}
				h.ok("INSERT INTO t VALUES " + strings.Join(vals, ","))
			}
			h.rows(`SELECT TOP (1) id FROM t ORDER BY id`) // builds the ordered view
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				from := rows/2 + (i*1000)%(rows/4)
				h.rows(fmt.Sprintf("SELECT TOP (1000) id, name, amount FROM t WHERE (id > %d) AND id >= 0 AND id < %d ORDER BY id", from, rows))
			}
		})
	}
}

// TestKeySeekAfterChangesOfTheTable compares the seek with the scan after
// what drops or bypasses the ordered view once it is built: more changed
// rows than it reads apart, ALTER TABLE, a new primary key, TRUNCATE, a
// rolled-back insert.
func TestKeySeekAfterChangesOfTheTable(t *testing.T) {
	const q = `SELECT TOP (5) * FROM t WHERE id > 4990 ORDER BY id`
	steps := []struct{ name, sql string }{
		{"many updates", `UPDATE t SET v = v + 1 WHERE id % 2 = 0`},
		{"key moved", `UPDATE t SET id = id + 100000 WHERE id > 4995`},
		{"column added", `ALTER TABLE t ADD extra int NULL DEFAULT 7 WITH VALUES`},
		{"column dropped", `ALTER TABLE t DROP COLUMN name`},
		{"rolled-back insert", `BEGIN TRAN; INSERT INTO t (id, v) VALUES (200001, 0); ROLLBACK`},
		{"primary key dropped", `ALTER TABLE t DROP CONSTRAINT pk_t`},
		{"primary key on another column", `ALTER TABLE t ADD CONSTRAINT pk_t2 PRIMARY KEY (v, id)`},
		{"truncate", `TRUNCATE TABLE t`},
	}
	h := newHarness(t)
	h.ok(`CREATE DATABASE sk; USE sk; CREATE TABLE t (id int NOT NULL CONSTRAINT pk_t PRIMARY KEY, name nvarchar(20), v int NOT NULL)`)
	for lo := 0; lo < 10000; lo += 1000 {
		var vals []string
		for j := lo; j < lo+1000; j++ {
			vals = append(vals, fmt.Sprintf("(%d, N'n%d', %d)", 10000-j, j, j%7))
		}
		h.ok("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	for _, st := range steps {
		h.e.scanOnly = false
		h.rows(q) // the view is built (when the key allows it) before the step
		h.ok(st.sql)
		seek := h.rows(q)
		h.e.scanOnly = true
		scan := h.rows(q)
		if !reflect.DeepEqual(seek, scan) {
			t.Errorf("after %s: seek %v\nscan %v", st.name, seek, scan)
		}
	}
	h.e.scanOnly = false
}

package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Row-level locking as the transaction locking and row versioning guide
// describes it:
// https://learn.microsoft.com/en-us/sql/relational-databases/sql-server-transaction-locking-and-row-versioning-guide
// ("Exclusive locks ... No other transactions can modify data; ... held
// until the end of the transaction"), with SET LOCK_TIMEOUT:
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-lock-timeout-transact-sql

// blocked waits until h's session waits for another transaction's lock.
func (h *harness) blocked() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.e.mu.Lock()
		tx := h.s.(*session).tx
		waiting := tx != nil && tx.blockedBy != nil
		h.e.mu.Unlock()
		if waiting {
			return
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	h.t.Fatal("session never waited for a lock")
}

// async runs sql on h in a goroutine; the channel yields its recording.
func (h *harness) async(sql string) <-chan *Recorder {
	done := make(chan *Recorder, 1)
	go func() {
		var rec Recorder
		if err := h.s.ExecBatch(context.Background(), sql, &rec); err != nil {
			if m := toMessage(err); m != nil {
				rec.Messages = append(rec.Messages, m)
			}
		}
		done <- &rec
	}()
	return done
}

func TestWritersOfDifferentRowsDoNotWait(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE rl; USE rl;
CREATE TABLE t (id int PRIMARY KEY, v varchar(10));
CREATE TABLE u (id int PRIMARY KEY);
CREATE TABLE h (v int); -- a heap: no key
INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'); INSERT INTO h VALUES (1)`)
	a.ok(`BEGIN TRAN; INSERT INTO t VALUES (10, 'x'); UPDATE t SET v = 'A' WHERE id = 1; INSERT INTO h VALUES (2)`)
	b := a.session()
	// LOCK_TIMEOUT 0 turns any wait into Msg 1222: none of these may wait.
	for _, q := range []string{
		`INSERT INTO t VALUES (11, 'y')`,
		`UPDATE t SET v = 'B' WHERE id = 2`,
		`DELETE FROM t WHERE id = 3`,
		`UPDATE t SET v = 'z' WHERE v = 'y'`, // a scan past rows a holds that match neither way
		`INSERT INTO u VALUES (1)`,
		`INSERT INTO h VALUES (3)`,
	} {
		if n, text := b.errNum(`SET LOCK_TIMEOUT 0; ` + q); n != 0 {
			t.Fatalf("%s: Msg %d %s", q, n, text)
		}
	}
	// The rows a holds: its inserted key, its updated row (found by key or
	// by a scan matching the old or the new value).
	for _, q := range []string{
		`INSERT INTO t VALUES (10, 'dup')`,
		`UPDATE t SET v = 'q' WHERE id = 10`,
		`UPDATE t SET v = 'q' WHERE id = 1`,
		`DELETE FROM t WHERE v = 'a'`,
		`DELETE FROM t WHERE v = 'x'`,
	} {
		if n, _ := b.errNum(`SET LOCK_TIMEOUT 0; ` + q); n != 1222 {
			t.Fatalf("%s: Msg %d, want 1222", q, n)
		}
	}
	a.ok(`COMMIT`)
	if got := flat(a.rows(`SELECT id, v FROM t ORDER BY id`)); got != "1,A;2,B;10,x;11,z" {
		t.Fatalf("rows: %s", got)
	}
	if got := flat(a.rows(`SELECT v FROM h ORDER BY v`)); got != "1;2;3" {
		t.Fatalf("heap: %s", got)
	}
}

// TestLockTimeout: "the current statement is canceled" with Msg 1222 and
// the transaction stays active; the batch goes on.
func TestLockTimeout(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE lt; USE lt; CREATE TABLE t (id int PRIMARY KEY); BEGIN TRAN; INSERT INTO t VALUES (1)`)
	b := a.session()
	rec := b.run(`SET LOCK_TIMEOUT 50; BEGIN TRAN; INSERT INTO t VALUES (5); INSERT INTO t VALUES (1); SELECT @@TRANCOUNT, @@LOCK_TIMEOUT`)
	if errs := rec.Errors(); len(errs) != 1 || errs[0].Number != 1222 || errs[0].Text != "Lock request time out period exceeded." {
		t.Fatalf("lock timeout: %v", errs)
	}
	if len(rec.Sets) != 1 || flat(b.rows(`SELECT @@TRANCOUNT, @@LOCK_TIMEOUT`)) != "1,50" {
		t.Fatal("the batch must go on with the transaction open")
	}
	if got := flat(b.rows(`SELECT COUNT(*) FROM t`)); got != "1" {
		t.Fatalf("reader under READ COMMITTED does not wait and sees its own row: %s", got)
	}
	a.ok(`COMMIT`)
	b.ok(`COMMIT`)
	if got := flat(a.rows(`SELECT id FROM t ORDER BY id`)); got != "1;5" {
		t.Fatalf("rows: %s", got)
	}
}

// TestWaitThenReadCommitted: a writer that waited works on the row as the
// owner committed it (no lost update), or as it was after a rollback.
func TestWaitThenReadCommitted(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE wt; USE wt; CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0)`)
	b := a.session()
	a.ok(`BEGIN TRAN; UPDATE t SET n = n + 1 WHERE id = 1`)
	done := b.async(`UPDATE t SET n = n + 10 WHERE id = 1`)
	b.blocked()
	a.ok(`COMMIT`)
	if errs := (<-done).Errors(); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	if got := flat(a.rows(`SELECT n FROM t`)); got != "11" {
		t.Fatalf("after commit: %s", got)
	}
	// A key another transaction deleted stays reserved until it ends: a
	// rollback brings the row back, so the insert is a duplicate.
	a.ok(`BEGIN TRAN; DELETE FROM t WHERE id = 1`)
	done = b.async(`INSERT INTO t VALUES (1, 5)`)
	b.blocked()
	a.ok(`ROLLBACK`)
	if errs := (<-done).Errors(); len(errs) != 1 || errs[0].Number != 2627 {
		t.Fatalf("insert after rollback: %v", errs)
	}
	a.ok(`BEGIN TRAN; DELETE FROM t WHERE id = 1`)
	done = b.async(`INSERT INTO t VALUES (1, 5)`)
	b.blocked()
	a.ok(`COMMIT`)
	if errs := (<-done).Errors(); len(errs) != 0 {
		t.Fatal(errs[0])
	}
	if got := flat(a.rows(`SELECT id, n FROM t`)); got != "1,5" {
		t.Fatalf("after delete and insert: %s", got)
	}
}

func TestUniqueConstraintWaits(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE uq; USE uq; CREATE TABLE t (id int PRIMARY KEY, code varchar(5) UNIQUE)`)
	b := a.session()
	a.ok(`BEGIN TRAN; INSERT INTO t VALUES (1, 'x')`)
	if n, _ := b.errNum(`SET LOCK_TIMEOUT 0; INSERT INTO t VALUES (2, 'x')`); n != 1222 {
		t.Fatalf("unique key held by another transaction: %d", n)
	}
	b.ok(`SET LOCK_TIMEOUT -1; INSERT INTO t VALUES (3, 'y')`)
	done := b.async(`INSERT INTO t VALUES (2, 'x')`)
	b.blocked()
	a.ok(`COMMIT`)
	if errs := (<-done).Errors(); len(errs) != 1 || errs[0].Number != 2627 {
		t.Fatalf("after commit: %v", errs)
	}
}

// TestDeadlockVictim: two transactions each wait for a row the other
// holds; one is chosen as the victim (Msg 1205), its transaction rolled
// back and its batch ended; the other goes on.
func TestDeadlockVictim(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE dl; USE dl; CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)`)
	b := a.session()
	a.ok(`BEGIN TRAN; UPDATE t SET n = 1 WHERE id = 1`)
	b.ok(`BEGIN TRAN; UPDATE t SET n = 2 WHERE id = 2`)
	done := a.async(`UPDATE t SET n = 1 WHERE id = 2`)
	a.blocked()
	rec := b.run(`UPDATE t SET n = 2 WHERE id = 1; SELECT 'not reached'`)
	if errs := rec.Errors(); len(errs) != 1 || errs[0].Number != 1205 || len(rec.Sets) != 0 {
		t.Fatalf("victim: %v, %d result sets", errs, len(rec.Sets))
	}
	if errs := (<-done).Errors(); len(errs) != 0 {
		t.Fatalf("survivor: %v", errs[0])
	}
	if got := flat(b.rows(`SELECT @@TRANCOUNT`)); got != "0" {
		t.Fatalf("the victim's transaction must be rolled back: %s", got)
	}
	a.ok(`COMMIT`)
	if got := flat(a.rows(`SELECT n FROM t ORDER BY id`)); got != "1;1" {
		t.Fatalf("rows: %s", got)
	}
}

func TestCloseWhileWaitingForLock(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE cl; USE cl; CREATE TABLE t (id int PRIMARY KEY)`)
	a.ok(`BEGIN TRAN; INSERT INTO t VALUES (1)`)
	b := a.session()
	done := b.async(`BEGIN TRAN; INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)`)
	b.blocked()
	// Closing b while it waits rolls its transaction back and frees the
	// key it held.
	_ = b.s.Close()
	a.ok(`SET LOCK_TIMEOUT 1000; INSERT INTO t VALUES (2); COMMIT`)
	<-done
	if got := flat(a.rows(`SELECT id FROM t ORDER BY id`)); got != "1;2" {
		t.Fatalf("rows: %s", got)
	}
}

// TestDDLWaitsForRowLocks: ALTER and DROP TABLE need the whole table
// (a schema modification lock) and wait for its writers.
func TestDDLWaitsForRowLocks(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE dd; USE dd; CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE o (id int)`)
	b := a.session()
	a.ok(`BEGIN TRAN; INSERT INTO t VALUES (1)`)
	for _, q := range []string{`ALTER TABLE t ADD c int NULL`, `DROP TABLE t`, `TRUNCATE TABLE t`} {
		if n, _ := b.errNum(`SET LOCK_TIMEOUT 0; ` + q); n != 1222 {
			t.Fatalf("%s: Msg %d, want 1222", q, n)
		}
	}
	b.ok(`SET LOCK_TIMEOUT 0; ALTER TABLE o ADD c int NULL; DROP TABLE o`)
	a.ok(`COMMIT`)
	b.ok(`ALTER TABLE t ADD c int NULL; DROP TABLE t`)
}

// TestSnapshotWithInterleavedWriters: SNAPSHOT reads see committed
// versions only, of their start; a SNAPSHOT writer waits for the row's
// owner and then fails with Msg 3960 if it committed a newer version.
func TestSnapshotWithInterleavedWriters(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE si; ALTER DATABASE si SET ALLOW_SNAPSHOT_ISOLATION ON; USE si;
CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)`)
	b, c := a.session(), a.session()
	a.ok(`BEGIN TRAN; UPDATE t SET n = 1 WHERE id = 1; INSERT INTO t VALUES (3, 3)`)
	b.ok(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN`)
	if got := flat(b.rows(`SELECT id, n FROM t ORDER BY id`)); got != "1,0;2,0" {
		t.Fatalf("snapshot must not see uncommitted rows: %s", got)
	}
	c.ok(`UPDATE t SET n = 2 WHERE id = 2`) // commits after b's snapshot began
	a.ok(`COMMIT`)
	if got := flat(b.rows(`SELECT id, n FROM t ORDER BY id`)); got != "1,0;2,0" {
		t.Fatalf("snapshot must not see later commits: %s", got)
	}
	if got := flat(c.rows(`SELECT id, n FROM t ORDER BY id`)); got != "1,1;2,2;3,3" {
		t.Fatalf("read committed: %s", got)
	}
	a.ok(`BEGIN TRAN; UPDATE t SET n = 10 WHERE id = 3`)
	done := b.async(`UPDATE t SET n = 20 WHERE id = 1`)
	if errs := (<-done).Errors(); len(errs) != 1 || errs[0].Number != 3960 {
		t.Fatalf("row changed after the snapshot began: %v", errs)
	}
	b.ok(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT COUNT(*) FROM t`)
	done = b.async(`UPDATE t SET n = 30 WHERE id = 3`)
	b.blocked()
	a.ok(`ROLLBACK`)
	if errs := (<-done).Errors(); len(errs) != 0 {
		t.Fatalf("owner rolled back: %v", errs[0])
	}
	b.ok(`COMMIT`)
	if got := flat(c.rows(`SELECT n FROM t WHERE id = 3`)); got != "30" {
		t.Fatalf("after snapshot update: %s", got)
	}
}

// TestTransfersUnderContention: sessions move money between random
// accounts in explicit transactions that pause while holding a row, so
// they wait for each other and deadlock now and then; victims retry. Row locks must keep every transfer whole: the total never
// changes and no update is lost.
func TestTransfersUnderContention(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE bank; USE bank; CREATE TABLE acct (id int PRIMARY KEY, n int NOT NULL)`)
	for i := 0; i < 8; i++ {
		a.ok(fmt.Sprintf(`INSERT INTO acct VALUES (%d, 100)`, i))
	}
	const workers, transfers = 6, 40
	errs := make(chan error, workers)
	var victims atomic.Int64
	for w := 0; w < workers; w++ {
		s := a.session()
		go func(w int) {
			for k := 0; k < transfers; k++ {
				from, to := (w+k)%8, (w*3+k*5+1)%8
				if from == to {
					to = (to + 1) % 8
				}
				for {
					var rec Recorder
					err := s.s.ExecBatch(context.Background(), fmt.Sprintf(
						`BEGIN TRAN; UPDATE acct SET n = n - 1 WHERE id = %d; WAITFOR DELAY '00:00:00.002'; UPDATE acct SET n = n + 1 WHERE id = %d; COMMIT`, from, to), &rec)
					if m := toMessage(err); m != nil && m.Number == 1205 {
						victims.Add(1)
						continue
					}
					if err == nil && len(rec.Errors()) > 0 {
						err = rec.Errors()[0]
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := flat(a.rows(`SELECT SUM(n), COUNT(*) FROM acct`)); got != "800,8" {
		t.Fatalf("total after %d transfers (%d deadlock victims retried): %s", workers*transfers, victims.Load(), got)
	}
	if got := flat(a.rows(`SELECT COUNT(*) FROM sys.dm_tran_session_transactions`)); got != "0" {
		t.Fatalf("transactions left open: %s", got)
	}
	t.Logf("%d transfers, %d deadlock victims retried", workers*transfers, victims.Load())
}

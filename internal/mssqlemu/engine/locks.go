package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Row-level locking, as the SQL Server transaction locking and row
// versioning guide describes it
// (https://learn.microsoft.com/en-us/sql/relational-databases/sql-server-transaction-locking-and-row-versioning-guide):
// a transaction that changes a row holds an exclusive lock on it, and on
// its key, until the transaction ends; another writer that needs the row
// or the key waits, for at most SET LOCK_TIMEOUT milliseconds (Msg 1222),
// and a wait that would close a cycle makes the waiter the deadlock victim
// (Msg 1205). READ COMMITTED readers never wait: they read the last
// committed version (as with READ_COMMITTED_SNAPSHOT ON), SNAPSHOT the
// version of its start.
//
// REPEATABLE READ and SERIALIZABLE readers lock what they read until their
// transaction ends ("shared locks are placed on all data read by each
// statement in the transaction and are held until the transaction
// completes"; SERIALIZABLE also keeps other transactions from inserting
// into the key ranges read: SET TRANSACTION ISOLATION LEVEL,
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-transaction-isolation-level-transact-sql).
// The emulator takes that shared lock on the whole table (as SQL Server
// does once it escalates): a reader waits for the table's writers, and a
// writer for the table's other readers. That blocks more often than row
// and key-range locks would, never less, so every anomaly those levels
// forbid stays impossible; two readers that then both write deadlock, as
// on SQL Server (a conversion deadlock).
//
// The exclusive row lock is the row's pending version: only its owner can
// write one. Key locks keep a primary-key value reserved by a transaction
// that inserted, deleted or moved it, so that no other transaction can
// insert that key before the owner ends. A statement runs under e.mu;
// when it meets a lock another transaction holds it fails with lockWait,
// its changes are undone, and execSimple waits for the owner to end and
// runs it again (SQL Server's statement would have waited in place; the
// outcome is the same).

// lockWait is the internal signal that a statement needs a lock owner
// holds. It never reaches a client.
type lockWait struct{ owner *txn }

func (l *lockWait) Error() string { return fmt.Sprintf("waiting for transaction %d", l.owner.id) }

// keyLock is a primary-key value a transaction reserved in a table.
type keyLock struct {
	table *Table
	key   string
}

// rowOwner returns the other transaction that holds c's row lock, or nil.
func rowOwner(tx *txn, c *rowChain) *txn {
	if c.pending == nil || c.pending.tx == tx {
		return nil
	}
	return c.pending.tx
}

// keyOwner returns the other transaction holding key k of t, or nil.
func (t *Table) keyOwner(tx *txn, k string) *txn {
	if o := t.keyLocks[k]; o != nil && o != tx {
		return o
	}
	return nil
}

// lockKey reserves key k of t for tx until tx ends.
func (tx *txn) lockKey(t *Table, k string) {
	if t.keyLocks == nil {
		t.keyLocks = map[string]*txn{}
	}
	if t.keyLocks[k] == tx {
		return
	}
	t.keyLocks[k] = tx
	tx.keys = append(tx.keys, keyLock{table: t, key: k})
}

// readLock makes a read of t by tx (nil: a statement outside any
// transaction, at the session's level iso) wait for t's writers under
// REPEATABLE READ and SERIALIZABLE, and keeps t shared-locked until tx
// ends. Callers hold e.mu.
func readLock(tx *txn, iso tsql.IsolationLevel, t *Table) error {
	if tx != nil {
		iso = tx.iso
	}
	if t == nil || iso != tsql.RepeatableRead && iso != tsql.Serializable {
		return nil
	}
	if o := tableOwner(tx, t); o != nil {
		return &lockWait{owner: o}
	}
	if tx == nil || t.shared[tx] {
		return nil
	}
	if t.shared == nil {
		t.shared = map[*txn]bool{}
	}
	t.shared[tx] = true
	tx.shared = append(tx.shared, t)
	return nil
}

// writeWait returns lockWait when another transaction holds t shared:
// a writer waits for t's REPEATABLE READ and SERIALIZABLE readers.
func writeWait(tx *txn, t *Table) error {
	for o := range t.shared {
		if o != tx {
			return &lockWait{owner: o}
		}
	}
	return nil
}

// end releases everything tx holds and wakes the transactions waiting
// for it. Callers hold e.mu.
func (tx *txn) end() {
	for _, t := range tx.shared {
		delete(t.shared, tx)
	}
	tx.shared = nil
	for _, kl := range tx.keys {
		if kl.table.keyLocks[kl.key] == tx {
			delete(kl.table.keyLocks, kl.key)
		}
	}
	tx.keys = nil
	if !tx.ended {
		tx.ended = true
		close(tx.done)
	}
}

// tableOwner returns another transaction holding a lock on a row of t, or
// nil: DDL needs the whole table (a schema modification lock).
func tableOwner(tx *txn, t *Table) *txn {
	if t == nil {
		return nil
	}
	for _, c := range t.chains {
		if o := rowOwner(tx, c); o != nil {
			return o
		}
	}
	for _, o := range t.keyLocks {
		if o != tx {
			return o
		}
	}
	return nil
}

// ddlOwner is tableOwner, or another transaction holding t shared: DDL
// waits for both.
func ddlOwner(tx *txn, t *Table) *txn {
	if o := tableOwner(tx, t); o != nil || t == nil {
		return o
	}
	for o := range t.shared {
		if o != tx {
			return o
		}
	}
	return nil
}

// ddlWait returns lockWait when another transaction holds rows of the
// table o names. Callers hold e.mu.
func (s *session) ddlWait(o tsql.ObjectName) error {
	d, err := s.dbFor(o)
	if err != nil {
		return nil // the statement reports it
	}
	if owner := ddlOwner(s.tx, s.findTable(d, o)); owner != nil {
		return &lockWait{owner: owner}
	}
	return nil
}

// waitsFor reports whether from, directly or through other waiting
// transactions, waits for to. Callers hold e.mu.
func waitsFor(from, to *txn) bool {
	seen := map[*txn]bool{}
	for t := from; t != nil && !seen[t]; t = t.blockedBy {
		if t == to {
			return true
		}
		seen[t] = true
	}
	return false
}

// waitLock waits until owner ends. tx (nil for a statement outside any
// transaction, which holds no locks) becomes the deadlock victim when
// owner already waits for it; SET LOCK_TIMEOUT bounds the wait.
func (s *session) waitLock(ctx context.Context, tx, owner *txn) error {
	s.e.mu.Lock()
	if owner.ended {
		s.e.mu.Unlock()
		return nil
	}
	if tx != nil && waitsFor(owner, tx) {
		s.e.mu.Unlock()
		return msg(1205, 13, 51, fmt.Sprintf("Transaction (Process ID %d) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.", s.spid))
	}
	if tx != nil {
		tx.blockedBy = owner
	}
	timeoutMS := s.lockTimeout
	s.e.mu.Unlock()
	defer func() {
		if tx != nil {
			s.e.mu.Lock()
			tx.blockedBy = nil
			s.e.mu.Unlock()
		}
	}()
	var timeout <-chan time.Time
	if timeoutMS >= 0 {
		t := time.NewTimer(time.Duration(timeoutMS) * time.Millisecond)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-owner.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return msg(1222, 16, 51, "Lock request time out period exceeded.")
	}
}

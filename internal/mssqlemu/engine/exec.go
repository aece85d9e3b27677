package engine

import (
	"context"
	"errors"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// writeTarget names the database a data-changing statement writes to.
func (s *session) writeTarget(st tsql.Statement) (string, bool) {
	var tn *tsql.TableName
	switch x := st.(type) {
	case *tsql.InsertStmt:
		tn = x.Table
	case *tsql.UpdateStmt:
		tn = x.Target
	case *tsql.DeleteStmt:
		tn = x.Target
	case *tsql.TruncateTableStmt:
		if x.Table.Database != "" {
			return x.Table.Database, true
		}
		return s.dbName, true
	default:
		return "", false
	}
	if tn != nil && tn.Name.Database != "" {
		return tn.Name.Database, true
	}
	return s.dbName, true
}

// execSimple runs a statement inside the session's transaction, or an
// implicit one that commits when the statement succeeds. A failed
// statement's changes are undone; the transaction stays open. A statement
// that meets another transaction's lock is undone, waits for it (see
// locks.go) and runs again.
func (s *session) execSimple(ctx context.Context, st tsql.Statement, fr *frame, w tds.ResultWriter) error {
	dbName, writes := s.writeTarget(st)
	auto := false
	var own *txn // a table variable's change: outside the session's transaction
	if writes {
		s.e.mu.Lock()
		if s.e.db(dbName) == nil {
			s.e.mu.Unlock()
			return errNoDatabase(dbName)
		}
		switch {
		case tableVarWrite(st):
			own = s.newTxn(s.iso, false)
		case s.tx == nil:
			s.tx = s.newTxn(s.iso, false)
			auto = true
		}
		s.e.mu.Unlock()
	}
	for {
		buf := &bufferedWriter{}
		s.e.mu.Lock()
		if s.closed {
			s.e.mu.Unlock()
			return context.Canceled
		}
		tx := s.tx
		if own != nil {
			tx = own
		}
		undoMark, opsMark := 0, 0
		if tx != nil {
			undoMark, opsMark = len(tx.undo), len(tx.ops)
		}
		err := s.safeDispatch(ctx, st, fr, buf, tx)
		var lw *lockWait
		if errors.As(err, &lw) {
			if tx != nil {
				tx.rollbackTo(undoMark)
				tx.ops = tx.ops[:opsMark]
			}
			s.e.mu.Unlock()
			if err := s.waitLock(ctx, tx, lw.owner); err != nil {
				s.failWait(tx, auto, err, w)
				return err
			}
			continue
		}
		var doomed bool
		if err != nil && tx != nil {
			if m := toMessage(err); m != nil && dooms(m.Number) {
				doomed = true
			}
			tx.rollbackTo(undoMark)
			tx.ops = tx.ops[:opsMark]
		}
		switch {
		case own != nil:
			if err == nil {
				s.commitTxn(own)
			} else {
				s.rollbackTxn(own)
			}
		case auto:
			if err == nil {
				s.commitTxn(tx)
			} else {
				s.rollbackTxn(tx)
			}
			s.tx = nil
		case doomed && s.tx != nil:
			s.rollbackTxn(s.tx)
			s.tx = nil
			s.trancount = 0
			buf.TransactionRolledBack(tx.id)
		}
		s.e.mu.Unlock()
		if rerr := buf.replay(w); rerr != nil {
			return rerr
		}
		return err
	}
}

// failWait ends a statement whose lock wait failed: the implicit
// transaction, or a transaction the error dooms (deadlock victim), rolls
// back; a lock timeout or a cancel leaves an explicit one open, as SET
// LOCK_TIMEOUT documents.
func (s *session) failWait(tx *txn, auto bool, err error, w tds.ResultWriter) {
	m := toMessage(err)
	if tx == nil || !(auto || (m != nil && dooms(m.Number))) {
		return
	}
	s.e.mu.Lock()
	rolled := s.tx == tx
	if rolled {
		s.rollbackTxn(tx)
		s.tx = nil
		s.trancount = 0
	}
	s.e.mu.Unlock()
	if rolled && !auto {
		_ = w.TransactionRolledBack(tx.id)
	}
}

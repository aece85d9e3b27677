package engine

import (
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// txn is one transaction: explicit (BEGIN TRAN or the TDS transaction
// manager) or the implicit one around a single statement.
type txn struct {
	id       uint64
	iso      tsql.IsolationLevel
	snap     uint64 // snapshot sequence; 0 until the first data access
	explicit bool
	began    time.Time
	undo     []undoEntry
	ops      []cdcOp
	cmdID    int32       // __$command_id counter
	saves    []savepoint // SAVE TRANSACTION points, newest last
	// beginLSN is the LSN of its first logged change (tran_begin_lsn).
	beginLSN  uint64
	keys      []keyLock     // primary-key values it reserved
	shared    []*Table      // tables it holds a shared lock on (REPEATABLE READ, SERIALIZABLE)
	blockedBy *txn          // the transaction whose lock it waits for
	done      chan struct{} // closed when it commits or rolls back
	spid      int32         // its session's, for sys.dm_exec_requests
	ended     bool
	// ddlUndo reverts catalog changes (CREATE TABLE, CREATE SCHEMA) made
	// inside an explicit transaction, newest last, if it rolls back.
	ddlUndo []func()
}

// savepoint marks how much of a transaction SAVE TRANSACTION keeps.
type savepoint struct {
	name      string
	undo, ops int
}

// snapshotSeq returns the sequence this transaction reads at: 0 (latest
// committed) for READ COMMITTED, the start of the snapshot for SNAPSHOT.
// Callers hold e.mu.
func (s *session) snapshotSeq(tx *txn) uint64 {
	if tx == nil || tx.iso != tsql.Snapshot {
		return 0
	}
	if tx.snap == 0 {
		tx.snap = s.e.seq
		s.e.snaps[tx] = tx.snap
	}
	return tx.snap
}

// newTxn starts a transaction. Callers hold e.mu.
func (s *session) newTxn(iso tsql.IsolationLevel, explicit bool) *txn {
	s.e.nextTxID++
	return &txn{id: s.e.nextTxID, iso: iso, explicit: explicit, began: s.e.cfg.Now(), done: make(chan struct{}), spid: s.spid}
}

// commitTxn makes tx's changes visible with one commit LSN and hands its
// captured operations to the capture job. Callers hold e.mu.
func (s *session) commitTxn(tx *txn) {
	delete(s.e.snaps, tx)
	if len(tx.undo) > 0 || len(tx.ops) > 0 {
		seq := s.e.nextSeq()
		var scanned []*Database
		if len(tx.ops) == 0 {
			scanned = cdcDatabases(tx)
		}
		tx.commitRows(seq, s.e.oldestSnapshot())
		if len(tx.ops) > 0 {
			s.e.enqueueCapture(tx, seq)
		} else {
			s.e.enqueueScanMarker(scanned, seq)
		}
	}
	tx.end()
}

// rollbackTxn undoes all of tx. Callers hold e.mu.
func (s *session) rollbackTxn(tx *txn) {
	delete(s.e.snaps, tx)
	tx.rollbackTo(0)
	for i := len(tx.ddlUndo) - 1; i >= 0; i-- {
		tx.ddlUndo[i]()
	}
	tx.ddlUndo = nil
	tx.ops = nil
	tx.end()
}

// beginExplicit handles BEGIN TRAN and the TDS Begin request.
func (s *session) beginExplicit(w tds.ResultWriter) error {
	s.e.mu.Lock()
	if s.tx == nil {
		s.tx = s.newTxn(s.iso, true)
		s.trancount = 1
		s.e.mu.Unlock()
		return w.TransactionBegan(s.tx.id)
	}
	s.tx.explicit = true
	s.trancount++
	s.e.mu.Unlock()
	return nil
}

// commitExplicit handles COMMIT and the TDS Commit request.
func (s *session) commitExplicit(w tds.ResultWriter) error {
	s.e.mu.Lock()
	if s.tx == nil || s.trancount == 0 {
		s.e.mu.Unlock()
		return msg(3902, 16, 1, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	}
	s.trancount--
	if s.trancount > 0 {
		s.e.mu.Unlock()
		return nil
	}
	tx := s.tx
	s.commitTxn(tx)
	s.tx = nil
	s.e.mu.Unlock()
	return w.TransactionCommitted(tx.id)
}

// rollbackExplicit handles ROLLBACK [TRAN name] and the TDS Rollback
// request. A savepoint name rolls back to it and keeps the transaction.
func (s *session) rollbackExplicit(w tds.ResultWriter, name string) error {
	s.e.mu.Lock()
	if s.tx == nil || s.trancount == 0 {
		s.e.mu.Unlock()
		return msg(3903, 16, 1, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	}
	if name != "" {
		for i := len(s.tx.saves) - 1; i >= 0; i-- {
			sp := s.tx.saves[i]
			if strings.EqualFold(sp.name, name) {
				s.tx.rollbackTo(sp.undo)
				s.tx.ops = s.tx.ops[:sp.ops]
				s.tx.saves = s.tx.saves[:i+1]
				s.e.mu.Unlock()
				return nil
			}
		}
	}
	tx := s.tx
	s.rollbackTxn(tx)
	s.tx = nil
	s.trancount = 0
	s.e.mu.Unlock()
	return w.TransactionRolledBack(tx.id)
}

// saveTran handles SAVE TRANSACTION name. Callers hold e.mu.
func (s *session) saveTran(name string) error {
	if s.tx == nil || !s.tx.explicit {
		return msg(628, 16, 0, "Cannot issue SAVE TRANSACTION when there is no active transaction.")
	}
	s.tx.saves = append(s.tx.saves, savepoint{name: name, undo: len(s.tx.undo), ops: len(s.tx.ops)})
	return nil
}

// oldestSnapshot is the sequence the oldest active SNAPSHOT transaction
// reads at; versions older than what it sees can go. Callers hold e.mu.
func (e *Engine) oldestSnapshot() uint64 {
	oldest := e.seq
	for _, snap := range e.snaps {
		oldest = min(oldest, snap)
	}
	return oldest
}

// onRollback registers how to revert a catalog change made inside an
// explicit transaction. Callers hold e.mu.
func (s *session) onRollback(undo func()) {
	if s.tx != nil && s.tx.explicit {
		s.tx.ddlUndo = append(s.tx.ddlUndo, undo)
	}
}

// notInUserTransaction refuses statements SQL Server does not allow in a
// multi-statement transaction (CREATE/ALTER DATABASE: Msg 226; DROP
// DATABASE: Msg 574).
func (s *session) notInUserTransaction(stmt string) error {
	if s.tx == nil || !s.tx.explicit {
		return nil
	}
	if stmt == "DROP DATABASE" {
		return msg(574, 16, 0, "DROP DATABASE statement cannot be used inside a user transaction.")
	}
	return msg(226, 16, 6, stmt+" statement not allowed within multi-statement transaction.")
}

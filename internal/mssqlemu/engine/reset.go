package engine

import (
	"context"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

var _ tds.SessionResetter = (*session)(nil)

// ResetSession is sp_reset_connection, which SQL Server runs before a
// request that carries the reset-connection flag (a pooled connection
// being reused): an open transaction is rolled back unless keepTransaction
// (the "reset, keep transaction" flag), SET options return to their login
// defaults, @@ERROR/@@IDENTITY/@@ROWCOUNT are cleared and the current
// database becomes the login's again; global cursors are deallocated.
func (s *session) ResetSession(ctx context.Context, keepTransaction bool, w tds.ResultWriter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.e.mu.Lock()
	var rolledBack *txn
	if s.tx != nil && !keepTransaction {
		rolledBack = s.tx
		s.rollbackTxn(s.tx)
		s.tx = nil
		s.trancount = 0
	}
	if !keepTransaction || s.tx == nil {
		s.dropTempTables()
	}
	s.iso = tsql.ReadCommitted
	s.nocount = false
	s.xactAbort = false
	s.options = defaultOptions
	s.identityInsert = nil
	s.lockTimeout = -1
	s.tryDepth = 0
	s.caught = nil
	s.rowcount = 0
	s.lastError = 0
	s.identity = nil
	s.cursors = nil // sp_reset_connection deallocates the global cursors
	s.fetchStatus = fetchNotFetch
	s.dates, s.dateFirstSet = sqltypes.DateSettings{}, 0
	s.fmtOnly = false
	loginDB := "master"
	if s.login.Database != "" {
		if d := s.e.db(s.login.Database); d != nil {
			loginDB = d.Name
		}
	}
	old := s.dbName
	s.dbName = loginDB
	s.e.mu.Unlock()
	if rolledBack != nil && rolledBack.explicit {
		if err := w.TransactionRolledBack(rolledBack.id); err != nil {
			return err
		}
	}
	if old != loginDB {
		return w.DatabaseChanged(old, loginDB)
	}
	return nil
}

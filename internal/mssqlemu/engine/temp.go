package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Temporary tables and table variables, as CREATE TABLE documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-table-transact-sql#temporary-tables):
// a local temporary table (#name) is visible only to the session that
// created it and is dropped when that session ends (or is reset by
// sp_reset_connection); a global one (##name) is visible to every session
// and dropped when the session that created it ends. A table variable
// (DECLARE @t TABLE, https://learn.microsoft.com/en-us/sql/t-sql/data-types/table-transact-sql)
// lives in its batch's scope. All of them live in tempdb.

// isLocalTemp reports whether name is a local temporary table (#t).
func isLocalTemp(name string) bool {
	return strings.HasPrefix(name, "#") && !strings.HasPrefix(name, "##")
}

// isTableVar reports whether name is a table variable (@t).
func isTableVar(name string) bool { return strings.HasPrefix(name, "@") }

// inTempdb reports whether name always lives in tempdb.
func inTempdb(name string) bool { return strings.HasPrefix(name, "#") || isTableVar(name) }

// findTable resolves o in d: the session's own #temp tables and the
// batch's table variables first, then d's tables. Callers hold e.mu.
func (s *session) findTable(d *Database, o tsql.ObjectName) *Table {
	switch {
	case isLocalTemp(o.Object):
		return s.temps[strings.ToLower(o.Object)]
	case isTableVar(o.Object):
		if s.fr != nil {
			return s.fr.tables[strings.ToLower(o.Object)]
		}
		return nil
	}
	return d.table(o.Schema, o.Object)
}

// registerTable adds a new table to where its name says it lives.
// Callers hold e.mu.
func (s *session) registerTable(d *Database, t *Table) {
	low := strings.ToLower(t.Name)
	switch {
	case isLocalTemp(t.Name):
		if s.temps == nil {
			s.temps = map[string]*Table{}
		}
		s.temps[low] = t
		s.onRollback(func() { delete(s.temps, low) })
		return
	case isTableVar(t.Name):
		s.fr.tables[low] = t
		return
	case strings.HasPrefix(t.Name, "##"):
		s.globalTemps = append(s.globalTemps, t)
	}
	d.tables[t.ID] = t
	s.onRollback(func() { delete(d.tables, t.ID) })
}

// unregisterTable removes a dropped table. Callers hold e.mu.
func (s *session) unregisterTable(d *Database, t *Table) {
	if isLocalTemp(t.Name) {
		delete(s.temps, strings.ToLower(t.Name))
		return
	}
	delete(d.tables, t.ID)
}

// dropTempTables drops the session's temporary tables, at its end or
// reset. Its transaction has already ended. Callers hold e.mu.
func (s *session) dropTempTables() {
	s.temps = nil
	s.tempProcs = nil
	tempdb := s.e.db("tempdb")
	for _, t := range s.globalTemps {
		if tempdb != nil && tempdb.tables[t.ID] == t {
			delete(tempdb.tables, t.ID)
		}
	}
	s.globalTemps = nil
}

// declareTableVar creates a table variable in the batch's frame.
// Callers hold e.mu.
func (s *session) declareTableVar(ev *evaluator, v *tsql.VarDecl, fr *frame) error {
	low := strings.ToLower(v.Name)
	if _, dup := fr.tables[low]; dup {
		return msg(134, 15, 1, fmt.Sprintf("The variable name '%s' has already been declared. Variable names must be unique within a query batch or stored procedure.", v.Name))
	}
	return s.createTable(ev, &tsql.CreateTableStmt{Pos: v.Pos, Table: tsql.ObjectName{Object: v.Name},
		Columns: v.Table.Columns, Constraints: v.Table.Constraints})
}

// errNoTableVar is Msg 1087 for a table variable not declared in the batch.
func errNoTableVar(name string) error {
	return msg(1087, 15, 2, fmt.Sprintf("Must declare the table variable \"%s\".", name))
}

// tempdb is where temporary tables and table variables live.
func (s *session) tempdb() (*Database, error) {
	if d := s.e.db("tempdb"); d != nil {
		return d, nil
	}
	return nil, errNoDatabase("tempdb")
}

// tableVarWrite reports whether st changes a table variable. "Transaction
// rollbacks don't affect table variables": such a change commits with
// its statement, outside the session's transaction.
func tableVarWrite(st tsql.Statement) bool {
	var tn *tsql.TableName
	switch x := st.(type) {
	case *tsql.InsertStmt:
		tn = x.Table
	case *tsql.UpdateStmt:
		tn = x.Target
	case *tsql.DeleteStmt:
		tn = x.Target
	}
	return tn != nil && isTableVar(tn.Name.Object)
}

package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Transact-SQL cursors
// (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/declare-cursor-transact-sql,
// .../open-transact-sql, .../fetch-transact-sql, .../close-transact-sql,
// .../deallocate-transact-sql). Every cursor is static: OPEN runs the query
// and keeps its rows, so later changes to the tables are not seen, as
// with STATIC or INSENSITIVE. A GLOBAL cursor (the default, as with the
// database option CURSOR_DEFAULT GLOBAL) lives until DEALLOCATE or the end
// of the connection; a LOCAL one until the end of its batch or procedure.

// Fetch statuses (https://learn.microsoft.com/en-us/sql/t-sql/functions/fetch-status-transact-sql).
const (
	fetchOK        = 0
	fetchBeyond    = -1
	fetchNotFetch  = -9
	cursorNotExist = -3
)

// cursor is one declared cursor.
type cursor struct {
	name   string
	local  bool
	scroll bool
	query  *tsql.SelectStmt
	vars   *frame // the variables as they were at DECLARE

	open bool
	cols []relCol
	rows [][]any
	pos  int // index of the current row; -1 before the first, len(rows) after the last
}

func errNoCursor(name string) *tds.Message {
	return msg(16916, 16, 1, fmt.Sprintf("A cursor with the name '%s' does not exist.", name))
}

// findCursor resolves a cursor name: a LOCAL cursor of the batch or
// procedure hides a GLOBAL one of the same name unless GLOBAL is written.
func (s *session) findCursor(fr *frame, name string, global bool) *cursor {
	key := strings.ToLower(name)
	if !global && fr.cursors[key] != nil {
		return fr.cursors[key]
	}
	return s.cursors[key]
}

// cursorStmt runs DECLARE CURSOR, OPEN, FETCH, CLOSE and DEALLOCATE.
// Callers hold e.mu.
func (s *session) cursorStmt(ev *evaluator, st tsql.Statement, w tds.ResultWriter) error {
	fr := ev.fr
	switch x := st.(type) {
	case *tsql.DeclareCursorStmt:
		key := strings.ToLower(x.Name)
		scope := &s.cursors
		if x.Local {
			scope = &fr.cursors
		}
		if (*scope)[key] != nil {
			return msg(16915, 16, 1, fmt.Sprintf("A cursor with the name '%s' already exists.", x.Name))
		}
		snap := newFrame("")
		for k, v := range fr.vars {
			c := *v
			snap.vars[k] = &c
		}
		snap.tables = fr.tables
		if *scope == nil {
			*scope = map[string]*cursor{}
		}
		(*scope)[key] = &cursor{name: x.Name, local: x.Local, scroll: x.Scroll, query: x.Query, vars: snap}
		return s.plainDone(w)
	case *tsql.CursorStmt:
		c := s.findCursor(fr, x.Name, x.Global)
		if c == nil {
			return errNoCursor(x.Name)
		}
		switch x.Op {
		case "OPEN":
			if c.open {
				return msg(16905, 16, 1, "The cursor is already open.")
			}
			rel, err := s.evaluator(c.vars, ev.tx).query(c.query, nil)
			if err != nil {
				return err
			}
			c.open, c.cols, c.rows, c.pos = true, rel.cols, rel.rows, -1
		case "CLOSE":
			if !c.open {
				return msg(16917, 16, 1, "Cursor is not open.")
			}
			c.open, c.rows = false, nil
		case "DEALLOCATE":
			key := strings.ToLower(c.name)
			if c.local {
				delete(fr.cursors, key)
			} else {
				delete(s.cursors, key)
			}
		}
		if x.Op != "OPEN" {
			// "DEALLOCATE CURSOR, CLOSE CURSOR ... reset the ROWCOUNT
			// value to 0" (https://learn.microsoft.com/en-us/sql/t-sql/functions/rowcount-transact-sql).
			s.rowcount = 0
		}
		return s.plainDone(w)
	case *tsql.FetchStmt:
		return s.fetch(ev, x, w)
	}
	return fmt.Errorf("cursorStmt: unexpected %T", st)
}

// fetch moves the cursor and sends or assigns the row it lands on.
func (s *session) fetch(ev *evaluator, x *tsql.FetchStmt, w tds.ResultWriter) error {
	c := s.findCursor(ev.fr, x.Name, x.Global)
	if c == nil {
		return errNoCursor(x.Name)
	}
	if !c.open {
		return msg(16917, 16, 2, "Cursor is not open.")
	}
	if x.Direction != "NEXT" && !c.scroll {
		return msg(16911, 16, 1, fmt.Sprintf("fetch: The fetch type %s cannot be used with forward only cursors.", x.Direction))
	}
	if len(x.Into) > 0 && len(x.Into) != len(c.cols) {
		return msg(16924, 16, 1, "Cursorfetch: The number of variables declared in the INTO list must match that of selected columns.")
	}
	n := len(c.rows)
	switch x.Direction {
	case "NEXT":
		c.pos++
	case "PRIOR":
		c.pos--
	case "FIRST":
		c.pos = 0
	case "LAST":
		c.pos = n - 1
	case "ABSOLUTE", "RELATIVE":
		k, err := ev.intExpr(x.Offset)
		if err != nil {
			return err
		}
		switch {
		case x.Direction == "RELATIVE":
			c.pos += int(k)
		case k > 0:
			c.pos = int(k) - 1
		case k < 0:
			c.pos = n + int(k)
		default:
			c.pos = -1
		}
	}
	if c.pos < -1 {
		c.pos = -1
	}
	if c.pos > n {
		c.pos = n
	}
	var row []any
	if c.pos >= 0 && c.pos < n {
		row = c.rows[c.pos]
		s.fetchStatus = fetchOK
	} else {
		s.fetchStatus = fetchBeyond
	}
	if len(x.Into) == 0 {
		// Without INTO the row is a result set of its own (empty past
		// either end).
		if err := w.Columns(resultColumns(&relation{cols: c.cols})); err != nil {
			return err
		}
		count := int64(0)
		if row != nil {
			if err := w.Row(row); err != nil {
				return err
			}
			count = 1
		}
		s.rowcount = count
		return w.Done(count, !s.nocount)
	}
	if row != nil {
		for i, v := range x.Into {
			dst := ev.fr.vars[strings.ToLower(v.Name)]
			if dst == nil {
				return msg(137, 15, 2, fmt.Sprintf("Must declare the scalar variable \"%s\".", v.Name))
			}
			val, err := sqltypes.Convert(row[i], c.cols[i].typ, dst.typ, -1)
			if err != nil {
				return err
			}
			dst.val = val
		}
		s.rowcount = 1
	} else {
		s.rowcount = 0
	}
	return s.plainDone(w)
}

// cursorStatus is CURSOR_STATUS('local' | 'global', name)
// (https://learn.microsoft.com/en-us/sql/t-sql/functions/cursor-status-transact-sql):
// 1 open with rows (a static cursor), 0 open and empty, -1 closed, -3 no
// such cursor.
func (s *session) cursorStatus(fr *frame, scope, name string) int64 {
	key := strings.ToLower(name)
	var c *cursor
	switch strings.ToLower(scope) {
	case "local":
		if fr != nil {
			c = fr.cursors[key]
		}
	case "global":
		c = s.cursors[key]
	}
	switch {
	case c == nil:
		return cursorNotExist
	case !c.open:
		return -1
	case len(c.rows) == 0:
		return 0
	}
	return 1
}

package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// dispatch runs a non-control-flow statement. Callers hold e.mu; results go
// to w (a buffer sent after e.mu is released).
func (s *session) dispatch(ctx context.Context, st tsql.Statement, fr *frame, w tds.ResultWriter, tx *txn) error {
	ev := s.evaluator(fr, tx)
	switch x := st.(type) {
	case *tsql.SelectStmt:
		return s.selectStmt(ev, x, w)
	case *tsql.InsertStmt:
		return s.insert(ev, x, w)
	case *tsql.UpdateStmt:
		return s.update(ev, x, w)
	case *tsql.DeleteStmt:
		return s.deleteStmt(ev, x, w)
	case *tsql.TruncateTableStmt:
		return s.truncate(ev, x)
	case *tsql.DeclareCursorStmt, *tsql.CursorStmt, *tsql.FetchStmt:
		return s.cursorStmt(ev, st, w)
	case *tsql.DeclareStmt:
		for _, v := range x.Vars {
			if v.Table != nil {
				if err := s.declareTableVar(ev, v, fr); err != nil {
					return err
				}
				continue
			}
			t, err := resolveType(v.Type, false)
			if err != nil {
				return err
			}
			if _, dup := fr.vars[strings.ToLower(v.Name)]; dup {
				return msg(134, 15, 1, fmt.Sprintf("The variable name '%s' has already been declared. Variable names must be unique within a query batch or stored procedure.", v.Name))
			}
			nv := &variable{typ: t}
			if v.Init != nil {
				val, vt, err := ev.eval(v.Init, nil)
				if err != nil {
					return err
				}
				if nv.val, err = sqltypes.Convert(val, vt, t, -1); err != nil {
					return err
				}
			}
			fr.vars[strings.ToLower(v.Name)] = nv
		}
		return nil
	case *tsql.SetVarStmt:
		return ev.assign(x.Variable, x.Op, x.Value, nil)
	case *tsql.SetOnOffStmt:
		for _, o := range x.Options {
			if err := checkOnOff(o, x.On); err != nil {
				return err
			}
		}
		for _, o := range x.Options {
			s.setOption(o, x.On)
			switch o {
			case "NOCOUNT":
				s.nocount = x.On
			case "XACT_ABORT":
				s.xactAbort = x.On
			case "FMTONLY":
				s.fmtOnly = x.On
			}
		}
		return nil
	case *tsql.SetValueStmt:
		if handled, err := s.setDateOption(ev, x, w); handled {
			return err
		}
		if err := ev.checkValueOption(x); err != nil {
			return err
		}
		if strings.EqualFold(x.Option, "LOCK_TIMEOUT") {
			n, err := ev.intExpr(x.Value)
			if err != nil {
				return err
			}
			s.lockTimeout = n
		}
		return nil
	case *tsql.SetIsolationStmt:
		return nil
	case *tsql.SetIdentityInsertStmt:
		t, err := s.userTable(x.Table)
		if err != nil {
			return err
		}
		if t.identityCol() < 0 {
			return msg(8106, 16, 1, fmt.Sprintf("Table '%s' does not have the identity property. Cannot perform SET operation.", t.QualifiedName()))
		}
		if x.On {
			s.identityInsert = t
		} else if s.identityInsert == t {
			s.identityInsert = nil
		}
		return nil
	case *tsql.CreateDatabaseStmt:
		if err := s.notInUserTransaction("CREATE DATABASE"); err != nil {
			return err
		}
		return s.createDatabase(x)
	case *tsql.DropDatabaseStmt:
		if err := s.notInUserTransaction("DROP DATABASE"); err != nil {
			return err
		}
		return s.dropDatabase(x)
	case *tsql.LoginStmt:
		return s.loginStmt(x)
	case *tsql.UserStmt:
		return s.userStmt(x)
	case *tsql.CreateSchemaStmt:
		d, err := s.curDB()
		if err != nil {
			return err
		}
		if d.schema(x.Name) != nil {
			return msg(2714, 16, 6, fmt.Sprintf("There is already an object named '%s' in the database.", x.Name))
		}
		sc := d.addSchema(x.Name)
		s.onRollback(func() { delete(d.schemas, strings.ToLower(sc.Name)) })
		return nil
	case *tsql.CreateTableStmt:
		return s.createTable(ev, x)
	case *tsql.AlterTableAddStmt:
		if err := s.ddlWait(x.Table); err != nil {
			return err
		}
		return s.alterTableAdd(ev, x, fr)
	case *tsql.AlterTableDropColumnStmt:
		if err := s.ddlWait(x.Table); err != nil {
			return err
		}
		return s.alterTableDrop(x, fr)
	case *tsql.DropTableStmt:
		return s.dropTable(x)
	case *tsql.CreateIndexStmt:
		return s.createIndex(x)
	case *tsql.DropIndexStmt:
		return s.dropIndex(x)
	case *tsql.AlterTableDropConstraintStmt:
		if err := s.ddlWait(x.Table); err != nil {
			return err
		}
		return s.dropConstraint(x, fr)
	case *tsql.AlterTableAlterColumnStmt:
		if err := s.ddlWait(x.Table); err != nil {
			return err
		}
		return s.alterColumn(x, fr)
	case *tsql.AlterDatabaseSetStmt:
		if err := s.notInUserTransaction("ALTER DATABASE"); err != nil {
			return err
		}
		return s.alterDatabase(x)
	case *tsql.ExecStmt:
		return s.execProcStmt(ctx, ev, x, w)
	case *tsql.DbccStmt:
		return s.dbcc(x, w)
	case *tsql.PrintStmt:
		v, t, err := ev.eval(x.Value, nil)
		if err != nil {
			return err
		}
		str, _ := sqltypes.ToString(v, t, -1)
		if err := w.Message(&tds.Message{Number: 0, Class: 0, State: 1, Text: str, Server: s.e.cfg.ServerName}); err != nil {
			return err
		}
		// SQL Server ends a PRINT with its own DONE, as any statement.
		return s.plainDone(w)
	case *tsql.RaiserrorStmt:
		return s.raiserror(ev, x)
	case *tsql.ThrowStmt:
		if x.Number == nil {
			return msg(10704, 15, 1, "To rethrow an error, a THROW statement must be used inside a CATCH block.")
		}
		n, err := ev.intExpr(x.Number)
		if err != nil {
			return err
		}
		m, mt, err := ev.eval(x.Message, nil)
		if err != nil {
			return err
		}
		st, err := ev.intExpr(x.State)
		if err != nil {
			return err
		}
		text, _ := sqltypes.ToString(m, mt, -1)
		return msg(int32(n), 16, uint8(st), text)
	case *tsql.SaveTranStmt:
		return s.saveTran(x.Name)
	case *tsql.CreateProcStmt:
		return s.createProc(x)
	case *tsql.DropProcStmt:
		return s.dropProc(x)
	}
	return errNotSupported(fmt.Sprintf("%T", st))
}

func (s *session) raiserror(ev *evaluator, x *tsql.RaiserrorStmt) error {
	m, mt, err := ev.eval(x.Message, nil)
	if err != nil {
		return err
	}
	sev, err := ev.intExpr(x.Severity)
	if err != nil {
		return err
	}
	st, err := ev.intExpr(x.State)
	if err != nil {
		return err
	}
	text, _ := sqltypes.ToString(m, mt, -1)
	var args []any
	for _, a := range x.Args {
		v, _, err := ev.eval(a, nil)
		if err != nil {
			return err
		}
		args = append(args, v)
	}
	if len(args) > 0 {
		text = fmt.Sprintf(strings.NewReplacer("%s", "%v", "%d", "%v", "%i", "%v", "%u", "%v").Replace(text), args...)
	}
	number := int32(50000)
	if n, ok := m.(int64); ok {
		number = int32(n)
	}
	// "Severity levels greater than 18 can only be specified by members
	// of the sysadmin role, using the WITH LOG option"; 25 is the highest.
	// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/raiserror-transact-sql
	if sev > 18 && !hasOption(x.Options, "LOG") {
		return msg(2754, 16, 1, "Error severity levels greater than 18 can only be specified by members of the sysadmin role, using the WITH LOG option.")
	}
	sev = max(min(sev, 25), 0)
	return msg(number, uint8(sev), uint8(st), text)
}

func hasOption(opts []string, name string) bool {
	for _, o := range opts {
		if strings.EqualFold(o, name) {
			return true
		}
	}
	return false
}

// waitFor honours WAITFOR DELAY without holding the engine lock.
func (s *session) waitFor(ctx context.Context, x *tsql.WaitForStmt, fr *frame) error {
	var v any
	var t sqltypes.Type
	err := s.locked(func() error {
		var err error
		v, t, err = s.evaluator(fr, s.tx).eval(x.Value, nil)
		return err
	})
	if err != nil {
		return err
	}
	if x.Time {
		return nil
	}
	tv, err := sqltypes.Convert(v, t, sqltypes.Type{ID: sqltypes.Time, Scale: 7}, -1)
	if err != nil {
		return err
	}
	d := time.Duration(int64(tv.(sqltypes.TimeValue)) * 100)
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// assign sets a local variable (SET @v = ..., SELECT @v = ...).
func (ev *evaluator) assign(name, op string, value tsql.Expr, rc *rowCtx) error {
	v := ev.fr.vars[strings.ToLower(name)]
	if v == nil {
		return msg(137, 15, 1, fmt.Sprintf("Must declare the scalar variable \"%s\".", name))
	}
	val, vt, err := ev.eval(value, rc)
	if err != nil {
		return err
	}
	if op != "" && op != "=" {
		ops := map[string]tsql.BinaryOp{"+=": tsql.OpAdd, "-=": tsql.OpSub, "*=": tsql.OpMul, "/=": tsql.OpDiv, "%=": tsql.OpMod, "&=": tsql.OpBitAnd, "|=": tsql.OpBitOr, "^=": tsql.OpBitXor}
		bop, ok := ops[op]
		if !ok {
			return msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", op))
		}
		tmp := newFrame("")
		tmp.vars["@__l"] = &variable{typ: v.typ, val: v.val}
		tmp.vars["@__r"] = &variable{typ: vt, val: val}
		sub := &evaluator{s: ev.s, fr: tmp, tx: ev.tx}
		if val, vt, err = sub.eval(&tsql.BinaryExpr{Op: bop, L: &tsql.VarRef{Name: "@__l"}, R: &tsql.VarRef{Name: "@__r"}}, nil); err != nil {
			return err
		}
	}
	out, err := sqltypes.Convert(val, vt, v.typ, -1)
	if err != nil {
		return err
	}
	v.val = out
	return nil
}

func (s *session) selectStmt(ev *evaluator, sel *tsql.SelectStmt, w tds.ResultWriter) error {
	assigning := len(sel.Items) > 0 && sel.Items[0].Variable != ""
	if assigning {
		// Evaluate the query with the assigned expressions as items, then
		// assign from each row in order (the last row wins).
		q := *sel
		q.Items = make([]*tsql.SelectItem, len(sel.Items))
		for i, it := range sel.Items {
			q.Items[i] = &tsql.SelectItem{Expr: it.Expr}
		}
		rel, err := ev.query(&q, nil)
		if err != nil {
			return err
		}
		for _, row := range rel.rows {
			for i, it := range sel.Items {
				tmp := newFrame("")
				tmp.vars["@__v"] = &variable{typ: rel.cols[i].typ, val: row[i]}
				for k, v := range ev.fr.vars {
					tmp.vars[k] = v
				}
				sub := &evaluator{s: s, fr: tmp, tx: ev.tx}
				if err := sub.assign(it.Variable, it.Op, &tsql.VarRef{Name: "@__v"}, nil); err != nil {
					return err
				}
			}
		}
		s.rowcount = int64(len(rel.rows))
		return nil
	}
	rel, err := ev.query(sel, nil)
	if err != nil {
		return err
	}
	if s.fmtOnly {
		rel.rows = nil // SET FMTONLY ON: the columns only (fmtonly.go)
	}
	if err := w.Columns(resultColumns(rel)); err != nil {
		return err
	}
	for _, r := range rel.rows {
		if err := w.Row(r); err != nil {
			return err
		}
	}
	s.rowcount = int64(len(rel.rows))
	return w.Done(int64(len(rel.rows)), !s.nocount)
}

func (s *session) curDB() (*Database, error) {
	d := s.e.db(s.dbName)
	if d == nil {
		return nil, errNoDatabase(s.dbName)
	}
	return d, nil
}

// dbFor resolves a name's database part (the current one when empty).
func (s *session) dbFor(o tsql.ObjectName) (*Database, error) {
	if inTempdb(o.Object) {
		return s.tempdb()
	}
	if o.Database == "" {
		return s.curDB()
	}
	d := s.e.db(o.Database)
	if d == nil {
		return nil, errNoDatabase(o.Database)
	}
	return d, nil
}

func displayName(o tsql.ObjectName) string {
	parts := []string{}
	for _, p := range []string{o.Database, o.Schema, o.Object} {
		if p != "" || len(parts) > 0 {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// userTable resolves a stored table (user or cdc), Msg 208 when missing.
func (s *session) userTable(o tsql.ObjectName) (*Table, error) {
	d, err := s.dbFor(o)
	if err != nil {
		return nil, err
	}
	t := s.findTable(d, o)
	if t == nil {
		if isTableVar(o.Object) {
			return nil, errNoTableVar(o.Object)
		}
		return nil, errInvalidObject(displayName(o))
	}
	return t, nil
}

// checkSnapshot fails with Msg 3952 when a SNAPSHOT transaction touches a
// database that does not allow snapshot isolation.
func (s *session) checkSnapshot(tx *txn, d *Database) error {
	iso := s.iso
	if tx != nil {
		iso = tx.iso
	}
	if iso == tsql.Snapshot && !d.AllowSnapshot && !strings.EqualFold(d.Name, "tempdb") && !strings.EqualFold(d.Name, "master") {
		return msg(3952, 16, 1, fmt.Sprintf("Snapshot isolation transaction failed accessing database '%s' because snapshot isolation is not allowed in this database. Use ALTER DATABASE to allow snapshot isolation.", d.Name))
	}
	return nil
}

// tableRelation resolves a FROM name: system views, INFORMATION_SCHEMA,
// then stored tables.
func (ev *evaluator) tableRelation(o tsql.ObjectName) (*relation, *Table, error) {
	if rel, ok, err := ev.cteRelation(o); ok || err != nil {
		return rel, nil, err
	}
	d, err := ev.s.dbFor(o)
	if err != nil {
		return nil, nil, err
	}
	if rel, ok, err := ev.systemView(d, o); ok || err != nil {
		return rel, nil, err
	}
	t := ev.s.findTable(d, o)
	if t == nil {
		if isTableVar(o.Object) {
			return nil, nil, errNoTableVar(o.Object)
		}
		return nil, nil, errInvalidObject(displayName(o))
	}
	if err := ev.s.checkSnapshot(ev.tx, d); err != nil {
		return nil, nil, err
	}
	if err := readLock(ev.tx, ev.s.iso, t); err != nil {
		return nil, nil, err
	}
	rows, _ := t.scan(ev.tx, ev.s.snapshotSeq(ev.tx))
	rows, err = ev.computeColumns(t, rows)
	if err != nil {
		return nil, nil, err
	}
	return &relation{cols: tableCols(t), rows: rows}, t, nil
}

func tableCols(t *Table) []relCol {
	cols := make([]relCol, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = relCol{name: c.Name, typ: c.Type, nullable: c.Nullable, identity: c.Identity != nil}
	}
	return cols
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// User stored procedures, as CREATE PROCEDURE documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/create-procedure-transact-sql):
// parameters with defaults and OUTPUT, a body that runs in its own
// variable scope, and RETURN's integer status (0 when the body ends
// without one). A call binds arguments by position, then by name; a
// parameter without a default must be given (Msg 201).

// procedure is a stored procedure of a database.
type procedure struct {
	id       int32
	schema   *Schema
	name     string
	params   []*tsql.ProcParam
	types    []sqltypes.Type
	body     []tsql.Statement
	created  time.Time
	modified time.Time
}

func procKey(schema, name string) string { return strings.ToLower(schema + "." + name) }

// proc finds a procedure by (schema-qualified) name. Callers hold e.mu.
func (d *Database) proc(schema, name string) *procedure {
	if schema == "" {
		schema = "dbo"
	}
	return d.procs[procKey(schema, name)]
}

// createProc handles CREATE [OR ALTER] and ALTER PROCEDURE. Callers hold e.mu.
func (s *session) createProc(x *tsql.CreateProcStmt) error {
	d, err := s.dbFor(x.Name)
	if err != nil {
		return err
	}
	sc := d.schema(x.Name.Schema)
	if sc == nil {
		return msg(2760, 16, 1, fmt.Sprintf("The specified schema name \"%s\" either does not exist or you do not have permission to use it.", x.Name.Schema))
	}
	p := &procedure{schema: sc, name: x.Name.Object, params: x.Params, body: x.Body, created: s.e.cfg.Now()}
	p.modified = p.created
	for _, pp := range x.Params {
		t, err := resolveType(pp.Type, false)
		if err != nil {
			return err
		}
		p.types = append(p.types, t)
	}
	if isLocalTemp(x.Name.Object) {
		return s.createTempProc(p, x)
	}
	old := d.proc(sc.Name, x.Name.Object)
	switch {
	case old != nil && !x.Alter && !x.OrAlter:
		return msg(2714, 16, 3, fmt.Sprintf("There is already an object named '%s' in the database.", x.Name.Object))
	case old == nil && x.Alter:
		return errInvalidObject(x.Name.Object)
	case old == nil && (d.table(sc.Name, x.Name.Object) != nil || objectExists(d, x.Name.Object)):
		return msg(2714, 16, 3, fmt.Sprintf("There is already an object named '%s' in the database.", x.Name.Object))
	}
	if old != nil {
		p.id, p.created = old.id, old.created
	} else {
		p.id = d.newObjectID()
	}
	if d.procs == nil {
		d.procs = map[string]*procedure{}
	}
	key := procKey(sc.Name, p.name)
	d.procs[key] = p
	s.onRollback(func() {
		if old != nil {
			d.procs[key] = old
		} else {
			delete(d.procs, key)
		}
	})
	return nil
}

// dropProc handles DROP PROCEDURE. Callers hold e.mu.
func (s *session) dropProc(x *tsql.DropProcStmt) error {
	for _, o := range x.Procs {
		d, err := s.dbFor(o)
		if err != nil {
			return err
		}
		if isLocalTemp(o.Object) {
			if s.tempProcs[strings.ToLower(o.Object)] != nil {
				delete(s.tempProcs, strings.ToLower(o.Object))
				continue
			}
		}
		p := d.proc(o.Schema, o.Object)
		if p == nil {
			if x.IfExists {
				continue
			}
			return msg(3701, 11, 5, fmt.Sprintf("Cannot drop the procedure '%s', because it does not exist or you do not have permission.", displayName(o)))
		}
		key := procKey(p.schema.Name, p.name)
		delete(d.procs, key)
		s.onRollback(func() { d.procs[key] = p })
	}
	return nil
}

// userProc resolves a call to a stored procedure of the current (or
// named) database; nil for system procedures.
func (s *session) userProc(name tsql.ObjectName) *procedure {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if isLocalTemp(name.Object) {
		return s.tempProcs[strings.ToLower(name.Object)]
	}
	d := s.e.db(s.dbName)
	if name.Database != "" {
		d = s.e.db(name.Database)
	}
	if d == nil {
		return nil
	}
	return d.proc(name.Schema, name.Object)
}

// runProc binds args to p's parameters, runs its body in a frame of its
// own and returns the status and the final values of the parameters.
func (s *session) runProc(ctx context.Context, p *procedure, args []procArg, w tds.ResultWriter) (int32, *frame, error) {
	fr := newFrame("")
	given := make([]bool, len(p.params))
	named := false
	for i, a := range args {
		k := i
		if a.name != "" {
			named = true
			k = -1
			for j, pp := range p.params {
				if strings.EqualFold(pp.Name, a.name) {
					k = j
				}
			}
			if k < 0 {
				return 0, nil, msg(8145, 16, 2, fmt.Sprintf("%s is not a parameter for procedure %s.", a.name, p.name))
			}
		} else if named {
			return 0, nil, msg(119, 15, 1, "Must pass parameter number 2 and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.")
		}
		if k >= len(p.params) {
			return 0, nil, msg(8144, 16, 2, fmt.Sprintf("Procedure or function %s has too many arguments specified.", p.name))
		}
		if a.def {
			continue
		}
		v, err := sqltypes.Convert(a.val, a.typ, p.types[k], -1)
		if err != nil {
			return 0, nil, err
		}
		fr.vars[strings.ToLower(p.params[k].Name)] = &variable{typ: p.types[k], val: v}
		given[k] = true
	}
	err := s.locked(func() error {
		ev := s.evaluator(fr, s.tx)
		for k, pp := range p.params {
			if given[k] {
				continue
			}
			if pp.Default == nil {
				return msg(201, 16, 4, fmt.Sprintf("Procedure or function '%s' expects parameter '%s', which was not supplied.", p.name, pp.Name))
			}
			v, t, err := ev.eval(pp.Default, nil)
			if err != nil {
				return err
			}
			if v, err = sqltypes.Convert(v, t, p.types[k], -1); err != nil {
				return err
			}
			fr.vars[strings.ToLower(pp.Name)] = &variable{typ: p.types[k], val: v}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	s.procDepth++
	err = s.runList(ctx, p.body, fr, w)
	s.procDepth--
	var rs *returnSignal
	if errors.As(err, &rs) {
		return rs.status, fr, nil
	}
	if err == errBreak || err == errContinue {
		err = nil
	}
	return 0, fr, err
}

// execUserProc runs EXEC [@rc =] proc args from T-SQL, assigning OUTPUT
// arguments and the status back to the caller's variables.
func (s *session) execUserProc(ctx context.Context, p *procedure, x *tsql.ExecStmt, fr *frame, w tds.ResultWriter) error {
	args := make([]procArg, len(x.Args))
	err := s.locked(func() error {
		ev := s.evaluator(fr, s.tx)
		for i, a := range x.Args {
			if _, ok := a.Value.(*tsql.DefaultExpr); ok {
				args[i] = procArg{name: a.Name, def: true}
				continue
			}
			v, t, err := ev.eval(a.Value, nil)
			if err != nil {
				return err
			}
			args[i] = procArg{name: a.Name, val: v, typ: t, output: a.Output}
		}
		return nil
	})
	if err != nil {
		return err
	}
	pw, _ := w.(tds.ProcWriter)
	if pw != nil {
		pw.EnterProc()
	}
	status, inner, err := s.runProc(ctx, p, args, w)
	if pw != nil {
		if werr := pw.ExitProc(status, err == nil); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	for i, a := range x.Args {
		ref, ok := a.Value.(*tsql.VarRef)
		if !a.Output || !ok {
			continue
		}
		name := a.Name
		if name == "" && i < len(p.params) {
			name = p.params[i].Name
		}
		src := inner.vars[strings.ToLower(name)]
		dst := fr.vars[strings.ToLower(ref.Name)]
		if src == nil || dst == nil {
			continue
		}
		v, err := sqltypes.Convert(src.val, src.typ, dst.typ, -1)
		if err != nil {
			return err
		}
		dst.val = v
	}
	if x.ReturnVar != "" {
		if v := fr.vars[strings.ToLower(x.ReturnVar)]; v != nil {
			v.val, _ = sqltypes.Convert(int64(status), sqltypes.IntType, v.typ, -1)
		}
	}
	return nil
}

// rpcUserProc runs a stored procedure called by RPC: RETURNVALUE tokens
// for the OUTPUT parameters, in call order, then RETURNSTATUS.
func (s *session) rpcUserProc(ctx context.Context, p *procedure, call tds.RPCCall, w tds.ResultWriter) error {
	args := make([]procArg, len(call.Params))
	for i, prm := range call.Params {
		args[i] = procArg{name: prm.Name, val: prm.Value, typ: prm.Type, output: prm.Output}
	}
	status, inner, err := s.runProc(ctx, p, args, w)
	if err != nil {
		return toMessageOr(err)
	}
	for i, prm := range call.Params {
		if !prm.Output {
			continue
		}
		name := prm.Name
		if name == "" && i < len(p.params) {
			name = p.params[i].Name
		}
		if v := inner.vars[strings.ToLower(name)]; v != nil {
			// The value goes back in the type the caller declared the
			// parameter with, as SQL Server converts it.
			typ := prm.Type
			if typ.ID == sqltypes.Unknown {
				typ = v.typ
			}
			val, err := sqltypes.Convert(v.val, v.typ, typ, -1)
			if err != nil {
				return toMessageOr(err)
			}
			if err := w.ReturnValue(tds.Param{Name: prm.Name, Type: typ, Value: val, Output: true}); err != nil {
				return err
			}
		}
	}
	return w.ReturnStatus(status)
}

// returnStmt ends a batch or procedure with RETURN [status].
func (s *session) returnStmt(x *tsql.ReturnStmt, fr *frame) error {
	if x.Value == nil {
		return &returnSignal{}
	}
	var status int64
	err := s.locked(func() error {
		var err error
		status, err = s.evaluator(fr, s.tx).intExpr(x.Value)
		return err
	})
	if err != nil {
		return err
	}
	return &returnSignal{status: int32(status)}
}

// sortedProcs lists the procedures by object id. Callers hold e.mu.
func (d *Database) sortedProcs() []*procedure {
	out := make([]*procedure, 0, len(d.procs))
	for _, p := range d.procs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// createTempProc creates a local temporary procedure (#name): visible to
// its session only and dropped when the session ends. Callers hold e.mu.
func (s *session) createTempProc(p *procedure, x *tsql.CreateProcStmt) error {
	key := strings.ToLower(p.name)
	old := s.tempProcs[key]
	switch {
	case old != nil && !x.Alter && !x.OrAlter:
		return msg(2714, 16, 3, fmt.Sprintf("There is already an object named '%s' in the database.", p.name))
	case old == nil && x.Alter:
		return errInvalidObject(p.name)
	}
	if s.tempProcs == nil {
		s.tempProcs = map[string]*procedure{}
	}
	if tempdb, err := s.tempdb(); err == nil {
		p.id = tempdb.newObjectID()
	}
	s.tempProcs[key] = p
	return nil
}

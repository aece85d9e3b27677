package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// session is one connection's state.
type session struct {
	e     *Engine
	spid  int32
	login tds.LoginRequest

	dbName         string
	tx             *txn
	trancount      int
	iso            tsql.IsolationLevel
	nocount        bool
	xactAbort      bool
	identityInsert *Table       // SET IDENTITY_INSERT ... ON
	tryDepth       int          // nesting of BEGIN TRY blocks
	lockTimeout    int64        // SET LOCK_TIMEOUT in ms; -1 waits forever
	caught         *tds.Message // the error a CATCH block handles

	rowcount  int64
	lastError int32
	identity  any // @@IDENTITY / SCOPE_IDENTITY()
	closed    bool

	options     int64                 // @@OPTIONS (options.go)
	connected   time.Time             // login time, for the DMVs
	connID      sqltypes.GUID         // sys.dm_exec_connections.connection_id
	requests    atomic.Int32          // requests running (ExecBatch, ExecRPC)
	temps       map[string]*Table     // local #temp tables by lower-case name
	globalTemps []*Table              // ##temp tables this session created
	tempProcs   map[string]*procedure // #procedures of this session
	fr          *frame                // the frame of the statement running
	cursors     map[string]*cursor    // GLOBAL cursors by lower-case name
	fetchStatus int64                 // @@FETCH_STATUS
	procDepth   int                   // nesting of user procedures running
	fmtOnly     bool                  // SET FMTONLY ON (fmtonly.go)

	dates        sqltypes.DateSettings // SET LANGUAGE and DATEFORMAT (language.go)
	dateFirstSet int64                 // SET DATEFIRST; 0 means the language's
}

// frame holds one batch's (or sp_executesql's) local variables.
type frame struct {
	vars   map[string]*variable
	tables map[string]*Table // table variables
	// cursors are the LOCAL cursors of the batch or procedure.
	cursors map[string]*cursor
	text    string // the batch text, for DDL history
}

type variable struct {
	typ sqltypes.Type
	val any
}

func newFrame(text string) *frame {
	return &frame{vars: map[string]*variable{}, tables: map[string]*Table{}, text: text}
}

func newSession(e *Engine, spid int32, db string, req tds.LoginRequest) *session {
	return &session{e: e, spid: spid, login: req, dbName: db, iso: tsql.ReadCommitted, lockTimeout: -1, options: defaultOptions, fetchStatus: fetchNotFetch,
		connected: e.cfg.Now(), connID: sqltypes.NewGUID()}
}

var _ tds.Session = (*session)(nil)

// Database is the current database.
func (s *session) Database() string { return s.dbName }

// control-flow signals travel as errors through statement lists.
var (
	errBreak    = errors.New("BREAK")
	errContinue = errors.New("CONTINUE")
)

type returnSignal struct{ status int32 }

func (r *returnSignal) Error() string { return "RETURN" }

// ExecBatch parses and runs a batch.
func (s *session) ExecBatch(ctx context.Context, sql string, w tds.ResultWriter) error {
	s.requests.Add(1)
	defer s.requests.Add(-1)
	stmts, err := s.compile(sql, nil, w)
	if err != nil {
		return err
	}
	err = s.runList(ctx, stmts, newFrame(sql), w)
	var rs *returnSignal
	if errors.As(err, &rs) {
		return nil // RETURN ends the batch
	}
	return err
}

// compile parses a batch and checks its variables as SQL Server does
// before running any of it (Msg 137/134); params are variables already
// declared (sp_executesql parameters). A compile error aborts the whole
// batch: messages that precede it (Msg 105 before its follow-up Msg 102)
// are sent to w and the last one is returned.
func (s *session) compile(sqlText string, params []string, w tds.ResultWriter) ([]tsql.Statement, error) {
	stmts, err := tsql.Parse(sqlText)
	if err == nil {
		err = tsql.CheckVariables(stmts, params...)
	}
	if err == nil {
		return stmts, nil
	}
	var pe *tsql.Error
	if !errors.As(err, &pe) {
		return nil, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax: %v", err))
	}
	for ; pe.Next != nil; pe = pe.Next {
		if werr := w.Message(s.parseMessage(pe)); werr != nil {
			return nil, werr
		}
	}
	return nil, s.parseMessage(pe)
}

func (s *session) parseMessage(pe *tsql.Error) *tds.Message {
	return &tds.Message{Number: pe.Number, Class: pe.Class, State: pe.State, Text: pe.Text, Line: pe.Line, Server: s.e.cfg.ServerName}
}

// runList runs statements in order. A statement-terminating error is sent
// and the next statement runs; a batch-aborting one is returned.
func (s *session) runList(ctx context.Context, stmts []tsql.Statement, fr *frame, w tds.ResultWriter) error {
	for _, st := range stmts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.fmtOnly && !runsUnderFmtOnly(st) {
			if err := s.plainDone(w); err != nil {
				return err
			}
			continue
		}
		tw := &doneTracker{ResultWriter: w}
		err := s.exec(ctx, st, fr, tw)
		if err == nil {
			if ownsDone(st) && !tw.done {
				if err := s.plainDone(w); err != nil {
					return err
				}
			}
			continue
		}
		if err == errBreak || err == errContinue {
			return err
		}
		var rs *returnSignal
		if errors.As(err, &rs) {
			return err
		}
		m := toMessage(err)
		if m == nil {
			return err
		}
		var list messageList
		if errors.As(err, &list) {
			for _, first := range list[:len(list)-1] {
				first.Server, first.Line = s.e.cfg.ServerName, int32(st.Position().Line)
				if err := w.Message(first); err != nil {
					return err
				}
			}
		}
		m.Server = s.e.cfg.ServerName
		if m.Line == 0 {
			m.Line = int32(st.Position().Line)
		}
		s.lastError = m.Number
		if m.Class >= 20 {
			// Fatal: the batch ends, its transaction rolls back and the
			// protocol closes the connection, whatever TRY or XACT_ABORT.
			s.abortTxn(w)
			return m
		}
		if s.tryDepth > 0 && m.Class > 10 {
			return m
		}
		if abortsBatch(m.Number) || (s.xactAbort && m.Class > 10) {
			if s.xactAbort && s.tx != nil {
				s.abortTxn(w)
			}
			return m
		}
		if err := w.Message(m); err != nil {
			return err
		}
		if err := w.Done(0, false); err != nil {
			return err
		}
	}
	return nil
}

// abortTxn rolls back the whole transaction after a dooming error.
func (s *session) abortTxn(w tds.ResultWriter) {
	s.e.mu.Lock()
	tx := s.tx
	if tx != nil {
		s.rollbackTxn(tx)
		s.tx = nil
		s.trancount = 0
	}
	s.e.mu.Unlock()
	if tx != nil && tx.explicit {
		_ = w.TransactionRolledBack(tx.id)
	}
}

// exec runs one statement, including control flow.
func (s *session) exec(ctx context.Context, st tsql.Statement, fr *frame, w tds.ResultWriter) error {
	switch x := st.(type) {
	case *tsql.BlockStmt:
		return s.runList(ctx, x.Body, fr, w)
	case *tsql.TryCatchStmt:
		return s.tryCatch(ctx, x, fr, w)
	case *tsql.IfStmt:
		ok, err := s.evalCond(x.Cond, fr)
		if err != nil {
			return err
		}
		if err := s.plainDone(w); err != nil {
			return err
		}
		// A branch or loop body is a statement list of one: it ends
		// with its own DONE, and its errors are handled as any
		// statement's.
		if ok {
			return s.runList(ctx, []tsql.Statement{x.Then}, fr, w)
		}
		if x.Else != nil {
			return s.runList(ctx, []tsql.Statement{x.Else}, fr, w)
		}
		return nil
	case *tsql.WhileStmt:
		for {
			ok, err := s.evalCond(x.Cond, fr)
			if err != nil {
				return err
			}
			if err := s.plainDone(w); err != nil || !ok {
				return err
			}
			err = s.runList(ctx, []tsql.Statement{x.Body}, fr, w)
			if err == errBreak {
				return nil
			}
			if err != nil && err != errContinue {
				return err
			}
		}
	case *tsql.BreakStmt:
		return errBreak
	case *tsql.ContinueStmt:
		return errContinue
	case *tsql.ReturnStmt:
		return s.returnStmt(x, fr)
	case *tsql.BeginTranStmt:
		return s.beginExplicit(w)
	case *tsql.CommitStmt:
		return s.commitExplicit(w)
	case *tsql.RollbackStmt:
		return s.rollbackExplicit(w, x.Name)
	case *tsql.SetIsolationStmt:
		// Every level is honoured: REPEATABLE READ and SERIALIZABLE readers
		// lock what they read (locks.go); READ UNCOMMITTED reads committed
		// rows only, which that level allows.
		s.e.mu.Lock() // other sessions read it (sys.dm_exec_sessions)
		s.iso = x.Level
		s.e.mu.Unlock()
		return nil
	case *tsql.WaitForStmt:
		return s.waitFor(ctx, x, fr)
	case *tsql.UseStmt:
		return s.use(x.Database, w)
	case *tsql.ExecStmt:
		if strings.EqualFold(x.Proc.Object, "sp_executesql") {
			return s.execSQLStmt(ctx, x, fr, w)
		}
		if x.SQL == nil && x.ProcVar == "" {
			if p := s.userProc(x.Proc); p != nil {
				return s.execUserProc(ctx, p, x, fr, w)
			}
		}
		if x.SQL != nil {
			return s.execDynamic(ctx, x, fr, w)
		}
	}
	return s.execSimple(ctx, st, fr, w)
}

func (s *session) evalCond(e tsql.Expr, fr *frame) (bool, error) {
	var ok bool
	err := s.locked(func() error {
		var err error
		ok, err = s.evaluator(fr, s.tx).cond(e, nil)
		return err
	})
	return ok, err
}

// locked runs f under the engine lock, turning a panic into Msg 8630.
func (s *session) locked(f func() error) (err error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			s.e.log.Error("mssqlemu: internal error", "panic", r, "stack", string(debug.Stack()))
			err = msg(8630, 16, 1, fmt.Sprintf("Internal Query Processor Error: The query processor encountered an unexpected error during execution (%v).", r))
		}
	}()
	return f()
}

// ExecRPC runs sp_executesql or a procedure by name.
func (s *session) ExecRPC(ctx context.Context, call tds.RPCCall, w tds.ResultWriter) error {
	s.requests.Add(1)
	defer s.requests.Add(-1)
	name := call.ProcName
	if call.ProcID == 10 {
		name = "sp_executesql"
	}
	if call.ProcID != 0 && call.ProcID != 10 {
		return msg(2812, 16, 62, fmt.Sprintf("Could not find stored procedure with id %d.", call.ProcID))
	}
	if strings.EqualFold(strings.TrimPrefix(strings.ToLower(name), "sys."), "sp_executesql") {
		if len(call.Params) == 0 {
			return msg(201, 16, 4, "Procedure or function 'sp_executesql' expects parameter '@statement', which was not supplied.")
		}
		sqlText, _ := call.Params[0].Value.(string)
		defs := ""
		if len(call.Params) > 1 {
			defs, _ = call.Params[1].Value.(string)
		}
		var rest []tds.Param
		if len(call.Params) > 2 {
			rest = call.Params[2:]
		}
		fr, err := s.paramFrame(sqlText, defs, rest)
		if err != nil {
			return err
		}
		if err := s.runText(ctx, sqlText, fr, w); err != nil {
			return err
		}
		for _, p := range rest {
			if p.Output {
				if v := fr.vars[strings.ToLower(p.Name)]; v != nil {
					if err := w.ReturnValue(tds.Param{Name: p.Name, Type: v.typ, Value: v.val, Output: true}); err != nil {
						return err
					}
				}
			}
		}
		return w.ReturnStatus(0)
	}
	obj := parseProcName(name)
	if p := s.userProc(obj); p != nil {
		return s.rpcUserProc(ctx, p, call, w)
	}
	args := make([]procArg, len(call.Params))
	for i, p := range call.Params {
		args[i] = procArg{name: p.Name, val: p.Value, typ: p.Type, output: p.Output}
	}
	buf := &bufferedWriter{}
	var status int32
	err := s.locked(func() error {
		var err error
		status, err = s.callProc(ctx, obj, args, newFrame(""), buf)
		return err
	})
	if rerr := buf.replay(w); rerr != nil {
		return rerr
	}
	if err != nil {
		return toMessageOr(err)
	}
	return w.ReturnStatus(status)
}

func parseProcName(name string) tsql.ObjectName {
	parts := strings.Split(strings.NewReplacer("[", "", "]", "").Replace(name), ".")
	var o tsql.ObjectName
	o.Object = parts[len(parts)-1]
	if len(parts) > 1 {
		o.Schema = parts[len(parts)-2]
	}
	if len(parts) > 2 {
		o.Database = parts[len(parts)-3]
	}
	return o
}

// runText parses and runs SQL in the given frame (sp_executesql, EXEC('...')).
func (s *session) runText(ctx context.Context, sqlText string, fr *frame, w tds.ResultWriter) error {
	params := make([]string, 0, len(fr.vars))
	for name := range fr.vars {
		params = append(params, name)
	}
	stmts, err := s.compile(sqlText, params, w)
	if err != nil {
		return err
	}
	fr.text = sqlText
	err = s.runList(ctx, stmts, fr, w)
	var rs *returnSignal
	if errors.As(err, &rs) {
		return nil
	}
	return err
}

// Begin starts a transaction at the given isolation level (TDS request).
func (s *session) Begin(ctx context.Context, level tds.IsolationLevel, w tds.ResultWriter) error {
	if level != tds.IsolationDefault {
		s.e.mu.Lock()
		s.iso = tsql.IsolationLevel(level)
		s.e.mu.Unlock()
	}
	return toMessageOr(s.beginExplicit(w))
}

// Commit commits the transaction (TDS request).
func (s *session) Commit(ctx context.Context, w tds.ResultWriter) error {
	return toMessageOr(s.commitExplicit(w))
}

// Rollback rolls the transaction back (TDS request).
func (s *session) Rollback(ctx context.Context, w tds.ResultWriter) error {
	return toMessageOr(s.rollbackExplicit(w, ""))
}

// Close rolls back any open transaction.
func (s *session) Close() error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.tx != nil {
		s.rollbackTxn(s.tx)
		s.tx = nil
	}
	s.dropTempTables()
	if s.e.sessions[s.spid] == s {
		delete(s.e.sessions, s.spid)
	}
	s.closed = true
	return nil
}

func (s *session) use(name string, w tds.ResultWriter) error {
	s.e.mu.Lock()
	d := s.e.db(name)
	s.e.mu.Unlock()
	if d == nil {
		return msg(911, 16, 1, fmt.Sprintf("Database '%s' does not exist. Make sure that the name is entered correctly.", name))
	}
	s.e.mu.Lock()
	old := s.dbName
	s.dbName = d.Name
	s.e.mu.Unlock()
	if err := w.DatabaseChanged(old, d.Name); err != nil {
		return err
	}
	return w.Message(&tds.Message{Number: 5701, Class: 0, State: 2, Text: fmt.Sprintf("Changed database context to '%s'.", d.Name), Server: s.e.cfg.ServerName})
}

// safeDispatch runs dispatch and turns a panic (an emulator bug on some
// input) into Msg 8630 so that the engine lock is always released and the
// session survives.
func (s *session) safeDispatch(ctx context.Context, st tsql.Statement, fr *frame, w tds.ResultWriter, tx *txn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.e.log.Error("mssqlemu: internal error", "statement", fmt.Sprintf("%T", st), "panic", r, "stack", string(debug.Stack()))
			err = msg(8630, 16, 1, fmt.Sprintf("Internal Query Processor Error: The query processor encountered an unexpected error during execution (%v).", r))
		}
	}()
	prev := s.fr
	s.fr = fr
	defer func() { s.fr = prev }()
	return s.dispatch(ctx, st, fr, w, tx)
}

// execDynamic runs EXEC ('...' + @x): the text runs as its own batch scope.
func (s *session) execDynamic(ctx context.Context, x *tsql.ExecStmt, fr *frame, w tds.ResultWriter) error {
	var sb strings.Builder
	err := s.locked(func() error {
		ev := s.evaluator(fr, s.tx)
		for _, part := range x.SQL {
			v, t, err := ev.eval(part, nil)
			if err != nil {
				return err
			}
			str, err := sqltypes.ToString(v, t, -1)
			if err != nil {
				return err
			}
			sb.WriteString(str)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.runText(ctx, sb.String(), newFrame(""), w)
}

// doneTracker notes whether a statement ended itself with a DONE (a
// result set, a row count, PRINT) or a DONEPROC.
type doneTracker struct {
	tds.ResultWriter
	done bool
}

func (d *doneTracker) Done(count int64, hasCount bool) error {
	d.done = true
	return d.ResultWriter.Done(count, hasCount)
}

// EnterProc and ExitProc pass a procedure's bounds on when the writer
// marks them.
func (d *doneTracker) EnterProc() {
	if pw, ok := d.ResultWriter.(tds.ProcWriter); ok {
		pw.EnterProc()
	}
}

func (d *doneTracker) ExitProc(status int32, ok bool) error {
	d.done = true
	if pw, isPW := d.ResultWriter.(tds.ProcWriter); isPW {
		return pw.ExitProc(status, ok)
	}
	return nil
}

// ownsDone reports whether a statement ends with a DONE of its own when it
// sent none: "A DONE token is returned for each SQL statement in the SQL
// batch except variable declarations", and DONEINPROC "for each executed
// SQL statement within a stored procedure" (MS-TDS 2.2.7.6, 2.2.7.7).
// Blocks are not statements of their own; IF and WHILE send one per
// evaluation of their condition (exec).
func ownsDone(st tsql.Statement) bool {
	switch st.(type) {
	case *tsql.DeclareStmt, *tsql.BlockStmt, *tsql.TryCatchStmt, *tsql.IfStmt, *tsql.WhileStmt:
		return false
	}
	return true
}

// plainDone ends a statement without a result set or row count. Inside a
// stored procedure under SET NOCOUNT ON no token is sent: "SET NOCOUNT ON
// prevents the sending of DONEINPROC messages to the client for each
// statement in a stored procedure"
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/set-nocount-transact-sql).
func (s *session) plainDone(w tds.ResultWriter) error {
	if s.nocount && s.procDepth > 0 {
		return nil
	}
	return w.Done(0, false)
}

// countDone ends a statement that changed count rows: with the count
// unless NOCOUNT is on, and as plainDone then.
func (s *session) countDone(w tds.ResultWriter, count int64) error {
	if s.nocount {
		return s.plainDone(w)
	}
	return w.Done(count, true)
}

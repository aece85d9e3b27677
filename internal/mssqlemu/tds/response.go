package tds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// pendingDone is a DONE-family token held back until it is known whether
// more results follow (DONE_MORE) or it ends the response.
type pendingDone struct {
	tok    byte
	status uint16
	cmd    uint16
	count  uint64
}

// response turns ResultWriter calls into the tokens of one response
// message, streamed to the client in packets as they fill.
type response struct {
	c   *conn
	ctx context.Context
	buf wbuf
	err error // write error: the connection is unusable

	inProc          bool     // statement DONEs are DONEINPROC (RPC)
	procDepth       int      // procedures entered by EXEC in a batch
	call            *RPCCall // the RPC call running, for RETURNVALUE ordinals
	cols            []Column
	stmtHasCols     bool
	stmtErr         bool
	pending         *pendingDone
	sawReturnStatus bool
	execErr         error // the error that aborted the batch or call
	// fatal is set once an error of severity 20 or more was sent: the
	// connection closes after the response.
	fatal bool
}

var (
	_ ResultWriter = (*response)(nil)
	_ ProcWriter   = (*response)(nil)
)

func newResponse(c *conn, ctx context.Context) *response {
	return &response{c: c, ctx: ctx}
}

func (r *response) begin() {
	r.c.pw.begin(packetReply)
}

// token writes a token after releasing any held DONE with DONE_MORE.
func (r *response) token(f func(w *wbuf)) {
	r.flushPending(true)
	f(&r.buf)
	r.spill()
}

// spill passes full packets on to the connection.
func (r *response) spill() {
	if len(r.buf.b) < r.c.pw.size || r.err != nil {
		return
	}
	if _, err := r.c.pw.Write(r.buf.b); err != nil {
		r.err = err
	}
	r.buf.b = r.buf.b[:0]
}

func (r *response) flushPending(more bool) {
	p := r.pending
	if p == nil {
		return
	}
	r.pending = nil
	status := p.status
	if more {
		status |= doneMore
	}
	writeDone(&r.buf, p.tok, status, p.cmd, p.count)
}

func (r *response) setPending(tok byte, status, cmd uint16, count uint64) {
	r.flushPending(true)
	r.pending = &pendingDone{tok: tok, status: status, cmd: cmd, count: count}
}

// check refuses further output after an attention or a broken connection.
func (r *response) check() error {
	if r.err != nil {
		return r.err
	}
	return r.ctx.Err()
}

// fail records the error that ended the batch or call and sends it.
func (r *response) fail(err error) {
	if err == nil || r.execErr != nil {
		return
	}
	r.execErr = err
	if isCancel(r.ctx, err) || errors.Is(err, r.err) && r.err != nil {
		return
	}
	var m *Message
	if !errors.As(err, &m) {
		r.c.log.Warn("tds: backend error", "err", err)
		m = &Message{Number: 50000, State: 1, Class: 16, Text: fmt.Sprintf("Internal error in the SQL Server emulator: %v", err)}
	}
	r.fatal = r.fatal || m.Class >= fatalSeverity
	r.token(func(w *wbuf) { writeMessage(w, m, r.c.srv.cfg.ServerName) })
	status := doneError
	if m.Class >= fatalSeverity {
		// DONE_SRVERROR: the error is severe enough that the result set,
		// if any, must be discarded (MS-TDS 2.2.7.6).
		status = doneSrvError
	}
	if !r.inProc {
		r.setPending(tokDone, status, cmdNone, 0)
	}
}

// end closes the response: the held DONE becomes final, or after an
// attention a DONE with DONE_ATTN ends it.
func (r *response) end(attn bool) error {
	if attn {
		r.flushPending(true)
		writeDone(&r.buf, tokDone, doneAttn, cmdNone, 0)
	} else if r.pending != nil {
		r.flushPending(false)
	} else {
		writeDone(&r.buf, tokDone, doneFinal, cmdNone, 0)
	}
	if r.err != nil {
		return r.err
	}
	if _, err := r.c.pw.Write(r.buf.b); err != nil {
		return err
	}
	r.buf.b = r.buf.b[:0]
	return r.c.pw.end()
}

// Columns starts a result set.
func (r *response) Columns(cols []Column) error {
	if err := r.check(); err != nil {
		return err
	}
	cols = append(cols[:0:0], cols...)
	for i := range cols {
		cols[i].Type = r.withServerCollation(cols[i].Type)
	}
	var w wbuf
	if err := writeColMetadata(&w, cols); err != nil {
		return err
	}
	r.token(func(b *wbuf) { b.raw(w.b) })
	r.cols = cols
	r.stmtHasCols = true
	return r.err
}

// withServerCollation gives character types without a collation the
// server's, as SQL Server does for expressions.
func (r *response) withServerCollation(t sqltypes.Type) sqltypes.Type {
	if isZeroCollation(t.Collation) && hasCollation(t.ID) {
		t.Collation = r.c.srv.cfg.Collation
	}
	return t
}

// Row sends one row of the current result set.
func (r *response) Row(values []any) error {
	if err := r.check(); err != nil {
		return err
	}
	if r.cols == nil {
		return errors.New("tds: Row called before Columns")
	}
	var w wbuf
	if err := writeRow(&w, r.cols, values); err != nil {
		return err
	}
	r.token(func(b *wbuf) { b.raw(w.b) })
	return r.err
}

// Done ends a statement.
func (r *response) Done(count int64, hasCount bool) error {
	if err := r.check(); err != nil {
		return err
	}
	var status uint16
	if hasCount {
		status |= doneCount
	}
	if r.stmtErr {
		status |= doneError
	}
	cmd := cmdNone
	if r.stmtHasCols {
		cmd = cmdSelect
	}
	tok := tokDone
	if r.inProc || r.procDepth > 0 {
		tok = tokDoneInProc
	}
	if count < 0 {
		count = 0
	}
	r.setPending(tok, status, cmd, uint64(count))
	r.cols, r.stmtHasCols, r.stmtErr = nil, false, false
	return r.err
}

// EnterProc starts a stored procedure run by EXEC.
func (r *response) EnterProc() { r.procDepth++ }

// ExitProc ends it: RETURNSTATUS and DONEPROC when it ran to its end.
func (r *response) ExitProc(status int32, ok bool) error {
	r.procDepth--
	if !ok {
		return r.err
	}
	if err := r.check(); err != nil {
		return err
	}
	r.token(func(w *wbuf) { writeReturnStatus(w, status) })
	r.setPending(tokDoneProc, doneFinal, cmdNone, 0)
	return r.err
}

// Message sends INFO or ERROR.
func (r *response) Message(m *Message) error {
	if err := r.check(); err != nil {
		return err
	}
	if m.Class > 10 {
		r.stmtErr = true
	}
	r.fatal = r.fatal || m.Class >= fatalSeverity
	r.token(func(w *wbuf) { writeMessage(w, m, r.c.srv.cfg.ServerName) })
	return r.err
}

// ReturnStatus sends RETURNSTATUS.
func (r *response) ReturnStatus(status int32) error {
	if err := r.check(); err != nil {
		return err
	}
	r.sawReturnStatus = true
	r.token(func(w *wbuf) { writeReturnStatus(w, status) })
	return r.err
}

// ReturnValue sends RETURNVALUE; its ordinal is the parameter's position
// in the call.
func (r *response) ReturnValue(p Param) error {
	if err := r.check(); err != nil {
		return err
	}
	var ordinal uint16
	if r.call != nil {
		for i, cp := range r.call.Params {
			if strings.EqualFold(cp.Name, p.Name) {
				ordinal = uint16(i)
				break
			}
		}
	}
	p.Type = r.withServerCollation(p.Type)
	var w wbuf
	if err := writeReturnValue(&w, ordinal, p); err != nil {
		return err
	}
	r.token(func(b *wbuf) { b.raw(w.b) })
	return r.err
}

// DatabaseChanged sends ENVCHANGE 1. The INFO 5701 that SQL Server sends
// with it is the backend's to send.
func (r *response) DatabaseChanged(oldName, newName string) error {
	if err := r.check(); err != nil {
		return err
	}
	r.token(func(w *wbuf) { writeEnvChangeString(w, envDatabase, newName, oldName) })
	return r.err
}

// TransactionBegan sends ENVCHANGE 8.
func (r *response) TransactionBegan(descriptor uint64) error {
	return r.envTran(envBeginTran, descriptorBytes(descriptor), nil)
}

// TransactionCommitted sends ENVCHANGE 9.
func (r *response) TransactionCommitted(descriptor uint64) error {
	return r.envTran(envCommitTran, nil, descriptorBytes(descriptor))
}

// TransactionRolledBack sends ENVCHANGE 10.
func (r *response) TransactionRolledBack(descriptor uint64) error {
	return r.envTran(envRollbackTr, nil, descriptorBytes(descriptor))
}

func (r *response) envTran(typ byte, newValue, oldValue []byte) error {
	if r.err != nil {
		return r.err
	}
	r.token(func(w *wbuf) { writeEnvChangeBytes(w, typ, newValue, oldValue) })
	return r.err
}

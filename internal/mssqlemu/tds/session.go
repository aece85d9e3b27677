package tds

import (
	"context"
	"errors"
	"fmt"
)

// inbound is one thing the reader goroutine hands to the request loop.
type inbound struct {
	msg       message
	attention bool // an attention that arrived while no request ran
	err       error
}

// run serves requests after login. A reader goroutine reads client messages
// so that an attention can cancel the running request; requests themselves
// run one at a time on this goroutine, which alone writes to the client.
func (c *conn) run(ctx context.Context, sess Session) error {
	ctx, cancel := context.WithCancel(ctx)
	in := make(chan inbound, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.readLoop(ctx, in)
	}()
	defer func() {
		cancel()
		c.close()
		<-readerDone
	}()
	for {
		var m inbound
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m = <-in:
		}
		if m.err != nil {
			return m.err
		}
		if m.attention {
			var w wbuf
			writeDone(&w, tokDone, doneAttn, cmdNone, 0)
			if err := c.send(packetReply, w.b); err != nil {
				return err
			}
			continue
		}
		if err := c.handle(ctx, sess, m.msg); err != nil {
			return err
		}
	}
}

// readLoop reads client messages. An attention cancels the running request
// or, when none runs, is queued to be answered on its own.
func (c *conn) readLoop(ctx context.Context, in chan<- inbound) {
	for {
		m, err := readMessage(c.r, c.r, c.srv.cfg.MaxMessageSize)
		var next inbound
		switch {
		case err != nil:
			// The client is gone: end the running request, as SQL Server does.
			c.mu.Lock()
			if c.cancelReq != nil {
				c.cancelReq()
			}
			c.mu.Unlock()
			next = inbound{err: err}
		case m.typ == packetAttention:
			c.mu.Lock()
			running := c.cancelReq != nil
			if running {
				c.attn = true
				c.cancelReq()
			}
			c.mu.Unlock()
			if running {
				continue
			}
			next = inbound{attention: true}
		default:
			next = inbound{msg: m}
		}
		select {
		case in <- next:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// beginRequest makes the request cancellable by attention.
func (c *conn) beginRequest(ctx context.Context) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.cancelReq = cancel
	c.attn = false
	c.mu.Unlock()
	return rctx, cancel
}

// endRequest reports whether an attention arrived during the request; one
// arriving later is answered separately.
func (c *conn) endRequest() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	attn := c.attn
	c.attn = false
	c.cancelReq = nil
	return attn
}

// handle runs one request and sends its complete response.
func (c *conn) handle(ctx context.Context, sess Session, m message) error {
	rctx, cancel := c.beginRequest(ctx)
	defer cancel()
	r := newResponse(c, rctx)
	r.begin()
	if m.status&(statusResetConn|statusResetConnNoTran) != 0 {
		if rs, ok := sess.(SessionResetter); ok {
			if err := rs.ResetSession(rctx, m.status&statusResetConnNoTran != 0, r); err != nil {
				r.fail(err)
			}
		}
		if r.execErr == nil {
			r.token(func(w *wbuf) { writeEnvChangeBytes(w, envResetAck, nil, nil) })
		}
	}
	if r.execErr == nil {
		switch m.typ {
		case packetSQLBatch:
			c.batch(rctx, sess, m.data, r)
		case packetRPC:
			c.rpc(rctx, sess, m.data, r)
		case packetTransMgr:
			c.transMgr(rctx, sess, m.data, r)
		default:
			r.fail(&Message{Number: 8009, State: 1, Class: 16,
				Text: fmt.Sprintf("The incoming tabular data stream (TDS) packet type %d is not supported by this server.", m.typ)})
		}
	}
	attn := c.endRequest()
	if err := r.end(attn); err != nil {
		return err
	}
	if r.fatal {
		return errFatal
	}
	return nil
}

// fatalSeverity is where errors become fatal: "Severity levels from 20
// through 25 are considered fatal. If a fatal severity level is
// encountered, the client connection is terminated after receiving the
// message" (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/raiserror-transact-sql).
const fatalSeverity = 20

// errFatal ends a connection after a fatal error was sent.
var errFatal = errors.New("tds: a fatal error (severity 20 or more) ends the connection")

func (c *conn) batch(ctx context.Context, sess Session, data []byte, r *response) {
	rb := &rbuf{b: data}
	if _, err := readAllHeaders(rb); err != nil {
		r.fail(protocolError(err))
		return
	}
	sql := decodeUTF16(rb.bytes(rb.remaining()))
	r.fail(sess.ExecBatch(ctx, sql, r))
}

func (c *conn) rpc(ctx context.Context, sess Session, data []byte, r *response) {
	calls, err := parseRPC(data, c.srv.cfg.Collation)
	if err != nil {
		r.fail(protocolError(err))
		return
	}
	r.inProc = true
	for i := range calls {
		r.call = &calls[i]
		r.sawReturnStatus = false
		err := sess.ExecRPC(ctx, calls[i], r)
		r.fail(err)
		if ctx.Err() != nil {
			return
		}
		if err == nil && !r.sawReturnStatus {
			r.token(func(w *wbuf) { writeReturnStatus(w, 0) })
		}
		status := doneFinal
		if r.execErr != nil {
			status |= doneError
		}
		r.setPending(tokDoneProc, status, cmdNone, 0)
		r.execErr = nil
	}
}

func (c *conn) transMgr(ctx context.Context, sess Session, data []byte, r *response) {
	q, err := parseTransMgr(data)
	if err != nil {
		r.fail(protocolError(err))
		return
	}
	switch q.Type {
	case tmBegin:
		err = sess.Begin(ctx, q.Level, r)
	case tmCommit:
		err = sess.Commit(ctx, r)
		if err == nil && q.BeginNew {
			err = sess.Begin(ctx, q.Level, r)
		}
	case tmRollback:
		err = sess.Rollback(ctx, r)
		if err == nil && q.BeginNew {
			err = sess.Begin(ctx, q.Level, r)
		}
	default:
		err = &Message{Number: 8009, State: 1, Class: 16,
			Text: fmt.Sprintf("Transaction manager request type %d is not supported by this server.", q.Type)}
	}
	r.fail(err)
}

// protocolError is the message SQL Server sends for a malformed request.
func protocolError(err error) *Message {
	return &Message{Number: 8009, State: 1, Class: 16,
		Text: fmt.Sprintf("The incoming tabular data stream (TDS) protocol stream is incorrect: %v.", err)}
}

// isCancel reports whether err is the request's own cancellation.
func isCancel(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

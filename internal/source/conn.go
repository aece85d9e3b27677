package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// Open opens the source database for the producer. With readTimeout > 0,
// a connection whose server has not answered a read or accepted a write
// within readTimeout fails: a server that hangs, or a network path that
// dies without a reset while the peer's TCP stack still acknowledges,
// would otherwise hold a query forever, since go-mssqldb has no read
// timeout of its own (it expects a context deadline per query) and TCP
// keepalives only detect a peer that stopped answering at all. The
// connection is then discarded and the producer's retry policy goes on
// with a new one. Idle pooled connections do not read, so they never time
// out.
func Open(dsn string, readTimeout time.Duration) (*sql.DB, error) {
	c, err := mssql.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	if readTimeout > 0 {
		keepAlive := 30 * time.Second // go-mssqldb's default
		if p, err := msdsn.Parse(dsn); err == nil && p.KeepAlive > 0 {
			keepAlive = p.KeepAlive
		}
		c.Dialer = deadlineDialer{d: &net.Dialer{KeepAlive: keepAlive}, timeout: readTimeout}
	}
	return sql.OpenDB(c), nil
}

type deadlineDialer struct {
	d       *net.Dialer
	timeout time.Duration
}

func (d deadlineDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c, timeout: d.timeout}, nil
}

// deadlineConn sets a deadline before each read and write.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	return n, c.explain(err)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(b)
	return n, c.explain(err)
}

// explain says which setting ended a read or write that timed out; the
// error stays a net.Error, which the retry policy treats as transient.
func (c *deadlineConn) explain(err error) error {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return &timeoutError{err: err, timeout: c.timeout}
	}
	return err
}

type timeoutError struct {
	err     error
	timeout time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("SQL Server did not answer within SOURCE_READ_TIMEOUT (%s): %v", e.timeout, e.err)
}
func (e *timeoutError) Unwrap() error   { return e.err }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
)

// sqlError is what go-mssqldb's mssql.Error offers; matching the method keeps
// this package free of the driver.
type sqlError interface {
	SQLErrorNumber() int32
}

// SQL Server error numbers that a later attempt may not meet.
var transientSQL = map[int32]string{
	-2:    "timeout",
	233:   "connection closed by the server",
	1204:  "lock resources exhausted",
	1205:  "deadlock victim",
	1222:  "lock request timeout",
	3960:  "snapshot isolation update conflict",
	3961:  "snapshot isolation read of an object changed by DDL (ALTER TABLE during a snapshot: a new snapshot transaction resumes)",
	4060:  "cannot open database (may be recovering)",
	10053: "connection aborted",
	10054: "connection reset",
	10060: "connection timed out",
	10928: "resource limit reached",
	10929: "resource limit reached",
	40197: "service error, retry",
	40501: "service busy",
	40613: "database unavailable",
	49918: "not enough resources",
}

// IsTransient reports whether err may go away on its own, so that the
// operation is worth retrying: network failures (refused, reset, timeouts,
// closed connections), database/sql's bad-connection errors, and SQL Server
// errors such as deadlock victim (1205) and snapshot update conflict (3960).
// Errors that need a person to act, such as login failed (18456), invalid
// object name (208) or a syntax error, are permanent, as are a context's
// cancellation or deadline (not a client's timeout) and any error not
// recognised.
func IsTransient(err error) bool {
	// A client's own timeout (an HTTP client's Timeout, a dial or read
	// deadline) is a server slow to answer or away: worth retrying, though
	// it may also match context.DeadlineExceeded (net/http's does). A
	// caller whose own context ended stops before asking (Policy.Do).
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && any(te) != any(context.DeadlineExceeded) && te.Timeout() && !isTLSRefusal(err) {
		return true
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var p permanent
	if isTLSRefusal(err) || errors.As(err, &p) && p.Permanent() {
		return false
	}
	var se sqlError
	if errors.As(err, &se) {
		_, ok := transientSQL[se.SQLErrorNumber()]
		return ok
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts and every other network-level failure
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// permanent is an error that says itself that no retry can help, such as
// refused credentials (secure.ErrAuth).
type permanent interface{ Permanent() bool }

// isTLSRefusal reports whether err is a TLS handshake that failed on a
// certificate or on the other side's refusal: a setting must change, so it
// is permanent even when it reaches us wrapped in a network error.
func isTLSRefusal(err error) bool {
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ae tls.AlertError
	var rh tls.RecordHeaderError
	return errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ae) || errors.As(err, &rh)
}

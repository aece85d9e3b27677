package apply

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsTransient reports whether err is a target error that a later attempt of
// the same batch may not meet: a deadlock or serialization failure, a lost
// or refused connection, a server shutting down or out of connections.
// Constraint violations, missing privileges and syntax errors are not.
func IsTransient(err error) bool {
	if errors.Is(err, ErrColumnTypesChanged) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return true
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pe.Code == "53300": // too many connections
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}

// ErrValue is wrapped by the errors about a value the target cannot store
// (a U+0000 character in a string, a value out of the target type's range):
// the record that holds it can never be applied as it is.
var ErrValue = errors.New("a value the target cannot store")

// IsPoison reports whether err is about the data of the records applied, so
// that the same records will fail again however often they are retried: a
// value the applier cannot convert (ErrValue), or a PostgreSQL data
// exception (SQLSTATE class 22: invalid text representation, numeric out of
// range, invalid XML, …). Lost connections, missing privileges and stale
// bookkeeping are not.
func IsPoison(err error) bool {
	if errors.Is(err, ErrValue) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

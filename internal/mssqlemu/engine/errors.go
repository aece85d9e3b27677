package engine

import (
	"errors"
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

func msg(number int32, class, state uint8, text string) *tds.Message {
	return &tds.Message{Number: number, Class: class, State: state, Text: text}
}

// toMessage converts engine errors to SQL Server messages; nil for errors
// that are not SQL errors (context cancellation, I/O).
func toMessage(err error) *tds.Message {
	var m *tds.Message
	if errors.As(err, &m) {
		return m
	}
	var l messageList
	if errors.As(err, &l) {
		return l[len(l)-1]
	}
	var se *sqltypes.Error
	if errors.As(err, &se) {
		return &tds.Message{Number: se.Number, Class: 16, State: se.State, Text: se.Text}
	}
	return nil
}

// messageList is a statement error SQL Server reports as several
// messages; the last one is the error a client sees.
type messageList []*tds.Message

func (l messageList) Error() string { return l[len(l)-1].Text }

// constraintErr is a constraint definition error followed by Msg 1750.
func constraintErr(m *tds.Message) error {
	return messageList{m, msg(1750, 16, 0, "Could not create constraint or index. See previous errors.")}
}

// toMessageOr returns err as a *tds.Message when it is one, else err.
func toMessageOr(err error) error {
	if err == nil {
		return nil
	}
	if m := toMessage(err); m != nil {
		return m
	}
	return err
}

// abortsBatch lists errors that end the whole batch with XACT_ABORT OFF, as
// SQL Server does: conversion failures, name resolution at statement
// compile time, snapshot conflicts.
func abortsBatch(n int32) bool {
	switch n {
	case 245, 241, 242, 8114, 8169, 529, 206, 208, 207, 3960, 3952, 1205, 4104, 2812, 201, 8144, 137, 134:
		return true
	}
	return false
}

// dooms lists errors that roll back the whole transaction.
func dooms(n int32) bool { return n == 3960 || n == 1205 }

func errNoDatabase(name string) *tds.Message {
	return msg(911, 16, 1, fmt.Sprintf("Database '%s' does not exist. Make sure that the name is entered correctly.", name))
}

func errInvalidObject(name string) *tds.Message {
	return msg(208, 16, 1, fmt.Sprintf("Invalid object name '%s'.", name))
}

func errInvalidColumn(name string) *tds.Message {
	return msg(207, 16, 1, fmt.Sprintf("Invalid column name '%s'.", name))
}

func errNotSupported(what string) *tds.Message {
	return msg(40517, 16, 1, fmt.Sprintf("Keyword or statement option '%s' is not supported in this version of SQL Server.", what))
}

// bufferedWriter records results produced while e.mu is held so that they
// are sent to the client after it is released.
type bufferedWriter struct {
	calls []func(tds.ResultWriter) error
}

func (b *bufferedWriter) add(f func(tds.ResultWriter) error) error {
	b.calls = append(b.calls, f)
	return nil
}

func (b *bufferedWriter) replay(w tds.ResultWriter) error {
	for _, f := range b.calls {
		if err := f(w); err != nil {
			return err
		}
	}
	b.calls = nil
	return nil
}

func (b *bufferedWriter) Columns(cols []tds.Column) error {
	return b.add(func(w tds.ResultWriter) error { return w.Columns(cols) })
}
func (b *bufferedWriter) Row(values []any) error {
	return b.add(func(w tds.ResultWriter) error { return w.Row(values) })
}
func (b *bufferedWriter) Done(count int64, hasCount bool) error {
	return b.add(func(w tds.ResultWriter) error { return w.Done(count, hasCount) })
}
func (b *bufferedWriter) Message(m *tds.Message) error {
	return b.add(func(w tds.ResultWriter) error { return w.Message(m) })
}
func (b *bufferedWriter) ReturnStatus(status int32) error {
	return b.add(func(w tds.ResultWriter) error { return w.ReturnStatus(status) })
}
func (b *bufferedWriter) ReturnValue(p tds.Param) error {
	return b.add(func(w tds.ResultWriter) error { return w.ReturnValue(p) })
}
func (b *bufferedWriter) DatabaseChanged(o, n string) error {
	return b.add(func(w tds.ResultWriter) error { return w.DatabaseChanged(o, n) })
}
func (b *bufferedWriter) TransactionBegan(d uint64) error {
	return b.add(func(w tds.ResultWriter) error { return w.TransactionBegan(d) })
}
func (b *bufferedWriter) TransactionCommitted(d uint64) error {
	return b.add(func(w tds.ResultWriter) error { return w.TransactionCommitted(d) })
}
func (b *bufferedWriter) TransactionRolledBack(d uint64) error {
	return b.add(func(w tds.ResultWriter) error { return w.TransactionRolledBack(d) })
}

// ResultSet is one result set a Recorder captured.
type ResultSet struct {
	Columns []tds.Column
	Rows    [][]any
}

// Recorder is a ResultWriter that keeps everything in memory: for tests and
// for running seed SQL from Go.
type Recorder struct {
	Sets     []ResultSet
	Messages []*tds.Message
	Counts   []int64 // one per Done with a count
	Status   []int32
	Outputs  []tds.Param
	open     bool
}

var _ tds.ResultWriter = (*Recorder)(nil)

// Columns starts a result set.
func (r *Recorder) Columns(cols []tds.Column) error {
	r.Sets = append(r.Sets, ResultSet{Columns: cols})
	r.open = true
	return nil
}

// Row appends a row to the current result set.
func (r *Recorder) Row(values []any) error {
	if !r.open {
		return errors.New("recorder: row without columns")
	}
	s := &r.Sets[len(r.Sets)-1]
	s.Rows = append(s.Rows, values)
	return nil
}

// Done ends a statement.
func (r *Recorder) Done(count int64, hasCount bool) error {
	r.open = false
	if hasCount {
		r.Counts = append(r.Counts, count)
	}
	return nil
}

// Message records an error or information message.
func (r *Recorder) Message(m *tds.Message) error { r.Messages = append(r.Messages, m); return nil }

// ReturnStatus records a procedure's return status.
func (r *Recorder) ReturnStatus(s int32) error { r.Status = append(r.Status, s); return nil }

// ReturnValue records an output parameter.
func (r *Recorder) ReturnValue(p tds.Param) error { r.Outputs = append(r.Outputs, p); return nil }

// DatabaseChanged is ignored.
func (r *Recorder) DatabaseChanged(string, string) error { return nil }

// TransactionBegan is ignored.
func (r *Recorder) TransactionBegan(uint64) error { return nil }

// TransactionCommitted is ignored.
func (r *Recorder) TransactionCommitted(uint64) error { return nil }

// TransactionRolledBack is ignored.
func (r *Recorder) TransactionRolledBack(uint64) error { return nil }

// Errors returns the messages of class above 10.
func (r *Recorder) Errors() []*tds.Message {
	var out []*tds.Message
	for _, m := range r.Messages {
		if m.Class > 10 {
			out = append(out, m)
		}
	}
	return out
}

package tds

import (
	"context"
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// This file is the contract between the protocol layer (this package) and the
// engine that runs T-SQL. The server decodes requests and encodes results;
// the Backend decides what they mean.

// LoginRequest is what LOGIN7 carried.
type LoginRequest struct {
	User     string
	Password string // never logged
	// NewPassword is LOGIN7's ChangePassword: the password the login is
	// to have from now on, once Password authenticated it. Never logged.
	NewPassword string
	Database    string // may be empty: the login's default database
	AppName     string
	HostName    string
	ServerName  string
	// SPID is the session id the server puts in every packet header; the
	// backend reports it as @@SPID. 0 when the login did not come over TDS.
	SPID uint16
	// The connection, for sys.dm_exec_connections: the client's and the
	// server's TCP addresses, and whether all of it is encrypted (not
	// only the login). Empty and false when the login did not come over TDS.
	ClientAddr, LocalAddr string
	Encrypted             bool
}

// Backend opens sessions for authenticated logins.
type Backend interface {
	// Login checks the credentials and opens a session. A failed login returns
	// a *Message with Number 18456, which the server sends as SQL Server does.
	Login(ctx context.Context, req LoginRequest) (Session, error)
}

// IsolationLevel is a transaction isolation level as TDS numbers them in the
// transaction manager request.
type IsolationLevel uint8

const (
	IsolationDefault         IsolationLevel = 0
	IsolationReadUncommitted IsolationLevel = 1
	IsolationReadCommitted   IsolationLevel = 2
	IsolationRepeatableRead  IsolationLevel = 3
	IsolationSerializable    IsolationLevel = 4
	IsolationSnapshot        IsolationLevel = 5
)

// Session is one connection's state in the engine: current database,
// open transaction, SET options, local variables.
type Session interface {
	// Database is the current database, reported in ENVCHANGE after login.
	Database() string
	// ExecBatch runs a SQL batch. Results, messages and environment changes go
	// to w as they happen. A returned *Message aborts the batch and is sent as
	// an ERROR token; any other error is reported as a generic server error.
	ExecBatch(ctx context.Context, sql string, w ResultWriter) error
	// ExecRPC runs a remote procedure call (sp_executesql, sp_prepexec, a
	// stored procedure by name).
	ExecRPC(ctx context.Context, call RPCCall, w ResultWriter) error
	// Begin, Commit and Rollback serve the transaction manager request
	// (packet type 14) that drivers use for database/sql transactions.
	Begin(ctx context.Context, level IsolationLevel, w ResultWriter) error
	Commit(ctx context.Context, w ResultWriter) error
	Rollback(ctx context.Context, w ResultWriter) error
	// Close ends the session, rolling back any open transaction.
	Close() error
}

// RPCCall is a decoded RPC request.
type RPCCall struct {
	ProcName string // empty when ProcID is used
	ProcID   uint16 // well-known procedure id (10 = sp_executesql), 0 with a name
	Params   []Param
}

// Param is one RPC parameter.
type Param struct {
	Name   string // with its @, empty for positional parameters
	Type   sqltypes.Type
	Value  any // a sqltypes value, nil for NULL
	Output bool
}

// Column describes one result column (COLMETADATA).
type Column struct {
	Name     string
	Type     sqltypes.Type
	Nullable bool
	Identity bool
}

// ResultWriter receives a statement's results in order. The server turns
// each call into TDS tokens.
type ResultWriter interface {
	// Columns starts a result set.
	Columns(cols []Column) error
	// Row sends one row of the current result set; values are sqltypes values.
	Row(values []any) error
	// Done ends a statement; count is sent when hasCount is true.
	Done(count int64, hasCount bool) error
	// Message sends an INFO (Class <= 10) or ERROR token.
	Message(m *Message) error
	// ReturnStatus sends a stored procedure's return status.
	ReturnStatus(status int32) error
	// ReturnValue sends an output parameter's value.
	ReturnValue(p Param) error
	// DatabaseChanged sends ENVCHANGE type 1 (after USE).
	DatabaseChanged(oldName, newName string) error
	// TransactionBegan, TransactionCommitted and TransactionRolledBack send
	// ENVCHANGE types 8, 9 and 10 with the transaction descriptor.
	TransactionBegan(descriptor uint64) error
	TransactionCommitted(descriptor uint64) error
	TransactionRolledBack(descriptor uint64) error
}

// ProcWriter is implemented by ResultWriters that mark the statements of
// a stored procedure run by EXEC in a batch, as SQL Server does (MS-TDS
// 2.2.7.7 and 2.2.7.8: "A DONEINPROC token is sent for each executed SQL
// statement within a stored procedure"; a DONEPROC "is also generated for
// stored procedures executed through SQL statements"). Between EnterProc
// and ExitProc statements end with DONEINPROC; ExitProc with ok sends the
// procedure's RETURNSTATUS and DONEPROC.
type ProcWriter interface {
	EnterProc()
	ExitProc(status int32, ok bool) error
}

// Message is an SQL Server message: an error when Class > 10, else
// information. Numbers, classes and states follow SQL Server's own.
type Message struct {
	Number int32
	State  uint8
	Class  uint8
	Text   string
	Server string
	Proc   string
	Line   int32
}

func (m *Message) Error() string {
	return fmt.Sprintf("mssql: Msg %d, Level %d, State %d: %s", m.Number, m.Class, m.State, m.Text)
}

// SessionResetter is implemented by sessions that can reset their state
// when a pooled client reuses the connection: the request then carries the
// reset-connection flag, and SQL Server runs sp_reset_connection before it
// (roll back the open transaction unless keepTransaction, reset SET options
// and the current database to the login's, drop temporary tables). The
// server acknowledges with ENVCHANGE 18. Sessions without it are not reset.
type SessionResetter interface {
	ResetSession(ctx context.Context, keepTransaction bool, w ResultWriter) error
}

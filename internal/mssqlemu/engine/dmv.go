package engine

import (
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Dynamic management views of sessions, connections, requests and
// transactions, with the columns Microsoft documents for each:
// https://learn.microsoft.com/en-us/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-connections-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-sessions-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-requests-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-dynamic-management-views/sys-dm-tran-session-transactions-transact-sql

// tdsVersion74 is protocol_version of a TDS 7.4 connection.
const tdsVersion74 = 0x74000004

// liveSessions lists the open sessions by id. Callers hold e.mu.
func (e *Engine) liveSessions() []*session {
	out := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spid < out[j].spid })
	return out
}

// dmView builds a sys.dm_* view; nil when name is not one.
func (ev *evaluator) dmView(name string) *relation {
	e := ev.s.e
	tNV := func(n int) sqltypes.Type { return sqltypes.NVarCharType(n) }
	switch name {
	case "dm_exec_connections":
		rel := &relation{cols: cols(c("session_id", tInt), cn("most_recent_session_id", tInt), c("connect_time", tDT),
			c("net_transport", tNV(40)), cn("protocol_type", tNV(40)), cn("protocol_version", tInt), cn("endpoint_id", tInt),
			c("encrypt_option", tNV(40)), c("auth_scheme", tNV(40)), c("node_affinity", tSmall), cn("num_reads", tInt), cn("num_writes", tInt),
			cn("last_read", tDT), cn("last_write", tDT), cn("net_packet_size", tInt), cn("client_net_address", sqltypes.VarCharType(48)),
			cn("client_tcp_port", tInt), cn("local_net_address", sqltypes.VarCharType(48)), cn("local_tcp_port", tInt),
			c("connection_id", sqltypes.GUIDType), cn("parent_connection_id", sqltypes.GUIDType), cn("most_recent_sql_handle", sqltypes.VarBinaryType(64)))}
		for _, s := range e.liveSessions() {
			if s.login.ClientAddr == "" {
				continue // not a network connection
			}
			enc := "FALSE"
			if s.login.Encrypted {
				enc = "TRUE"
			}
			chost, cport := splitAddr(s.login.ClientAddr)
			lhost, lport := splitAddr(s.login.LocalAddr)
			at := sqltypes.FromTime(wall(s.connected), tDT)
			rel.rows = append(rel.rows, []any{int64(s.spid), int64(s.spid), at, "TCP", "TSQL", int64(tdsVersion74), int64(4),
				enc, "SQL", int64(0), nil, nil, at, at, int64(4096), chost, cport, lhost, lport, s.connID, nil, nil})
		}
		return rel
	case "dm_exec_sessions":
		rel := &relation{cols: cols(c("session_id", tSmall), c("login_time", tDT), cn("host_name", tNV(128)), cn("program_name", tNV(128)),
			c("login_name", tNV(128)), c("status", tNV(30)), c("is_user_process", tBit), c("database_id", tSmall),
			c("transaction_isolation_level", tSmall), c("lock_timeout", tInt), c("open_transaction_count", tInt))}
		for _, s := range e.liveSessions() {
			status := "sleeping"
			if s.requests.Load() > 0 {
				status = "running"
			}
			rel.rows = append(rel.rows, []any{int64(s.spid), sqltypes.FromTime(wall(s.connected), tDT), nilIfEmpty(s.login.HostName),
				nilIfEmpty(s.login.AppName), s.login.User, status, true, s.databaseID(), isoLevel(s.iso), s.lockTimeout, int64(s.trancount)})
		}
		return rel
	case "dm_exec_requests":
		rel := &relation{cols: cols(c("session_id", tSmall), c("request_id", tInt), c("start_time", tDT), c("status", tNV(30)),
			c("command", tNV(32)), c("database_id", tSmall), cn("blocking_session_id", tSmall), cn("wait_type", tNV(60)),
			c("wait_time", tInt), c("transaction_id", sqltypes.BigIntType), c("open_transaction_count", tInt),
			c("transaction_isolation_level", tSmall), c("lock_timeout", tInt))}
		for _, s := range e.liveSessions() {
			if s.requests.Load() == 0 {
				continue
			}
			status, blocker, wait := "running", int64(0), any(nil)
			var txID int64
			if s.tx != nil {
				txID = int64(s.tx.id)
				if b := s.tx.blockedBy; b != nil {
					status, blocker, wait = "suspended", int64(b.spid), "LCK_M_X"
				}
			}
			rel.rows = append(rel.rows, []any{int64(s.spid), int64(0), sqltypes.FromTime(wall(s.connected), tDT), status,
				"EXECUTE", s.databaseID(), blocker, wait, int64(0), txID, int64(s.trancount), isoLevel(s.iso), s.lockTimeout})
		}
		return rel
	case "dm_tran_session_transactions":
		rel := &relation{cols: cols(c("session_id", tInt), c("transaction_id", sqltypes.BigIntType),
			c("transaction_descriptor", sqltypes.Type{ID: sqltypes.Binary, Length: 8}), c("enlist_count", tInt),
			c("is_user_transaction", tBit), c("is_local", tBit), c("is_enlisted", tBit), c("is_bound", tBit), c("open_transaction_count", tInt))}
		for _, s := range e.liveSessions() {
			if s.tx == nil || s.tx.ended {
				continue
			}
			rel.rows = append(rel.rows, []any{int64(s.spid), int64(s.tx.id), u64bytes(s.tx.id), int64(1),
				s.tx.explicit, true, false, false, int64(s.trancount)})
		}
		return rel
	}
	return nil
}

// databaseID is the current database's id (0 if it was dropped).
func (s *session) databaseID() int64 {
	if d := s.e.db(s.dbName); d != nil {
		return int64(d.ID)
	}
	return 0
}

// isoLevel numbers an isolation level as the DMVs do: 1 READ UNCOMMITTED,
// 2 READ COMMITTED, 3 REPEATABLE READ, 4 SERIALIZABLE, 5 SNAPSHOT.
func isoLevel(l tsql.IsolationLevel) int64 {
	switch l {
	case tsql.ReadUncommitted:
		return 1
	case tsql.RepeatableRead:
		return 3
	case tsql.Serializable:
		return 4
	case tsql.Snapshot:
		return 5
	}
	return 2
}

// splitAddr splits host:port into the address text and the port (nil
// when absent).
func splitAddr(a string) (any, any) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return nilIfEmpty(a), nil
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return host, nil
	}
	return host, int64(n)
}

// spDatabases is sp_databases: every database with its size in kilobytes
// (https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sp-databases-transact-sql).
// The emulator keeps data in memory; it reports 8 MB, a new database's
// default data file size.
func (s *session) spDatabases(w tds.ResultWriter) (int32, error) {
	rel := &relation{cols: cols(c("DATABASE_NAME", tName), cn("DATABASE_SIZE", tInt), cn("REMARKS", sqltypes.VarCharType(254)))}
	for _, d := range s.e.sortedDBs() {
		rel.rows = append(rel.rows, []any{d.Name, int64(8192), nil})
	}
	return 0, sendRelation(w, rel)
}

// dbcc runs DBCC USEROPTIONS, "the SET options active (set) for the current
// connection" as rows of Set Option and Value, then DBCC's closing message
// unless WITH NO_INFOMSGS
// (https://learn.microsoft.com/en-us/sql/t-sql/database-console-commands/dbcc-useroptions-transact-sql).
// Other DBCC commands (consistency checks, maintenance) mean nothing for
// an in-memory engine and are refused as SQL Server refuses an unknown one.
func (s *session) dbcc(x *tsql.DbccStmt, w tds.ResultWriter) error {
	if x.Command != "USEROPTIONS" {
		return msg(2526, 16, 3, fmt.Sprintf("Incorrect DBCC statement. Check the documentation for the correct DBCC syntax and options. (DBCC %s is not emulated.)", x.Command))
	}
	tNV := sqltypes.NVarCharType(128)
	rel := &relation{cols: cols(c("Set Option", tNV), c("Value", tNV))}
	set := func(bit string) bool { return s.options&optionBits[bit] != 0 }
	rel.rows = append(rel.rows, []any{"textsize", "2147483647"}, []any{"language", "us_english"}, []any{"dateformat", "mdy"},
		[]any{"datefirst", "7"}, []any{"lock_timeout", strconv.FormatInt(int64(s.lockTimeout), 10)})
	for _, o := range []struct{ name, bit string }{{"quoted_identifier", "QUOTED_IDENTIFIER"}, {"arithabort", "ARITHABORT"},
		{"ansi_null_dflt_on", "ANSI_NULL_DFLT_ON"}, {"ansi_warnings", "ANSI_WARNINGS"}, {"ansi_padding", "ANSI_PADDING"},
		{"ansi_nulls", "ANSI_NULLS"}, {"concat_null_yields_null", "CONCAT_NULL_YIELDS_NULL"}, {"xact_abort", "XACT_ABORT"}, {"nocount", "NOCOUNT"}} {
		if set(o.bit) {
			rel.rows = append(rel.rows, []any{o.name, "SET"})
		}
	}
	names := map[tsql.IsolationLevel]string{tsql.ReadUncommitted: "read uncommitted", tsql.ReadCommitted: "read committed",
		tsql.RepeatableRead: "repeatable read", tsql.Serializable: "serializable", tsql.Snapshot: "snapshot"}
	iso := s.iso
	if s.tx != nil {
		iso = s.tx.iso
	}
	rel.rows = append(rel.rows, []any{"isolation level", names[iso]})
	if err := sendRelation(w, rel); err != nil {
		return err
	}
	if x.NoInfoMsgs {
		return nil
	}
	return w.Message(&tds.Message{Number: 2528, Class: 0, State: 1, Text: "DBCC execution completed. If DBCC printed error messages, contact your system administrator.", Server: s.e.cfg.ServerName})
}

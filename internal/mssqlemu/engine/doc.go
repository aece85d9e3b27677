// Package engine gives the SQL Server emulator its semantics: databases,
// schemas and typed tables kept as versioned rows, sessions with local
// variables and transactions (READ COMMITTED and SNAPSHOT), the catalog
// views, and change data capture as Microsoft documents it. It implements
// tds.Backend; the tds package speaks the protocol and tsql parses batches.
//
// Storage: every row is a chain of versions stamped with the commit
// sequence (LSN) of the transaction that wrote it. READ COMMITTED reads the
// newest committed version, SNAPSHOT the newest at or before its start, and
// a transaction sees its own pending change. A pending version is the
// row's exclusive lock, held with its key until the transaction ends:
// writers wait only for the rows and keys they touch (SET LOCK_TIMEOUT,
// Msg 1222; deadlock victim, Msg 1205; see locks.go), readers never wait;
// a SNAPSHOT writer that finds a newer committed version fails with Msg
// 3960. A SELECT TOP (n) ... ORDER BY an integer first key column, with
// a range of that column in WHERE (keyset pagination, a snapshot chunk),
// is answered from an ordered view of the key instead of a scan of the
// table (seek.go). One engine mutex guards all state for the length of a statement;
// results are buffered and sent after it is released. Each commit takes
// the next LSN, so the change tables order transactions by commit.
//
// Change data capture: a commit hands its row operations to the capture
// job, which after Config.CaptureDelay writes cdc.<instance>_CT rows and a
// cdc.lsn_time_mapping entry (commits that touched only untracked tables
// leave one scan marker per capture cycle, tran_id 0x00, so the maximum
// LSN moves); the cleanup job (Config.CleanupRetention, or
// sys.sp_cdc_cleanup_change_table, or Engine.Cleanup) moves the low water
// mark.
//
// Sessions: a batch is parsed and its variables checked (Msg 137/134)
// before any of it runs, so a compile error leaves nothing half done.
// @@SPID is the session id of the TDS packet headers. A pooled client's
// reset-connection flag runs sp_reset_connection's semantics (ResetSession):
// the open transaction is rolled back unless the client asked to keep it,
// SET options and the current database return to the login's, and the
// session's #temp tables are dropped. Local #temp tables belong to their
// session and table variables to their batch, outside its transaction
// (temp.go). Stored procedures (procedures.go) run in a variable scope of
// their own, outside the engine lock. CREATE TABLE
// and CREATE SCHEMA in an explicit transaction are undone by ROLLBACK;
// other DDL is not.
//
// Without the protocol, a session can be driven directly:
//
//	e := engine.New(engine.Config{})
//	defer e.Close()
//	s, _ := e.NewSession("master")
//	var rec engine.Recorder
//	_ = s.ExecBatch(ctx, "CREATE DATABASE d; USE d; CREATE TABLE t (id int PRIMARY KEY); SELECT * FROM t", &rec)
//	// rec.Sets[0].Columns, rec.Sets[0].Rows, rec.Errors()
package engine

// Package source reads one SQL Server database's captured tables: their
// catalog (Discover), an initial snapshot, then the change data capture
// (CDC) change tables, and hands them on as event.Events in batches, each
// with the Position to resume from after it (Reader.Run).
//
// It talks to SQL Server through database/sql and go-mssqldb, and sends
// only single-table SELECTs on documented catalog views and CDC functions
// (all in queries.go), so that it runs unchanged on every SQL Server with
// CDC and on the in-repo emulator.
//
// # Snapshot and handoff to streaming
//
// A table is read in key order, in chunks of Config.SnapshotChunkRows rows
// read by keyset pagination
// (SELECT TOP (n) ... WHERE key > last ORDER BY key); each chunk is one
// Batch of op "r" events whose Position records the table's last key and
// row count, so a restart resumes after the last chunk saved. The last row
// emitted for a table is marked Source.Snapshot = "last" (when the part of
// the table that ends last ends with an empty chunk, no row is).
//
// Config.SnapshotParallelism readers read at once (1: one reader, tables
// one after the other). The work is a queue of parts in table order: whole
// tables, and key ranges of a table that holds two chunks or more and has
// an integer first key column, split when its snapshot starts into up to
// SnapshotParallelism ranges of that column between its MIN and MAX (see
// splitTable; the first range is open below and the last open above, so
// rows inserted later beyond the bounds belong to one too). Each range is
// read like a table, by keyset pagination within its bounds, and keeps its
// own progress (TableSnapshot.Ranges), so a restart resumes every range
// after its last chunk saved; a table's ranges, once chosen, are kept
// across restarts. Readers read in parallel but emit one at a time, each
// batch's Position holding every part's progress so far. A key lives in
// exactly one range, read by one reader, so a key's snapshot row is
// emitted once and before any streamed change of it.
//
// Each reader reads inside its own transaction at SNAPSHOT isolation, on
// its own connection, whose first statement is sys.fn_cdc_get_max_lsn():
// the rows it reads and that LSN (its read point, the events'
// Source.CommitLSN) describe the same point in time. Transactions
// committed before that point but not yet harvested by the capture job
// have LSNs above it, so a stream starting right after it may deliver
// changes the snapshot already holds, never miss one.
//
// Readers started at different times, and a snapshot resumed after a crash
// in new transactions, have different read points. The Position keeps the
// OLDEST read point of any chunk it covers (Snapshot.LSN, lowered by a
// reader before it emits anything) and streaming starts after it, so for
// every key, the change stream holds every change after the read point of
// the chunk that read it: changes after that point follow the snapshot row
// and are applied; changes between the oldest read point and the key's
// own are replayed onto a row that already holds them (or, for a row
// deleted by then, re-insert and delete it again), and the target's
// upserts guarded by the source position (commit LSN, change LSN, serial)
// compare them with the snapshot row's commit LSN, its read point, and
// turn them into no-ops. This holds for each key on its own, so for any
// number of read points. A primary-key update that moves a row from one
// range to another is a delete of the old key and an insert of the new
// one, each resolved against the read point of its own range.
//
// When the database does not allow SNAPSHOT isolation
// (sys.databases.snapshot_isolation_state <> 1) the snapshot is read at
// READ COMMITTED with a warning: the snapshot LSN is then taken before the
// rows are read, rows may reflect changes made during the read, and those
// changes are streamed again; the target converges once streaming has
// passed the end of the read.
//
// # Streaming
//
// Each poll reads sys.fn_cdc_get_max_lsn() as the upper bound and, per
// capture instance, cdc.fn_cdc_get_all_changes_<instance>(from, to,
// N'all update old') ordered by (__$start_lsn, __$seqval, __$operation); the tables' rows are merged with a min-heap in that order
// (then table name). Before reading, from is checked against
// sys.fn_cdc_get_min_lsn: a position older than what the instance still
// holds fails with ErrOutOfRetention instead of SQL Server's misleading
// Msg 313. Operations map as 2 → c, 1 → d, 3+4 → u (both images); an
// update of the primary key, which SQL Server records as a delete and an
// insert, stays a d then a c. Unchanged text/ntext/image columns of an
// update's after image (their __$update_mask bit clear) are event.Unchanged.
//
// Batches hold whole source transactions, as many as fit in
// Config.MaxBatchEvents events. A larger transaction is split; its
// Position then has Stream.InTx set with the (command id, seqval,
// operation) of the last change emitted, and a restart re-reads that
// transaction and skips every change up to it. Otherwise the position is
// the last commit LSN emitted, and reading resumes after it. While nothing
// changes, an empty batch moves the saved position forward every
// Config.IdleCheckpoint.
//
// Reader.Run does not retry: the producer's loop (internal/capture) starts
// it again after a failure, under the one retry policy (RETRY_WINDOW).
package source

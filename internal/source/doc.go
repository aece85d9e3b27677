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
// Tables are snapshotted one after the other, in key order, in chunks of
// Config.SnapshotChunkRows rows read by keyset pagination
// (SELECT TOP (n) ... WHERE key > last ORDER BY key); each chunk is one
// Batch of op "r" events whose Position records the table's last key and
// row count, so a restart resumes after the last chunk saved. The last row
// of a table is marked Source.Snapshot = "last".
//
// All chunks read by one Run are read inside ONE transaction at SNAPSHOT
// isolation, whose first statement is sys.fn_cdc_get_max_lsn(): the rows
// and that LSN (the snapshot LSN, the events' Source.CommitLSN) describe the
// same point in time. Transactions committed before that point but not yet
// harvested by the capture job have LSNs above the snapshot LSN, so the
// stream, which starts right after it, may deliver changes the snapshot
// already holds, never miss one; the target's idempotent upserts absorb the
// overlap.
//
// A snapshot resumed after a crash runs in a new transaction with a newer
// snapshot LSN: the chunks it reads are newer than those saved before. The
// Position keeps the OLDEST snapshot LSN of the snapshot (Snapshot.LSN) and
// streaming starts after it, so every change after any chunk's read point
// is delivered; changes older than a chunk's read point are replayed onto
// rows that already hold them, which the target's upserts guarded by the
// source position (commit LSN, change LSN, serial) turn into no-ops.
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

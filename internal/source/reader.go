package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// ErrOutOfRetention is wrapped by the error Run returns when the position to
// resume from is older than what a capture instance still holds: the CDC
// cleanup job removed changes that were never read.
var ErrOutOfRetention = errors.New("position fell out of the CDC retention window")

// Batch is a run of events and the position to resume from after them. The
// caller must store the events and Position atomically.
type Batch struct {
	Events   []*event.Event
	Position Position
}

// Progress is a point-in-time copy of the reader's counters, for metrics.
type Progress struct {
	Phase string // "snapshot" or "streaming" (empty before Run)
	// Snapshot counters: rows emitted and the estimated total (from
	// sys.partitions, else COUNT_BIG) of the tables still to read at start.
	SnapshotRowsDone   int64
	SnapshotRowsTotal  int64
	SnapshotTablesDone int
	SnapshotTables     int
	// Streaming counters.
	StreamEvents       int64
	StreamTransactions int64
	Batches            int64
	LastCommitLSN      lsn.LSN
	LastCommitTime     time.Time // commit time at the source of LastCommitLSN
	// TablesStopped counts the tables no longer read because of DDL the
	// pipeline cannot follow or CDC disabled (see the log for each).
	TablesStopped int
	// Tables is the snapshot's progress per table, in reading order.
	Tables []TableProgress
}

// TableProgress is one table's snapshot progress.
type TableProgress struct {
	Table     string // schema.table
	RowsDone  int64  // rows written, earlier runs included
	RowsTotal int64  // estimated rows (sys.partitions, else COUNT_BIG)
	Done      bool
}

// tableState is what the reader keeps per table.
type tableState struct {
	t   *catalog.Table
	key string // schema.table, the key of Position.Snapshot.Tables
	// ords holds each column's ordinal in __$update_mask, in Columns order.
	ords []int
	// keyIdx holds the indexes of the primary-key columns in Columns.
	keyIdx []int
	// objectID is the source table's object_id, once the catalog was read.
	objectID int64
	// next is the capture instance that captures columns added to the
	// table, read from nextStart on; this one is read up to just before it.
	next      *tableState
	nextStart lsn.LSN
	// addLSN is the ddl_lsn of the ADD COLUMN that started the switch, and
	// oldReadTo the last LSN the old instance is read up to: the rows
	// changed between them are read again when the switch completes.
	addLSN, oldReadTo lsn.LSN
	// stopped says why the table is no longer read; empty while it is.
	stopped string
	// resnapshot is TableSnapshot.Resnapshot: events carry it in their
	// incarnation.
	resnapshot lsn.LSN
	// told is the last schema-change message logged for the table, so that
	// each is logged once and not at every check.
	told string
}

// Reader reads the snapshot and then the change stream of a set of tables.
type Reader struct {
	db     *sql.DB
	cfg    Config
	tables []*tableState

	mu   sync.Mutex
	prog Progress
	// incarnation is the database's, as checked at the start of each pass
	// (see checkIncarnation); every event carries it.
	incarnation atomic.Pointer[string]

	times lsnTimes
	// refused holds tables enabled for CDC that cannot be synchronized (no
	// primary key, say), reported once.
	refused map[int64]bool
}

// NewReader returns a reader of tables (as Discover returns them) through db.
// A poll holds one connection per table with changes (their rows are merged
// as they stream), so NewReader raises db's idle-connection limit to
// len(tables)+3 for those connections to be reused rather than reopened.
func NewReader(db *sql.DB, cfg Config, tables []*catalog.Table) *Reader {
	r := &Reader{db: db, cfg: cfg.withDefaults()}
	if db != nil {
		db.SetMaxIdleConns(len(tables) + 3)
	}
	for _, t := range tables {
		r.tables = append(r.tables, &tableState{t: t, key: t.Schema + "." + t.Name})
	}
	if r.cfg.Database == "" && len(tables) > 0 {
		r.cfg.Database = tables[0].Database
	}
	return r
}

// Progress returns a copy of the counters; safe to call at any time.
func (r *Reader) Progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.prog
	p.Tables = slices.Clone(p.Tables)
	return p
}

func (r *Reader) update(f func(p *Progress)) {
	r.mu.Lock()
	f(&r.prog)
	r.mu.Unlock()
}

// emitError marks an error returned by the caller's emit function: never
// retried by the reader, returned as is.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }
func (e emitError) Unwrap() error { return e.err }

// Run takes the snapshot if from says it is not done, then streams changes
// until ctx ends, calling emit for each batch, one at a time, in source
// order. emit must store the batch's events and Position atomically and
// return nil only then; an error from emit ends Run with that error. Run
// does not retry: a failure (a lost connection too) ends it, and the
// caller's loop (internal/capture) starts it again, after a wait, from the
// position emit last stored. Run returns ctx.Err() when ctx ends.
func (r *Reader) Run(ctx context.Context, from Position, emit func(context.Context, Batch) error) error {
	if len(r.tables) == 0 {
		return errors.New("source: no table to read: Discover found none, or none was passed to NewReader")
	}
	pos := from.clone()
	err := r.runOnce(ctx, &pos, func(ctx context.Context, b Batch) error {
		if err := emit(ctx, b); err != nil {
			return emitError{err}
		}
		r.update(func(p *Progress) { p.Batches++ })
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	return err
}

func (r *Reader) runOnce(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	// Every pass, after a lost connection too, checks that the database is
	// still the one the position was saved for: a database dropped and
	// recreated (or restored) under a running producer has LSNs that mean
	// nothing for the saved position.
	if err := r.checkIncarnation(ctx, pos); err != nil {
		return err
	}
	if err := r.restoreSchemaState(ctx, *pos); err != nil {
		return err
	}
	if err := r.loadMeta(ctx); err != nil {
		return err
	}
	if !pos.Snapshot.Started && r.cfg.NoSnapshot {
		if err := r.skipSnapshot(ctx, pos); err != nil {
			return err
		}
		// Saved at once: a restart must not skip to a later LSN.
		if err := emit(ctx, Batch{Position: pos.clone()}); err != nil {
			return err
		}
	}
	if !pos.Snapshot.Done {
		r.update(func(p *Progress) { p.Phase = "snapshot" })
		if err := r.snapshot(ctx, pos, emit); err != nil {
			return err
		}
	}
	if r.cfg.NoStream {
		r.cfg.Logger.Info("source: the snapshot is done and incremental synchronization is off (SYNC_INCREMENTAL=off): stopping",
			"database", r.cfg.Database)
		return nil
	}
	r.update(func(p *Progress) { p.Phase = "streaming" })
	return r.stream(ctx, pos, emit)
}

// skipSnapshot marks a position that has none as past the snapshot, at the
// database's current highest LSN: streaming starts with the changes
// committed after it, and the tables' existing rows are not read.
func (r *Reader) skipSnapshot(ctx context.Context, pos *Position) error {
	at, err := maxLSN(ctx, r.db)
	if err != nil {
		return err
	}
	pos.Snapshot = SnapshotPosition{Started: true, Done: true, LSN: at, Tables: map[string]TableSnapshot{}}
	for _, ts := range r.tables {
		pos.Snapshot.Tables[ts.key] = TableSnapshot{Done: true}
	}
	r.cfg.Logger.Info("source: full data synchronization is off (SYNC_FULL_DATA=off): streaming the changes committed after LSN "+at.String(),
		"database", r.cfg.Database)
	return nil
}

// loadMeta reads what the reader needs beyond the catalog: the update-mask
// ordinal of every column.
func (r *Reader) loadMeta(ctx context.Context) error {
	instances, err := readCaptureInstances(ctx, r.db)
	if err != nil {
		return err
	}
	byName := map[string]captureInstance{}
	for _, ci := range instances {
		byName[ci.Name] = ci
	}
	for _, ts := range r.tables {
		if ts.stopped != "" {
			continue
		}
		for _, s := range []*tableState{ts, ts.next} {
			if s == nil {
				continue
			}
			ci, ok := byName[s.t.CaptureInstance]
			if !ok {
				return fmt.Errorf("table %s: capture instance %s no longer exists (was CDC disabled for the table?): enable it again with %s and take a new snapshot",
					ts.t.QualifiedName(), s.t.CaptureInstance, enableTableCommand(ts.t.Schema, ts.t.Name))
			}
			if err := r.prepare(ctx, s, ci); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepare reads the update-mask ordinal of every column of ts as capture
// instance ci captures it.
func (r *Reader) prepare(ctx context.Context, ts *tableState, ci captureInstance) error {
	ords, err := capturedColumns(ctx, r.db, ci)
	if err != nil {
		return err
	}
	ts.ords = make([]int, len(ts.t.Columns))
	for i, c := range ts.t.Columns {
		o, ok := ords[lower(c.Name)]
		if !ok {
			return fmt.Errorf("table %s: column %s is no longer captured by capture instance %s: discover the tables again",
				ts.t.QualifiedName(), c.Name, ci.Name)
		}
		ts.ords[i] = o
	}
	ts.keyIdx, err = ts.t.KeyIndexes()
	return err
}

// maxLSN reads sys.fn_cdc_get_max_lsn() through q (the database or a
// transaction); zero when CDC has recorded nothing yet.
func maxLSN(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (lsn.LSN, error) {
	var b []byte
	if err := q.QueryRowContext(ctx, qMaxLSN).Scan(&b); err != nil {
		return lsn.Zero, fmt.Errorf("read sys.fn_cdc_get_max_lsn(): %w", err)
	}
	if len(b) == 0 {
		return lsn.Zero, nil
	}
	return lsn.FromBytes(b)
}

func (r *Reader) minLSN(ctx context.Context, ci string) (lsn.LSN, error) {
	var b []byte
	if err := r.db.QueryRowContext(ctx, qMinLSN, ci).Scan(&b); err != nil {
		return lsn.Zero, fmt.Errorf("read sys.fn_cdc_get_min_lsn(%s): %w", quoteString(ci), err)
	}
	if len(b) == 0 {
		return lsn.Zero, nil
	}
	return lsn.FromBytes(b)
}

// increment returns the smallest LSN after l, as sys.fn_cdc_increment_lsn.
func increment(l lsn.LSN) lsn.LSN {
	for i := len(l) - 1; i >= 0; i-- {
		l[i]++
		if l[i] != 0 {
			break
		}
	}
	return l
}

// decrement returns the largest LSN before l, as sys.fn_cdc_decrement_lsn.
func decrement(l lsn.LSN) lsn.LSN {
	for i := len(l) - 1; i >= 0; i-- {
		l[i]--
		if l[i] != 0xFF {
			break
		}
	}
	return l
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

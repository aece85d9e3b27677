package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// stream polls the change tables until ctx ends.
func (r *Reader) stream(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	r.cfg.Logger.Info("source: streaming changes", "database", r.cfg.Database, "position", pos.String(),
		"poll_interval", r.cfg.PollInterval, "poll_interval_min", r.cfg.PollIntervalMin)
	saved := pos.Stream.CommitLSN
	lastEmit := time.Now()
	counting := func(ctx context.Context, b Batch) error {
		if err := emit(ctx, b); err != nil {
			return err
		}
		saved, lastEmit = b.Position.Stream.CommitLSN, time.Now()
		return nil
	}
	var lastCheck time.Time
	waits := newPollWaits(r.cfg.PollIntervalMin, r.cfg.PollInterval)
	for {
		// A database dropped and recreated (or restored) while streaming
		// does not always break a connection: a pool reconnects by name to
		// the new database, whose LSNs mean nothing for pos.
		if err := r.sameIncarnation(ctx, pos); err != nil {
			return err
		}
		if time.Since(lastCheck) >= r.cfg.SchemaCheckInterval {
			if err := r.checkSchema(ctx, pos, counting); err != nil {
				return err
			}
			lastCheck = time.Now()
		}
		n, err := r.poll(ctx, pos, counting)
		if err != nil {
			return err
		}
		// Tables whose changes were lost to cleanup are snapshotted again
		// now, the others' stream position staying where the poll left it.
		if err := r.finishLateSnapshots(ctx, pos, counting); err != nil {
			return err
		}
		if n == 0 && pos.Stream.CommitLSN.Compare(saved) > 0 && time.Since(lastEmit) >= r.cfg.IdleCheckpoint {
			if err := counting(ctx, Batch{Position: pos.clone()}); err != nil {
				return err
			}
		}
		if wait := waits.after(n); wait > 0 {
			if err := sleep(ctx, wait); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// pollWaits says how long the stream waits after each poll. A poll that
// emitted changes is followed by another at once: more may have been
// captured while it ran. The empty polls after it wait shortest, then
// twice as long each time up to longest, where a quiet source stays: the
// next changes are read soon after the capture job writes them (in cycles,
// under load), and a source without changes costs SQL Server one cheap
// poll per longest wait. The stream starts as if quiet.
type pollWaits struct {
	shortest, longest time.Duration
	next              time.Duration // the wait after the next empty poll
}

func newPollWaits(shortest, longest time.Duration) *pollWaits {
	return &pollWaits{shortest: shortest, longest: longest, next: longest}
}

// after returns the wait after a poll that emitted n events.
func (w *pollWaits) after(n int) time.Duration {
	if n > 0 {
		w.next = w.shortest
		return 0
	}
	d := w.next
	w.next = min(2*w.next, w.longest)
	return d
}

// poll reads every change committed after pos up to sys.fn_cdc_get_max_lsn(),
// emits them and returns how many it emitted. On return pos covers the whole
// range read, emitted or not.
func (r *Reader) poll(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) (int, error) {
	to, err := maxLSN(ctx, r.db)
	if err != nil {
		return 0, err
	}
	from, skipCommit, skip := streamStart(*pos)
	if to.IsZero() || to.Compare(from) < 0 {
		// Nothing new, but a switch found after the last read may already
		// be complete: waiting for the next change would hold it (and the
		// window's corrected rows) back until the table is written again.
		return 0, r.finishSwitches(ctx, pos, emit)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var srcs []changeSource
	var cursors []*sqlCursor
	defer func() {
		for _, c := range cursors {
			c.rows.Close()
		}
	}()
	for i, ts := range r.tables {
		if ts.stopped != "" {
			continue
		}
		tfrom, err := r.tableFrom(ctx, ts, from, *pos)
		if lost := (*RetentionError)(nil); errors.As(err, &lost) && r.resnapshots(ts) {
			// Read again from a new snapshot, after this poll (stream).
			r.markLost(ts, pos, lost)
			continue
		}
		if err != nil {
			return 0, err
		}
		// While switching capture instances the old one is read up to just
		// before the new one's start, and the new one from there: each
		// change once, whichever instance holds it.
		for _, sg := range segments(ts, tfrom, to) {
			rows, err := r.db.QueryContext(ctx, qChanges(sg.ts.t), sg.from.Bytes(), sg.to.Bytes())
			if err != nil {
				return 0, fmt.Errorf("read changes of %s (capture instance %s) from %s to %s: %w",
					ts.t.QualifiedName(), sg.ts.t.CaptureInstance, sg.from, sg.to, err)
			}
			c := &sqlCursor{table: i, ts: sg.ts, rows: rows}
			cursors = append(cursors, c)
			srcs = append(srcs, c)
		}
	}
	m, err := newMerger(srcs)
	if err != nil {
		return 0, err
	}
	skipKey := pos.Stream.Last
	b := batcher{r: r, pos: pos, emit: emit, max: r.cfg.MaxBatchEvents}
	if skip {
		b.commit, b.count = skipCommit, pos.Stream.Emitted
	}
	for {
		c, ok, err := m.next()
		if err != nil {
			return b.emitted, err
		}
		if !ok {
			break
		}
		if skip && c.commit == skipCommit && c.key.Compare(skipKey) <= 0 {
			continue // emitted before the restart
		}
		if err := b.add(ctx, c); err != nil {
			return b.emitted, err
		}
	}
	if err := b.finish(ctx); err != nil {
		return b.emitted, err
	}
	if to.Compare(pos.Stream.CommitLSN) > 0 {
		pos.Stream = StreamPosition{CommitLSN: to, CommitMs: r.times.m[to]} // its time only when already read
	}
	if err := r.finishSwitches(ctx, pos, emit); err != nil {
		return b.emitted, err
	}
	return b.emitted, nil
}

// segment is a range of LSNs to read through one capture instance.
type segment struct {
	ts       *tableState
	from, to lsn.LSN
}

// segments splits [from, to] between a table's capture instances: all of
// it through the current one, or, while switching, the part before
// ts.nextStart through the current one and the rest through the next.
func segments(ts *tableState, from, to lsn.LSN) []segment {
	if from.Compare(to) > 0 {
		return nil
	}
	if ts.next == nil {
		return []segment{{ts, from, to}}
	}
	var out []segment
	if end := decrement(ts.nextStart); from.Compare(end) <= 0 {
		out = append(out, segment{ts, from, minLSN(to, end)})
	}
	if start := maxLSN2(from, ts.nextStart); start.Compare(to) <= 0 {
		out = append(out, segment{ts.next, start, to})
	}
	return out
}

func minLSN(a, b lsn.LSN) lsn.LSN {
	if a.Compare(b) <= 0 {
		return a
	}
	return b
}

func maxLSN2(a, b lsn.LSN) lsn.LSN {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

// streamStart returns the first LSN to read and, when the position is
// inside a transaction, that transaction's commit LSN (skip is then true).
func streamStart(pos Position) (from, commit lsn.LSN, skip bool) {
	s := pos.Stream
	switch {
	case s.CommitLSN.IsZero() && pos.Snapshot.LSN.IsZero():
		return lsn.Zero, lsn.Zero, false // from each capture instance's start
	case s.CommitLSN.IsZero():
		return increment(pos.Snapshot.LSN), lsn.Zero, false
	case s.InTx:
		return s.CommitLSN, s.CommitLSN, true
	default:
		return increment(s.CommitLSN), lsn.Zero, false
	}
}

// tableFrom checks from against the capture instance's retention window and
// returns where to read the table from.
func (r *Reader) tableFrom(ctx context.Context, ts *tableState, from lsn.LSN, pos Position) (lsn.LSN, error) {
	minL, err := r.minLSN(ctx, ts.t.CaptureInstance)
	if err != nil {
		return lsn.Zero, err
	}
	if minL.IsZero() {
		return lsn.Zero, fmt.Errorf("table %s: capture instance %s no longer exists (sys.fn_cdc_get_min_lsn returned 0): enable CDC for the table again with %s and take a new snapshot",
			ts.t.QualifiedName(), ts.t.CaptureInstance, enableTableCommand(ts.t.Schema, ts.t.Name))
	}
	at, ok := checkRetention(from, minL, pos.Snapshot.Tables[ts.key].InstanceMinLSN)
	if !ok {
		return lsn.Zero, &RetentionError{Table: ts.t.QualifiedName(), Position: at, CaptureInstance: ts.t.CaptureInstance, MinLSN: minL}
	}
	return at, nil
}

// checkRetention returns where to read a capture instance from, given the
// first LSN wanted (zero: everything since the instance's start), the
// instance's current minimum LSN, and its minimum when the snapshot began
// (zero if unknown). ok is false when changes that were wanted may have
// been cleaned up.
func checkRetention(from, minL, snapshotMin lsn.LSN) (lsn.LSN, bool) {
	if from.IsZero() {
		// CDC had recorded nothing when the snapshot was taken: every change
		// since the instance's start (as the snapshot saw it) is wanted.
		if snapshotMin.IsZero() {
			return minL, true
		}
		from = snapshotMin
	}
	if from.Compare(minL) >= 0 {
		return from, true
	}
	// from < minL. Unless the instance still starts where it did when the
	// snapshot began (it was created after the snapshot LSN and nothing was
	// cleaned up since), changes never read are gone.
	if !snapshotMin.IsZero() && snapshotMin == minL {
		return minL, true
	}
	return from, false
}

// sqlCursor reads one capture instance's change rows and pairs the two
// images of each update into one change.
type sqlCursor struct {
	table int
	ts    *tableState
	rows  *sql.Rows
	vals  []any
	ptrs  []any
	// peeked is a row read ahead that is not part of the current update.
	peeked *rawChange
}

type rawChange struct {
	commit, seqval lsn.LSN
	op             int
	mask           []byte
	vals           []any
}

func (c *sqlCursor) read() (*rawChange, bool, error) {
	if c.peeked != nil {
		p := c.peeked
		c.peeked = nil
		return p, true, nil
	}
	if c.vals == nil {
		c.vals = make([]any, changeMetaColumns+len(c.ts.t.Columns))
		c.ptrs = make([]any, len(c.vals))
		for i := range c.vals {
			c.ptrs[i] = &c.vals[i]
		}
	}
	if !c.rows.Next() {
		if err := c.rows.Err(); err != nil {
			return nil, false, fmt.Errorf("read changes of %s: %w", c.ts.t.QualifiedName(), err)
		}
		return nil, false, nil
	}
	for i := range c.vals {
		c.vals[i] = nil
	}
	if err := c.rows.Scan(c.ptrs...); err != nil {
		return nil, false, fmt.Errorf("read changes of %s: %w", c.ts.t.QualifiedName(), err)
	}
	rc := &rawChange{vals: append([]any(nil), c.vals[changeMetaColumns:]...)}
	var err error
	if rc.commit, err = lsnValue(c.vals[0]); err == nil {
		rc.seqval, err = lsnValue(c.vals[1])
	}
	if err != nil {
		return nil, false, fmt.Errorf("read changes of %s: %w", c.ts.t.QualifiedName(), err)
	}
	op, ok := c.vals[2].(int64)
	if !ok || op < 1 || op > 4 {
		return nil, false, fmt.Errorf("read changes of %s: __$operation %v is not 1 to 4", c.ts.t.QualifiedName(), c.vals[2])
	}
	rc.op = int(op)
	rc.mask, _ = c.vals[3].([]byte)
	rc.mask = append([]byte(nil), rc.mask...)
	return rc, true, nil
}

func lsnValue(v any) (lsn.LSN, error) {
	b, ok := v.([]byte)
	if !ok {
		return lsn.Zero, fmt.Errorf("want an LSN as binary(10), got %T", v)
	}
	return lsn.FromBytes(b)
}

func (c *sqlCursor) next() (*change, bool, error) {
	rc, ok, err := c.read()
	if err != nil || !ok {
		return nil, false, err
	}
	var before *rawChange
	if rc.op == 3 {
		after, ok, err := c.read()
		if err != nil {
			return nil, false, err
		}
		if ok && after.op == 4 && after.seqval == rc.seqval && after.commit == rc.commit {
			before, rc = rc, after
		} else {
			if ok {
				c.peeked = after
			}
			return nil, false, fmt.Errorf("read changes of %s: update before-image at seqval %s has no after-image", c.ts.t.QualifiedName(), rc.seqval)
		}
	}
	return buildChange(c.table, c.ts, before, rc)
}

// buildChange turns change rows into a change: op 1 delete, 2 insert, and an
// update from its before image (op 3, may be nil) and after image (op 4).
func buildChange(table int, ts *tableState, before, rc *rawChange) (*change, bool, error) {
	ch := &change{table: table, ts: ts, commit: rc.commit, key: ChangeKey{SeqVal: rc.seqval, Operation: rc.op}}
	var err error
	switch rc.op {
	case 1:
		ch.op = event.OpDelete
		ch.before, err = convertRow(ts, rc, false)
	case 2:
		ch.op = event.OpCreate
		ch.after, err = convertRow(ts, rc, false)
	case 3, 4:
		ch.op = event.OpUpdate
		if before != nil {
			ch.key.Operation = 3
			if ch.before, err = convertRow(ts, before, false); err != nil {
				return nil, false, err
			}
		}
		ch.after, err = convertRow(ts, rc, rc.op == 4)
	}
	if err != nil {
		return nil, false, err
	}
	return ch, true, nil
}

// convertRow converts a change row's values. In an update's after image a
// text, ntext or image column whose __$update_mask bit is clear did not
// change and SQL Server left it NULL: it becomes event.Unchanged.
func convertRow(ts *tableState, rc *rawChange, afterImage bool) (event.Row, error) {
	row := make(event.Row, len(ts.t.Columns))
	for i := range ts.t.Columns {
		col := &ts.t.Columns[i]
		if afterImage && legacyLOB(col.Type) && !bitSet(rc.mask, ts.ords[i]) {
			row[i] = event.Unchanged
			continue
		}
		v, err := convert(col, rc.vals[i])
		if err != nil {
			return nil, fmt.Errorf("change of %s at %s: %w", ts.t.QualifiedName(), rc.seqval, err)
		}
		row[i] = v
	}
	return row, nil
}

// serial numbers the events that share a seqval: the delete (1) and the
// insert (2) of an update that changed the primary key. Updates are 1.
func serial(k ChangeKey) int64 {
	if k.Operation == 2 {
		return 2
	}
	return 1
}

// batcher groups events into batches: whole transactions, as many as fit in
// max events; a transaction larger than max is split, and the position then
// says how far into it the batch went.
type batcher struct {
	r    *Reader
	pos  *Position
	emit func(context.Context, Batch) error
	max  int

	done       []*event.Event // events of complete transactions
	doneCommit lsn.LSN        // the last of them
	doneBytes  int64          // their before and after images' value bytes (rowBytes)
	cur        []*event.Event // events of the transaction being read
	curBytes   int64          // and its
	commit     lsn.LSN        // its commit LSN
	count      int64          // its events emitted or buffered so far
	last       ChangeKey      // its last change
	emitted    int
	txs        int64
}

func (b *batcher) add(ctx context.Context, c *change) error {
	if c.commit != b.commit {
		if err := b.closeTx(ctx); err != nil {
			return err
		}
		b.commit, b.count = c.commit, 0
	}
	// Make room first, so that no batch exceeds max and a transaction of
	// exactly max events stays whole; a batch whose values reach
	// MaxBatchBytes closes the same way.
	size := rowBytes(c.before) + rowBytes(c.after)
	full := func() bool { return b.doneBytes+b.curBytes > 0 && b.doneBytes+b.curBytes+size > b.r.cfg.MaxBatchBytes }
	if len(b.done)+len(b.cur) >= b.max || full() {
		if len(b.done) > 0 {
			if err := b.flushDone(ctx); err != nil {
				return err
			}
		}
		if len(b.cur) >= b.max || full() {
			p := b.pos.clone()
			p.Stream = StreamPosition{CommitLSN: b.commit, InTx: true, Last: b.last, Emitted: b.count}
			events := b.cur
			b.cur, b.curBytes = nil, 0
			if err := b.send(ctx, events, p); err != nil {
				return err
			}
		}
	}
	tsMs, err := b.r.commitTime(ctx, c.commit)
	if err != nil {
		return err
	}
	ts := c.ts
	if ts == nil {
		ts = b.r.tables[c.table]
	}
	b.cur = append(b.cur, &event.Event{Table: ts.t, Op: c.op, Before: c.before, After: c.after, TsMs: time.Now().UnixMilli(),
		Source: b.r.sourceBlock(ts, "false", tsMs, c.key.SeqVal, c.commit, serial(c.key))})
	b.curBytes += size
	b.count++
	b.last = c.key
	return nil
}

// closeTx moves the finished transaction's events to the done list.
func (b *batcher) closeTx(ctx context.Context) error {
	if b.commit.IsZero() {
		return nil
	}
	b.txs++
	b.done = append(b.done, b.cur...)
	b.doneBytes += b.curBytes
	b.cur, b.curBytes = nil, 0
	b.doneCommit = b.commit
	if len(b.done) >= b.max || b.doneBytes >= b.r.cfg.MaxBatchBytes {
		return b.flushDone(ctx)
	}
	return nil
}

func (b *batcher) flushDone(ctx context.Context) error {
	p := b.pos.clone()
	p.Stream = StreamPosition{CommitLSN: b.doneCommit}
	events := b.done
	b.done, b.doneBytes = nil, 0
	return b.send(ctx, events, p)
}

func (b *batcher) finish(ctx context.Context) error {
	if err := b.closeTx(ctx); err != nil {
		return err
	}
	if len(b.done) > 0 {
		return b.flushDone(ctx)
	}
	return nil
}

func (b *batcher) send(ctx context.Context, events []*event.Event, p Position) error {
	if len(events) == 0 {
		return nil
	}
	// The last event is of p.Stream.CommitLSN's transaction, whether whole
	// or split.
	p.Stream.CommitMs = events[len(events)-1].Source.TsMs
	if err := b.emit(ctx, Batch{Events: events, Position: p}); err != nil {
		return err
	}
	// A copy: the batch handed out keeps p, and the reader goes on to
	// change its own position's tables (a table snapshotted again, a late
	// table), which must not reach a batch already emitted.
	*b.pos = p.clone()
	b.emitted += len(events)
	txs := b.txs
	b.txs = 0
	last := events[len(events)-1].Source
	b.r.update(func(pr *Progress) {
		pr.StreamEvents += int64(len(events))
		pr.StreamTransactions += txs
		pr.LastCommitLSN = last.CommitLSN
		pr.LastCommitTime = time.UnixMilli(last.TsMs).UTC()
	})
	return nil
}

// lsnTimes caches commit times of commit LSNs, a page of
// cdc.lsn_time_mapping at a time.
type lsnTimes struct {
	m map[lsn.LSN]int64
}

const lsnTimePage = 1000

// commitTime returns the commit time (Unix ms) of a transaction. SQL Server
// records it in the server's local time without a zone; it is read as UTC.
func (r *Reader) commitTime(ctx context.Context, l lsn.LSN) (int64, error) {
	if ms, ok := r.times.m[l]; ok {
		return ms, nil
	}
	rows, err := r.db.QueryContext(ctx, qLSNTimes, int64(lsnTimePage), l.Bytes())
	if err != nil {
		return 0, fmt.Errorf("read cdc.lsn_time_mapping from %s: %w", l, err)
	}
	m := make(map[lsn.LSN]int64, lsnTimePage)
	for rows.Next() {
		var b []byte
		var begin, end sql.NullTime
		if err := rows.Scan(&b, &begin, &end); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read cdc.lsn_time_mapping: %w", err)
		}
		k, err := lsn.FromBytes(b)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("read cdc.lsn_time_mapping: %w", err)
		}
		t := end
		if !t.Valid {
			t = begin
		}
		if t.Valid {
			m[k] = wallUTC(t.Time).UnixMilli()
		}
	}
	if err := closeRows(rows); err != nil {
		return 0, fmt.Errorf("read cdc.lsn_time_mapping: %w", err)
	}
	ms, ok := m[l]
	if !ok {
		// Not mapped (should not happen for a commit LSN): use the read time
		// rather than fail, and remember it.
		ms = time.Now().UnixMilli()
		m[l] = ms
	}
	r.times.m = m
	return ms, nil
}

package source

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// snapshot reads every table whose snapshot is not done, emitting a batch
// per chunk, then marks the snapshot done. Config.SnapshotParallelism
// readers share the work (whole tables, or key ranges of large ones), each
// in its own transaction; with one, tables are read one after the other.
func (r *Reader) snapshot(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	log := r.cfg.Logger
	_, snapOK, err := checkDatabase(ctx, r.db, r.cfg.Database)
	if err != nil {
		return err
	}
	if pos.Snapshot.Tables == nil {
		pos.Snapshot.Tables = map[string]TableSnapshot{}
	}
	var total int64
	tablesDone := 0
	perTable := make([]TableProgress, 0, len(r.tables))
	sysTables, err := readTables(ctx, r.db)
	if err != nil {
		return err
	}
	var units []snapUnit
	for _, ts := range r.tables {
		st := pos.Snapshot.Tables[ts.key]
		if st.Done {
			tablesDone++
			perTable = append(perTable, TableProgress{Table: ts.key, RowsDone: st.Rows, RowsTotal: st.Rows, Done: true})
			continue
		}
		if st.InstanceMinLSN.IsZero() {
			if st.InstanceMinLSN, err = r.minLSN(ctx, ts.t.CaptureInstance); err != nil {
				return err
			}
		}
		var objectID int64
		if t, ok := findTable(sysTables, ts.t.Schema, ts.t.Name); ok {
			objectID = t.ObjectID
		}
		n := r.estimateRows(ctx, ts, objectID)
		if n > st.Rows {
			total += n - st.Rows
		}
		st.Estimate = max(n, st.Rows)
		if st.StartedMs == 0 {
			st.StartedMs = time.Now().UnixMilli()
		}
		if err := r.splitTable(ctx, ts, &st); err != nil {
			return err
		}
		pos.Snapshot.Tables[ts.key] = st
		perTable = append(perTable, TableProgress{Table: ts.key, RowsDone: st.Rows, RowsTotal: st.Estimate})
		if len(st.Ranges) == 0 {
			units = append(units, snapUnit{ts: ts, rng: -1})
		}
		for i, kr := range st.Ranges {
			if !kr.Done {
				units = append(units, snapUnit{ts: ts, rng: i})
			}
		}
	}
	r.update(func(p *Progress) {
		p.SnapshotTables, p.SnapshotTablesDone, p.SnapshotRowsTotal = len(r.tables), tablesDone, total
		p.Tables = perTable
	})

	iso := sql.LevelSnapshot
	if !snapOK {
		iso = sql.LevelReadCommitted
		log.Warn("source: database does not allow SNAPSHOT isolation; reading the snapshot under READ COMMITTED. "+
			"The change stream then starts from an LSN taken before the rows are read, so changes made during the read "+
			"are delivered again and resolved by the target's idempotent upserts; the target is consistent once streaming passes the read. "+
			"For a consistent snapshot run: ALTER DATABASE "+quoteName(r.cfg.Database)+" SET ALLOW_SNAPSHOT_ISOLATION ON",
			"database", r.cfg.Database)
	}
	// At least one reader, even with nothing left to read, so that a
	// snapshot that never recorded its LSN records one.
	readers := max(1, min(r.cfg.SnapshotParallelism, len(units)))
	log.Info("source: snapshot started", "database", r.cfg.Database, "isolation", iso.String(), "readers", readers,
		"tables", len(r.tables), "tables_done", tablesDone, "parts_to_read", len(units), "rows_estimated", total)

	s := &snapRun{r: r, pos: pos, emit: emit, pr: newProgressLog(r, total), initial: true}
	queue := make(chan snapUnit, len(units))
	for _, u := range units {
		queue <- u
	}
	close(queue)
	// The readers share ctx and stop at their next chunk once one failed
	// (snapRun.err), rather than through a canceled context: go-mssqldb
	// can hand back a connection whose rollback was interrupted by a
	// cancellation still being read (a data race on the session).
	var g errgroup.Group
	for range readers {
		g.Go(func() error { return s.fail(s.reader(ctx, iso, queue)) })
	}
	if err := g.Wait(); err != nil {
		return s.first(err)
	}
	pos.Snapshot.Done = true
	if err := emit(ctx, Batch{Position: pos.clone()}); err != nil {
		return err
	}
	log.Info("source: snapshot done", "database", r.cfg.Database, "rows", s.pr.done, "elapsed", time.Since(s.pr.start).Round(time.Millisecond),
		"position", pos.String())
	return nil
}

// snapUnit is one part of the snapshot read by one reader: a whole table
// (rng < 0) or one of its key ranges (TableSnapshot.Ranges[rng]).
type snapUnit struct {
	ts  *tableState
	rng int
}

// snapRun is what a snapshot's readers share. They read chunks in
// parallel and emit them one at a time under mu, which guards pos, pr and
// err: a batch's Position then holds every part's progress up to it.
type snapRun struct {
	r       *Reader
	emit    func(context.Context, Batch) error
	initial bool // the initial snapshot, counted in Progress.SnapshotTablesDone

	mu  sync.Mutex
	pos *Position
	pr  *progressLog
	err error // the first error of any reader: no batch is emitted after it
}

// fail records err, if it is the first, so that the other readers stop;
// it returns err.
func (s *snapRun) fail(err error) error {
	if err != nil {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return err
}

// first is the first error recorded, else err.
func (s *snapRun) first(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return err
}

// failed is the first error recorded by any reader, nil while none is.
func (s *snapRun) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// reader reads parts from queue in one transaction, on its own connection,
// until the queue is empty.
func (s *snapRun) reader(ctx context.Context, iso sql.IsolationLevel, queue <-chan snapUnit) error {
	r := s.r
	// ReadOnly is not set: go-mssqldb refuses read-only transactions.
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{Isolation: iso})
	if err != nil {
		return fmt.Errorf("begin a snapshot transaction on %s: %w", r.cfg.Database, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only work; nothing to undo
	// The first read in the transaction fixes its SNAPSHOT point, so the LSN
	// and every row after it are consistent.
	snapLSN, err := maxLSN(ctx, tx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	pos := s.pos
	// Streaming starts after the oldest read point of any chunk emitted
	// (see doc.go); set before this reader emits anything.
	if !pos.Snapshot.Started || snapLSN.Compare(pos.Snapshot.LSN) < 0 {
		pos.Snapshot.Started, pos.Snapshot.LSN = true, snapLSN
	}
	from := pos.Snapshot.LSN
	s.mu.Unlock()
	r.cfg.Logger.Info("source: snapshot reader started", "database", r.cfg.Database, "snapshot_lsn", snapLSN.String(),
		"stream_from_after", from.String())
	for u := range queue {
		if err := s.failed(); err != nil {
			return err
		}
		if err := s.read(ctx, tx, u, snapLSN); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end a snapshot transaction on %s: %w", r.cfg.Database, err)
	}
	return nil
}

// read reads one part in key order, chunk by chunk. It asks for one row
// more than it emits, to know which chunk is the part's last; the last row
// of the part that ends a table is marked "last".
func (s *snapRun) read(ctx context.Context, tx *sql.Tx, u snapUnit, snapLSN lsn.LSN) error {
	r, ts := s.r, u.ts
	n := r.cfg.chunkRows()
	s.mu.Lock()
	st := s.pos.Snapshot.Tables[ts.key]
	part := KeyRange{Rows: st.Rows, LastKey: st.LastKey}
	if u.rng >= 0 {
		part = st.Ranges[u.rng]
	}
	s.pr.begin(ts, st.Rows)
	s.mu.Unlock()
	for {
		if err := s.failed(); err != nil {
			return err
		}
		args, err := chunkArgs(ts, part, n+1)
		if err != nil {
			return err
		}
		query := qSnapshotRange(ts.t, part.LastKey != nil, part.From != "", part.To != "")
		rowsRead, size, cut, err := r.readChunk(ctx, tx, ts, query, args, n)
		if err != nil {
			return err
		}
		last := len(rowsRead) <= n && !cut
		if len(rowsRead) > n {
			rowsRead = rowsRead[:n]
		}
		// Large values: the next chunks ask for as many rows as fit in
		// MaxBatchBytes at this chunk's average size.
		if len(rowsRead) > 0 && size > 0 {
			n = int(min(int64(r.cfg.chunkRows()), max(1, r.cfg.MaxBatchBytes*int64(len(rowsRead))/size)))
		}
		now := time.Now().UnixMilli()
		events := make([]*event.Event, len(rowsRead))
		for i, row := range rowsRead {
			events[i] = &event.Event{Table: ts.t, Op: event.OpRead, After: row, TsMs: now,
				Source: r.sourceBlock(ts, "true", now, lsn.Zero, snapLSN, 0)}
		}
		if len(rowsRead) > 0 {
			key := make([]string, len(ts.keyIdx))
			for i, j := range ts.keyIdx {
				if key[i], err = keyText(&ts.t.Columns[j], rowsRead[len(rowsRead)-1][j]); err != nil {
					return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
				}
			}
			part.LastKey = key
		}
		part.Rows += int64(len(rowsRead))
		part.Done = last
		if err := s.commit(ctx, u, part, events, now); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// chunkArgs are qSnapshotRange's parameters for the next chunk of part:
// the row count, the last key read, the range's bounds.
func chunkArgs(ts *tableState, part KeyRange, top int) ([]any, error) {
	args := []any{int64(top)}
	param := func(col *catalog.Column, text string) error {
		v, err := keyValue(col, text)
		if err != nil {
			return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
		}
		p, err := keyParam(col, v)
		if err != nil {
			return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
		}
		args = append(args, p)
		return nil
	}
	if part.LastKey != nil {
		if len(part.LastKey) != len(ts.keyIdx) {
			return nil, fmt.Errorf("table %s: saved snapshot key has %d values, the primary key %d columns: the key changed; take a new snapshot",
				ts.t.QualifiedName(), len(part.LastKey), len(ts.keyIdx))
		}
		for i, j := range ts.keyIdx {
			if err := param(&ts.t.Columns[j], part.LastKey[i]); err != nil {
				return nil, err
			}
		}
	}
	for _, b := range []string{part.From, part.To} {
		if b != "" {
			if err := param(&ts.t.Columns[ts.keyIdx[0]], b); err != nil {
				return nil, err
			}
		}
	}
	return args, nil
}

// commit records part's progress in the shared position and emits the
// chunk's events with it, one reader at a time.
func (s *snapRun) commit(ctx context.Context, u snapUnit, part KeyRange, events []*event.Event, now int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	ts, pos := u.ts, s.pos
	st := pos.Snapshot.Tables[ts.key]
	before := st.Rows
	if u.rng < 0 {
		st.Rows, st.LastKey, st.Done = part.Rows, part.LastKey, part.Done
	} else {
		st.Ranges = slices.Clone(st.Ranges)
		st.Ranges[u.rng] = part
		st.Rows, st.Done = 0, true
		for _, kr := range st.Ranges {
			st.Rows += kr.Rows
			st.Done = st.Done && kr.Done
		}
	}
	st.UpdatedMs = now
	if st.StartedMs == 0 { // a table that joined while streaming
		st.StartedMs = now
	}
	pos.Snapshot.Tables[ts.key] = st
	if st.Done && len(events) > 0 {
		events[len(events)-1].Source.Snapshot = "last"
	}
	if len(events) > 0 || part.Done {
		if err := s.emit(ctx, Batch{Events: events, Position: pos.clone()}); err != nil {
			s.err = err // under mu: the other readers stop
			return err
		}
	}
	s.pr.add(ts, st.Rows-before, st.Done)
	if st.Done {
		if s.initial {
			s.r.update(func(p *Progress) { p.SnapshotTablesDone++ })
		}
		s.r.cfg.Logger.Info("source: table snapshot done", "table", ts.t.QualifiedName(), "rows", st.Rows)
	}
	return nil
}

// readChunk reads the rows of one snapshot query, and their value bytes.
// It stops early (cut) once they reach MaxBatchBytes: the rest is read by
// the next chunk, after the last key read.
func (r *Reader) readChunk(ctx context.Context, tx *sql.Tx, ts *tableState, query string, args []any, n int) (out []event.Row, size int64, cut bool, err error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, false, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
	}
	out = make([]event.Row, 0, min(n+1, 1024))
	vals := make([]any, len(ts.t.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, 0, false, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
		}
		row := make(event.Row, len(vals))
		for i := range vals {
			if row[i], err = convert(&ts.t.Columns[i], vals[i]); err != nil {
				rows.Close()
				return nil, 0, false, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
			}
		}
		out = append(out, row)
		size += rowBytes(row)
		if size >= r.cfg.MaxBatchBytes && len(out) <= n {
			cut = true
			break
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, 0, false, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
	}
	return out, size, cut, nil
}

// rowBytes is about the memory a row's values hold: the bytes of text and
// binary values, 8 for the others.
func rowBytes(row event.Row) int64 {
	var n int64
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += int64(len(x))
		case []byte:
			n += int64(len(x))
		default:
			n += 8
		}
	}
	return n
}

func (r *Reader) sourceBlock(ts *tableState, snap string, tsMs int64, change, commit lsn.LSN, serial int64) event.Source {
	var inc string
	if p := r.incarnation.Load(); p != nil {
		inc = *p
	}
	return event.Source{Version: r.cfg.Version, Connector: "sqlserver", Name: r.cfg.Name, TsMs: tsMs, Snapshot: snap,
		Db: ts.t.Database, Schema: ts.t.Schema, Table: ts.t.Name, ChangeLSN: change, CommitLSN: commit, EventSerialNo: serial,
		Incarnation: event.TableIncarnation(inc, ts.resnapshot)}
}

// estimateRows returns the table's row count from sys.partitions, else
// COUNT_BIG(*), else 0; it is only for progress, so errors are logged.
func (r *Reader) estimateRows(ctx context.Context, ts *tableState, objectID int64) int64 {
	if objectID != 0 {
		if rows, err := r.db.QueryContext(ctx, qPartitionRows, objectID); err == nil {
			var sum int64
			found := false
			for rows.Next() {
				var idx, n int64
				if rows.Scan(&idx, &n) == nil && idx <= 1 {
					sum += n
					found = true
				}
			}
			if closeRows(rows) == nil && found {
				return sum
			}
		}
	}
	var n int64
	if err := r.db.QueryRowContext(ctx, qCountRows(ts.t)).Scan(&n); err != nil {
		r.cfg.Logger.Debug("source: cannot count rows for progress", "table", ts.t.QualifiedName(), "err", err)
		return 0
	}
	return n
}

// progressLog logs the snapshot's rows done, rate and ETA every few seconds.
type progressLog struct {
	r        *Reader
	total    int64
	done     int64
	start    time.Time
	lastLog  time.Time
	interval time.Duration
	// tables holds when this run began reading each table and the rows it
	// had then, for the table's own rate and ETA: with several readers,
	// tables start at different times.
	tables map[string]tableMark
}

type tableMark struct {
	at   time.Time
	rows int64
}

func newProgressLog(r *Reader, total int64) *progressLog {
	now := time.Now()
	interval := r.cfg.ProgressLogInterval
	if interval == 0 {
		interval = 5 * time.Second
	}
	return &progressLog{r: r, total: total, start: now, lastLog: now, interval: interval, tables: map[string]tableMark{}}
}

// begin notes that a reader starts on the table, which had rows done.
func (p *progressLog) begin(ts *tableState, rows int64) {
	if _, ok := p.tables[ts.key]; !ok {
		p.tables[ts.key] = tableMark{at: time.Now(), rows: rows}
	}
}

func (p *progressLog) add(ts *tableState, n int64, done bool) {
	p.done += n
	var table TableProgress
	p.r.update(func(pr *Progress) {
		pr.SnapshotRowsDone += n
		i := slices.IndexFunc(pr.Tables, func(t TableProgress) bool { return t.Table == ts.key })
		if i < 0 { // a table that joined while streaming
			pr.Tables, i = append(pr.Tables, TableProgress{Table: ts.key}), len(pr.Tables)
		}
		t := &pr.Tables[i]
		t.RowsDone += n
		t.RowsTotal = max(t.RowsTotal, t.RowsDone)
		t.Done = done
		table = *t
	})
	now := time.Now()
	if p.interval < 0 || now.Sub(p.lastLog) < p.interval {
		return
	}
	p.lastLog = now
	rate := float64(p.done) / max(now.Sub(p.start).Seconds(), 1e-3)
	attrs := []any{"table", ts.t.QualifiedName(), "table_rows_done", table.RowsDone, "table_rows_total", table.RowsTotal}
	if m, ok := p.tables[ts.key]; ok && !done {
		trate := float64(table.RowsDone-m.rows) / max(now.Sub(m.at).Seconds(), 1e-3)
		attrs = append(attrs, "table_rows_per_sec", int64(trate))
		if eta, ok := etaOf(table.RowsTotal-table.RowsDone, trate); ok {
			attrs = append(attrs, "table_eta", eta)
		}
	}
	attrs = append(attrs, "rows_done", p.done, "rows_total", p.total, "rows_per_sec", int64(rate))
	if eta, ok := etaOf(p.total-p.done, rate); ok {
		attrs = append(attrs, "eta", eta)
	}
	p.r.cfg.Logger.Info("source: snapshot progress", attrs...)
}

// etaOf is the time left for rows at rate rows per second.
func etaOf(rows int64, rate float64) (time.Duration, bool) {
	if rows <= 0 || rate <= 0 {
		return 0, false
	}
	return time.Duration(float64(rows) / rate * float64(time.Second)).Round(time.Second), true
}

// splitTable splits a table whose snapshot has not started into key ranges
// read in parallel, when parallelism is on, the table is estimated at two
// chunks or more and its first key column is an integer. The boundaries
// divide [MIN, MAX] of that column evenly: two index seeks at the ends of
// the clustered key, where sampled boundaries (TABLESAMPLE, NTILE) would
// read much of the table first. Identity and sequence keys, the common
// case, are close to uniform; skewed keys only make the ranges uneven
// (less parallel), never wrong, since the first and last ranges are open
// and together the ranges cover every value. Other key types are read as
// one range, in parallel with other tables.
func (r *Reader) splitTable(ctx context.Context, ts *tableState, st *TableSnapshot) error {
	chunk := int64(r.cfg.chunkRows())
	if r.cfg.SnapshotParallelism < 2 || st.Rows > 0 || st.LastKey != nil || st.Ranges != nil || st.Estimate < 2*chunk || len(ts.keyIdx) == 0 {
		return nil
	}
	switch ts.t.Columns[ts.keyIdx[0]].Type {
	case "tinyint", "smallint", "int", "bigint":
	default:
		return nil
	}
	var lo, hi sql.NullInt64
	if err := r.db.QueryRowContext(ctx, qKeyBounds(ts.t)).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("read the lowest and highest key of %s to split its snapshot into ranges: %w", ts.t.QualifiedName(), err)
	}
	if !lo.Valid || !hi.Valid {
		return nil
	}
	parts := int(min(int64(r.cfg.SnapshotParallelism), (st.Estimate+chunk-1)/chunk))
	if ranges := splitRange(lo.Int64, hi.Int64, parts); len(ranges) > 1 {
		st.Ranges = ranges
		r.cfg.Logger.Info("source: table snapshot split into key ranges", "table", ts.t.QualifiedName(),
			"key_column", ts.t.PrimaryKey[0], "ranges", len(ranges), "min", lo.Int64, "max", hi.Int64)
	}
	return nil
}

// splitRange divides [lo, hi] into up to n ranges of about equal width
// (fewer when there are fewer values); the first is open below and the
// last open above.
func splitRange(lo, hi int64, n int) []KeyRange {
	if hi < lo || n < 2 {
		return []KeyRange{{}}
	}
	// Unsigned arithmetic: the count of values, hi - lo + 1, may not fit
	// in an int64 (nor, for the whole bigint range, in a uint64).
	span, un := uint64(hi)-uint64(lo), uint64(n)
	if span < math.MaxUint64 {
		span++
	}
	var bounds []int64
	for i := uint64(1); i < un; i++ {
		off := span/un*i + span%un*i/un
		b := int64(uint64(lo) + off)
		if b > lo && (len(bounds) == 0 || b > bounds[len(bounds)-1]) {
			bounds = append(bounds, b)
		}
	}
	out := make([]KeyRange, 0, len(bounds)+1)
	from := ""
	for _, b := range bounds {
		to := strconv.FormatInt(b, 10)
		out = append(out, KeyRange{From: from, To: to})
		from = to
	}
	return append(out, KeyRange{From: from})
}

package source

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// snapshot reads every table whose snapshot is not done, in one transaction,
// emitting a batch per chunk, then marks the snapshot done.
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
			pos.Snapshot.Tables[ts.key] = st
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
		pos.Snapshot.Tables[ts.key] = st
		perTable = append(perTable, TableProgress{Table: ts.key, RowsDone: st.Rows, RowsTotal: st.Estimate})
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
	// ReadOnly is not set: go-mssqldb refuses read-only transactions.
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{Isolation: iso})
	if err != nil {
		return fmt.Errorf("begin the snapshot transaction on %s: %w", r.cfg.Database, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only work; nothing to undo
	// The first read in the transaction fixes its SNAPSHOT point, so the LSN
	// and every row after it are consistent.
	snapLSN, err := maxLSN(ctx, tx)
	if err != nil {
		return err
	}
	if !pos.Snapshot.Started || snapLSN.Compare(pos.Snapshot.LSN) < 0 {
		pos.Snapshot.Started, pos.Snapshot.LSN = true, snapLSN
	}
	log.Info("source: snapshot started", "database", r.cfg.Database, "snapshot_lsn", snapLSN.String(),
		"stream_from_after", pos.Snapshot.LSN.String(), "isolation", iso.String(),
		"tables", len(r.tables), "tables_done", tablesDone, "rows_estimated", total)

	pr := newProgressLog(r, total)
	for _, ts := range r.tables {
		if pos.Snapshot.Tables[ts.key].Done {
			continue
		}
		if err := r.snapshotTable(ctx, tx, ts, snapLSN, pos, emit, pr); err != nil {
			return err
		}
		r.update(func(p *Progress) { p.SnapshotTablesDone++ })
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end the snapshot transaction on %s: %w", r.cfg.Database, err)
	}
	pos.Snapshot.Done = true
	if err := emit(ctx, Batch{Position: pos.clone()}); err != nil {
		return err
	}
	log.Info("source: snapshot done", "database", r.cfg.Database, "rows", pr.done, "elapsed", time.Since(pr.start).Round(time.Millisecond),
		"position", pos.String())
	return nil
}

// snapshotTable reads one table in key order, chunk by chunk. It asks for
// one row more than it emits, to know which chunk is the last and mark its
// last row "last".
func (r *Reader) snapshotTable(ctx context.Context, tx *sql.Tx, ts *tableState, snapLSN lsn.LSN, pos *Position, emit func(context.Context, Batch) error, pr *progressLog) error {
	n := r.cfg.chunkRows()
	st := pos.Snapshot.Tables[ts.key]
	for {
		args := []any{int64(n + 1)}
		if st.LastKey != nil {
			if len(st.LastKey) != len(ts.keyIdx) {
				return fmt.Errorf("table %s: saved snapshot key has %d values, the primary key %d columns: the key changed; take a new snapshot",
					ts.t.QualifiedName(), len(st.LastKey), len(ts.keyIdx))
			}
			for i, j := range ts.keyIdx {
				col := &ts.t.Columns[j]
				v, err := keyValue(col, st.LastKey[i])
				if err != nil {
					return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
				}
				p, err := keyParam(col, v)
				if err != nil {
					return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
				}
				args = append(args, p)
			}
		}
		rowsRead, err := r.readChunk(ctx, tx, ts, qSnapshotChunk(ts.t, st.LastKey != nil), args, n)
		if err != nil {
			return err
		}
		last := len(rowsRead) <= n
		if !last {
			rowsRead = rowsRead[:n]
		}
		now := time.Now().UnixMilli()
		events := make([]*event.Event, len(rowsRead))
		for i, row := range rowsRead {
			snap := "true"
			if last && i == len(rowsRead)-1 {
				snap = "last"
			}
			events[i] = &event.Event{Table: ts.t, Op: event.OpRead, After: row, TsMs: now,
				Source: r.sourceBlock(ts, snap, now, lsn.Zero, snapLSN, 0)}
		}
		if len(rowsRead) > 0 {
			key := make([]string, len(ts.keyIdx))
			for i, j := range ts.keyIdx {
				if key[i], err = keyText(&ts.t.Columns[j], rowsRead[len(rowsRead)-1][j]); err != nil {
					return fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
				}
			}
			st.LastKey = key
		}
		st.Rows += int64(len(rowsRead))
		st.Done = last
		st.UpdatedMs = now
		if st.StartedMs == 0 { // a table that joined while streaming
			st.StartedMs = now
		}
		pos.Snapshot.Tables[ts.key] = st
		if len(events) > 0 || last {
			if err := emit(ctx, Batch{Events: events, Position: pos.clone()}); err != nil {
				return err
			}
		}
		pr.add(ts, int64(len(rowsRead)), last)
		if last {
			r.cfg.Logger.Info("source: table snapshot done", "table", ts.t.QualifiedName(), "rows", st.Rows)
			return nil
		}
	}
}

func (r *Reader) readChunk(ctx context.Context, tx *sql.Tx, ts *tableState, query string, args []any, n int) ([]event.Row, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
	}
	out := make([]event.Row, 0, n+1)
	vals := make([]any, len(ts.t.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
		}
		row := make(event.Row, len(vals))
		for i := range vals {
			if row[i], err = convert(&ts.t.Columns[i], vals[i]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
			}
		}
		out = append(out, row)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", ts.t.QualifiedName(), err)
	}
	return out, nil
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
}

func newProgressLog(r *Reader, total int64) *progressLog {
	now := time.Now()
	interval := r.cfg.ProgressLogInterval
	if interval == 0 {
		interval = 5 * time.Second
	}
	return &progressLog{r: r, total: total, start: now, lastLog: now, interval: interval}
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
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(p.done) / max(elapsed, 1e-3)
	attrs := []any{"table", ts.t.QualifiedName(), "table_rows_done", table.RowsDone, "table_rows_total", table.RowsTotal,
		"rows_done", p.done, "rows_total", p.total, "rows_per_sec", int64(rate)}
	if p.total > p.done && rate > 0 {
		attrs = append(attrs, "eta", time.Duration(float64(p.total-p.done)/rate*float64(time.Second)).Round(time.Second))
	}
	p.r.cfg.Logger.Info("source: snapshot progress", attrs...)
}

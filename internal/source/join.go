package source

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// joinTables adds the tables enabled for CDC since the reader started that
// match the selection, snapshots each and streams it from the current
// position on; it also finishes snapshots of tables that joined before a
// restart.
func (r *Reader) joinTables(ctx context.Context, v *schemaView, pos *Position, emit func(context.Context, Batch) error) error {
	reading := map[int64]bool{}
	for _, ts := range r.tables {
		if sys, ok := findTable(v.tables, ts.t.Schema, ts.t.Name); ok {
			reading[sys.ObjectID] = true
		}
	}
	var ids []int64
	for id := range v.instances {
		if !reading[id] {
			ids = append(ids, id)
		}
	}
	// Table order, so that several tables join in a stable order.
	sortByName(ids, v.tables)
	for _, id := range ids {
		st, ok := v.tables[id]
		if !ok || !r.selects(st) || r.refused[id] {
			continue
		}
		ins := v.instances[id]
		newest := ins[len(ins)-1]
		t, warnings, err := describeTable(ctx, r.db, r.cfg.Database, st, newest, v.types)
		if err != nil {
			// No primary key, say: say so once and leave the table out.
			if r.refused == nil {
				r.refused = map[int64]bool{}
			}
			r.refused[id] = true
			r.cfg.Logger.Error("source: a table enabled for CDC cannot be synchronized", "table", st.Schema+"."+st.Name, "err", err)
			continue
		}
		for _, w := range warnings {
			r.cfg.Logger.Warn(w.String())
		}
		if r.cfg.OnNewTable != nil {
			if err := r.cfg.OnNewTable(ctx, t); err != nil {
				return fmt.Errorf("table %s joined: %w", t.QualifiedName(), err)
			}
		}
		ts := &tableState{t: t, key: t.Schema + "." + t.Name, objectID: id}
		if err := r.prepare(ctx, ts, newest); err != nil {
			return err
		}
		r.tables = append(r.tables, ts)
		r.cfg.Logger.Info("source: table enabled for CDC joins", "table", t.QualifiedName(), "capture_instance", newest.Name)
	}
	return r.finishLateSnapshots(ctx, pos, emit)
}

// finishLateSnapshots snapshots the tables whose snapshot is not done while
// streaming: tables that joined, and tables whose changes were lost to
// cleanup (markLost).
func (r *Reader) finishLateSnapshots(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	for _, ts := range r.tables {
		if st := pos.Snapshot.Tables[ts.key]; ts.stopped == "" && pos.Snapshot.Done && !st.Done {
			if r.cfg.NoSnapshot {
				// Full data synchronization is off: the table streams
				// from here on without its existing rows.
				if pos.Snapshot.Tables == nil {
					pos.Snapshot.Tables = map[string]TableSnapshot{}
				}
				pos.Snapshot.Tables[ts.key] = TableSnapshot{Done: true}
				continue
			}
			if err := r.snapshotLate(ctx, ts, pos, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reader) selects(st sysTable) bool {
	if r.cfg.Select != nil && !r.cfg.Select(st.Schema, st.Name) {
		return false
	}
	if len(r.cfg.Tables) == 0 {
		return true
	}
	for _, name := range r.cfg.Tables {
		if schema, table, err := splitName(name); err == nil && strings.EqualFold(schema, st.Schema) && strings.EqualFold(table, st.Name) {
			return true
		}
	}
	return false
}

func sortByName(ids []int64, tables map[int64]sysTable) {
	name := func(id int64) string { return tables[id].Schema + "." + tables[id].Name }
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && name(ids[j]) < name(ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// snapshotLate snapshots one table while the others stream, as the initial
// snapshot does (SNAPSHOT isolation, chunks, resumable). The stream position
// stays where it is: the table's changes after it are streamed with the
// others', and those its snapshot already holds are older than the
// snapshot's LSN, which the target's guarded upserts ignore.
func (r *Reader) snapshotLate(ctx context.Context, ts *tableState, pos *Position, emit func(context.Context, Batch) error) error {
	st := pos.Snapshot.Tables[ts.key]
	if st.InstanceMinLSN.IsZero() {
		var err error
		if st.InstanceMinLSN, err = r.minLSN(ctx, ts.t.CaptureInstance); err != nil {
			return err
		}
		pos.Snapshot.Tables[ts.key] = st
	}
	_, snapOK, err := checkDatabase(ctx, r.db, r.cfg.Database)
	if err != nil {
		return err
	}
	iso := sql.LevelSnapshot
	if !snapOK {
		iso = sql.LevelReadCommitted
	}
	tx, err := r.db.BeginTx(ctx, &sql.TxOptions{Isolation: iso})
	if err != nil {
		return fmt.Errorf("begin the snapshot transaction of %s: %w", ts.t.QualifiedName(), err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only work; nothing to undo
	snapLSN, err := maxLSN(ctx, tx)
	if err != nil {
		return err
	}
	r.cfg.Logger.Info("source: snapshot of one table while the others stream", "table", ts.t.QualifiedName(), "snapshot_lsn", snapLSN.String(),
		"isolation", iso.String(), "rows_done", st.Rows)
	s := &snapRun{r: r, pos: pos, emit: emit, pr: newProgressLog(r, 0)}
	if err := s.read(ctx, tx, snapUnit{ts: ts, rng: -1}, snapLSN); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end the snapshot transaction of %s: %w", ts.t.QualifiedName(), err)
	}
	return nil
}

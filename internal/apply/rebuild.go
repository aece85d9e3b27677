package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// Rebuild says what Applier.Rebuild replaces: the target tables a topic
// feeds, for a consumer group.
type Rebuild struct {
	Group string
	Topic string
	// TopicID and ClusterID are stored with the new offsets.
	TopicID   string
	ClusterID string
	// Partitions are every partition of the topic.
	Partitions []int32
	// SkipIfCurrent skips the rebuild when every stored offset of the topic
	// already refers to TopicID: another member of the group rebuilt it.
	SkipIfCurrent bool
}

// RebuildSource is what a rebuild reads: a topic's events from its start up
// to its end, which Rebuild asks for once it holds the group's offsets.
type RebuildSource interface {
	// End returns each partition's end (its last stable offset): the
	// offsets stored once the rebuild is done.
	End(ctx context.Context) (map[int32]int64, error)
	// Next returns the next chunk of events below the end, in Kafka order
	// per partition; an empty chunk at the end.
	Next(ctx context.Context) ([]*event.Event, error)
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Tables  []string // the target tables replaced, quoted
	Events  int      // events applied
	Skipped int      // events of an older life of the source database, left out
	// AlreadyDone is set when SkipIfCurrent found the topic rebuilt.
	AlreadyDone bool
}

// Rebuild replaces the rows of the target tables fed by r.Topic with what
// src holds (the topic's events from its start), in one transaction, and
// stores the topic's end as the group's offsets: readers see the old rows
// until the commit and the new ones after it, never a half-empty table.
//
// The group's offsets of every partition of the topic are locked before the
// end is read (where the dialect locks them), so no member of the group can
// have applied past the end the rebuild stores.
//
// When the topic holds events of several lives of the source database (the
// producer took a new snapshot after the database was recreated), only the
// latest life's events are kept. Events of another source table than the
// one recorded for a target are refused with a *SourceConflictError.
func (a *Applier) Rebuild(ctx context.Context, r Rebuild, src RebuildSource) (RebuildResult, error) {
	var res RebuildResult
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("rebuild from %s: begin transaction: %w", r.Topic, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// Offsets rows for every partition, so that locking them holds back a
	// member about to apply a partition for the first time too.
	if _, err := tx.Exec(ctx, "INSERT INTO "+quote(a.bk)+".consumer_offsets (group_id, topic, partition, next_offset)\n"+
		"SELECT $1, $2, p, 0 FROM unnest($3::integer[]) AS p\nON CONFLICT (group_id, topic, partition) DO NOTHING",
		r.Group, r.Topic, r.Partitions); err != nil {
		return res, fmt.Errorf("rebuild from %s: %w", r.Topic, err)
	}
	b := Batch{Group: r.Group}
	for _, p := range r.Partitions {
		b.Offsets = append(b.Offsets, Offset{Topic: r.Topic, Partition: p})
	}
	stored, err := a.lockOffsets(ctx, tx, b)
	if err != nil {
		return res, err
	}
	if r.SkipIfCurrent && r.TopicID != "" {
		current := true
		for _, p := range r.Partitions {
			if st := stored[tp{r.Topic, p}]; st.TopicID != r.TopicID {
				current = false
			}
		}
		if current {
			res.AlreadyDone = true
			return res, nil
		}
	}
	end, err := src.End(ctx)
	if err != nil {
		return res, fmt.Errorf("rebuild from %s: %w", r.Topic, err)
	}
	rb := &rebuilder{a: a, tx: tx, topic: r.Topic, kept: map[string]event.Identity{}, cleared: map[string]bool{}}
	// The tables this topic fed before are emptied even if the topic has
	// nothing for them now.
	if err := rb.clearRecorded(ctx); err != nil {
		return res, err
	}
	pending := map[string]map[string]bool{}
	for {
		events, err := src.Next(ctx)
		if err != nil {
			return res, fmt.Errorf("rebuild from %s: %w", r.Topic, err)
		}
		if len(events) == 0 {
			break
		}
		keep, err := rb.filter(ctx, events)
		if err != nil {
			return res, err
		}
		res.Skipped += len(events) - len(keep)
		if err := a.applyEvents(ctx, tx, keep, nil, pending, true, a.newApplyState()); err != nil {
			return res, fmt.Errorf("rebuild from %s: %w", r.Topic, err)
		}
		res.Events += len(keep)
	}
	for k, id := range rb.kept {
		parts := strings.SplitN(k, "\x00", 3)
		if err := a.recordSource(ctx, tx, parts[0], parts[1], found{id: id, topic: r.Topic}); err != nil {
			return res, err
		}
		if t := (&TargetTable{Schema: parts[0], Name: parts[1]}).Ident(); !slices.Contains(res.Tables, t) {
			res.Tables = append(res.Tables, t)
		}
	}
	var offs []Offset
	for p, next := range end {
		offs = append(offs, Offset{Topic: r.Topic, Partition: p, Next: next, TopicID: r.TopicID, ClusterID: r.ClusterID})
	}
	// The rebuild's events are counted on one partition's row: only the
	// topic's sum is shown, and the source does not say which partition
	// each came from.
	if len(offs) > 0 {
		slices.SortFunc(offs, func(x, y Offset) int { return int(x.Partition) - int(y.Partition) })
		offs[0].Events = int64(res.Events)
	}
	if len(offs) > 0 {
		if err := a.storeOffsets(ctx, tx, setOffsets(a.bk), r.Group, offs); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("rebuild from %s: commit: %w", r.Topic, err)
	}
	// The recorded sources changed: forget what was cached of them.
	a.mu.Lock()
	for k := range rb.cleared {
		parts := strings.SplitN(k, "\x00", 3)
		delete(a.sources, parts[0]+"\x00"+parts[1])
	}
	a.mu.Unlock()
	a.committed(pending, nil)
	return res, nil
}

// rebuilder is the state of one rebuild transaction.
type rebuilder struct {
	a     *Applier
	tx    pgx.Tx
	topic string
	// kept is, per target table and source table (see part), the identity
	// whose events are kept: the latest life of the source database seen.
	kept    map[string]event.Identity
	cleared map[string]bool
}

// part names what a rebuild replaces: a target table, or in a merged
// target table the rows of one source table.
func part(schema, name string, id event.Identity, merged bool) string {
	k := schema + "\x00" + name
	if merged {
		k += "\x00" + dataSource(id)
	}
	return k
}

// dataSource is the value of DataSourceColumn for rows of id.
func dataSource(id event.Identity) string {
	return id.Name + ":" + id.Database + "." + id.Schema + "." + id.Table
}

// clearRecorded empties what SourcesTable records the topic fed.
func (rb *rebuilder) clearRecorded(ctx context.Context) error {
	rows, err := rb.tx.Query(ctx, "SELECT target_schema, target_table, source_name, source_database, source_schema, source_table FROM "+
		quote(rb.a.bk)+"."+SourcesTable+" WHERE topic = $1", rb.topic)
	if err != nil {
		return fmt.Errorf("rebuild from %s: read the tables it fed: %w", rb.topic, err)
	}
	type fed struct {
		schema, name string
		id           event.Identity
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fed, error) {
		var f fed
		err := r.Scan(&f.schema, &f.name, &f.id.Name, &f.id.Database, &f.id.Schema, &f.id.Table)
		return f, err
	})
	if err != nil {
		return fmt.Errorf("rebuild from %s: read the tables it fed: %w", rb.topic, err)
	}
	for _, t := range targets {
		cols, err := targetColumns(ctx, rb.tx, &TargetTable{Schema: t.schema, Name: t.name})
		if err != nil {
			return err
		}
		if err := rb.clear(ctx, t.schema, t.name, t.id, cols[DataSourceColumn]); err != nil {
			return err
		}
	}
	return nil
}

// filter returns the events to apply: those of the latest life of their
// source database seen so far. A newer life empties its part again.
func (rb *rebuilder) filter(ctx context.Context, events []*event.Event) ([]*event.Event, error) {
	for _, e := range events {
		s, n := rb.a.name(e.Table)
		id, m := e.Identity(), merged(e)
		k := part(s, n, id, m)
		cur, ok := rb.kept[k]
		switch {
		case !ok:
			stored, err := rb.a.storedSources(ctx, rb.tx, s, n)
			if err != nil {
				return nil, err
			}
			for _, st := range stored {
				if !st.SameObject(id) && !m {
					return nil, &SourceConflictError{Target: (&TargetTable{Schema: s, Name: n}).Ident(), Topic: rb.topic, Stored: st, Found: id}
				}
			}
			if !rb.cleared[k] {
				if err := rb.clear(ctx, s, n, id, m); err != nil {
					return nil, err
				}
			}
			rb.kept[k] = id
		case !cur.SameObject(id):
			return nil, &SourceConflictError{Target: (&TargetTable{Schema: s, Name: n}).Ident(), Topic: rb.topic, Stored: cur, Found: id}
		case id.Incarnation > cur.Incarnation:
			// Incarnations sort by the database's create_date.
			if err := rb.clear(ctx, s, n, id, m); err != nil {
				return nil, err
			}
			rb.kept[k] = id
		}
	}
	keep := events[:0:0]
	for _, e := range events {
		s, n := rb.a.name(e.Table)
		id := e.Identity()
		if id == rb.kept[part(s, n, id, merged(e))] {
			keep = append(keep, e)
		}
	}
	return keep, nil
}

// clear deletes, in the rebuild's transaction, the rows of a target table
// (only those of source id in a merged table), their remembered deleted
// keys and the recorded source. DELETE rather than TRUNCATE: readers keep
// reading the old rows meanwhile.
func (rb *rebuilder) clear(ctx context.Context, schema, name string, id event.Identity, merged bool) error {
	t := &TargetTable{Schema: schema, Name: name}
	cols, err := targetColumns(ctx, rb.tx, t)
	if err != nil {
		return err
	}
	bk := quote(rb.a.bk)
	type stmt struct {
		sql  string
		args []any
	}
	var stmts []stmt
	if merged {
		src := dataSource(id)
		// The data source is the key's last column, so the key text ends with it.
		suffix, err := keyString(event.Row{src})
		if err != nil {
			return err
		}
		stmts = append(stmts,
			stmt{"DELETE FROM " + bk + ".deleted_keys WHERE target_schema = $1 AND target_table = $2 AND right(key, $3) = $4",
				[]any{schema, name, len([]rune(suffix)) + 1, "," + suffix}},
			stmt{"DELETE FROM " + bk + "." + SourcesTable + " WHERE target_schema = $1 AND target_table = $2 AND source_name = $3 AND source_database = $4 AND source_schema = $5 AND source_table = $6",
				[]any{schema, name, id.Name, id.Database, id.Schema, id.Table}})
		if len(cols) > 0 {
			stmts = append(stmts, stmt{"DELETE FROM " + t.Ident() + " WHERE " + quote(DataSourceColumn) + " = $1", []any{src}})
		}
	} else {
		stmts = append(stmts,
			stmt{"DELETE FROM " + bk + ".deleted_keys WHERE target_schema = $1 AND target_table = $2", []any{schema, name}},
			stmt{"DELETE FROM " + bk + "." + SourcesTable + " WHERE target_schema = $1 AND target_table = $2", []any{schema, name}})
		if len(cols) > 0 {
			stmts = append(stmts, stmt{"DELETE FROM " + t.Ident(), nil})
		}
	}
	for _, st := range stmts {
		if _, err := rb.tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("rebuild %s: %w", t.Ident(), err)
		}
	}
	rb.cleared[part(schema, name, id, merged)] = true
	rb.a.log.Info("rebuild: emptied the target rows; the new rows become visible when the rebuild commits", "table", t.Ident(), "source", id.String(), "topic", rb.topic)
	return nil
}

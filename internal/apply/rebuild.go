package apply

import (
	"context"
	"fmt"
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
		if err := a.applyEvents(ctx, tx, keep, pending, true); err != nil {
			return res, fmt.Errorf("rebuild from %s: %w", r.Topic, err)
		}
		res.Events += len(keep)
	}
	sources := map[string][]event.Identity{}
	for k, id := range rb.kept {
		schema, name, _ := strings.Cut(k, "\x00")
		if err := a.recordSource(ctx, tx, schema, name, found{id: id, topic: r.Topic}); err != nil {
			return res, err
		}
		sources[k] = []event.Identity{id}
		res.Tables = append(res.Tables, (&TargetTable{Schema: schema, Name: name}).Ident())
	}
	var offs []Offset
	for p, next := range end {
		offs = append(offs, Offset{Topic: r.Topic, Partition: p, Next: next, TopicID: r.TopicID, ClusterID: r.ClusterID})
	}
	if len(offs) > 0 {
		if err := a.storeOffsets(ctx, tx, setOffsets(a.bk), r.Group, offs); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("rebuild from %s: commit: %w", r.Topic, err)
	}
	a.mu.Lock()
	for k := range rb.cleared {
		delete(a.sources, k)
	}
	a.mu.Unlock()
	a.committed(pending, sources)
	return res, nil
}

// rebuilder is the state of one rebuild transaction.
type rebuilder struct {
	a     *Applier
	tx    pgx.Tx
	topic string
	// kept is the identity whose events a target keeps: the latest life of
	// the source database seen so far.
	kept    map[string]event.Identity
	cleared map[string]bool
}

// clearRecorded empties the targets SourcesTable records for the topic.
func (rb *rebuilder) clearRecorded(ctx context.Context) error {
	rows, err := rb.tx.Query(ctx, "SELECT DISTINCT target_schema, target_table FROM "+quote(rb.a.bk)+"."+SourcesTable+" WHERE topic = $1", rb.topic)
	if err != nil {
		return fmt.Errorf("rebuild from %s: read the tables it fed: %w", rb.topic, err)
	}
	targets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var t [2]string
		err := r.Scan(&t[0], &t[1])
		return t, err
	})
	if err != nil {
		return fmt.Errorf("rebuild from %s: read the tables it fed: %w", rb.topic, err)
	}
	for _, t := range targets {
		if err := rb.clear(ctx, t[0], t[1]); err != nil {
			return err
		}
	}
	return nil
}

// filter returns the events to apply: those of the latest life of their
// source database seen so far. A newer life empties the target again.
func (rb *rebuilder) filter(ctx context.Context, events []*event.Event) ([]*event.Event, error) {
	for _, e := range events {
		s, n := rb.a.name(e.Table)
		k := s + "\x00" + n
		id := e.Identity()
		cur, ok := rb.kept[k]
		switch {
		case !ok:
			stored, err := rb.a.storedSources(ctx, rb.tx, s, n)
			if err != nil {
				return nil, err
			}
			for _, st := range stored {
				if !st.SameObject(id) {
					return nil, &SourceConflictError{Target: (&TargetTable{Schema: s, Name: n}).Ident(), Topic: rb.topic, Stored: st, Found: id}
				}
			}
			if !rb.cleared[k] {
				if err := rb.clear(ctx, s, n); err != nil {
					return nil, err
				}
			}
			rb.kept[k] = id
		case !cur.SameObject(id):
			return nil, &SourceConflictError{Target: (&TargetTable{Schema: s, Name: n}).Ident(), Topic: rb.topic, Stored: cur, Found: id}
		case id.Incarnation > cur.Incarnation:
			// Incarnations sort by the database's create_date.
			if err := rb.clear(ctx, s, n); err != nil {
				return nil, err
			}
			rb.kept[k] = id
		}
	}
	keep := events[:0:0]
	for _, e := range events {
		s, n := rb.a.name(e.Table)
		if e.Identity() == rb.kept[s+"\x00"+n] {
			keep = append(keep, e)
		}
	}
	return keep, nil
}

// clear deletes the rows of a target table (if it exists), its remembered
// deleted keys and its recorded sources, in the rebuild's transaction.
// DELETE rather than TRUNCATE: readers keep reading the old rows meanwhile.
func (rb *rebuilder) clear(ctx context.Context, schema, name string) error {
	t := &TargetTable{Schema: schema, Name: name}
	cols, err := targetColumns(ctx, rb.tx, t)
	if err != nil {
		return err
	}
	stmts := []string{
		"DELETE FROM " + quote(rb.a.bk) + ".deleted_keys WHERE target_schema = $1 AND target_table = $2",
		"DELETE FROM " + quote(rb.a.bk) + "." + SourcesTable + " WHERE target_schema = $1 AND target_table = $2",
	}
	if len(cols) > 0 {
		stmts = append(stmts, "DELETE FROM "+t.Ident())
	}
	for _, stmt := range stmts {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = []any{schema, name}
		}
		if _, err := rb.tx.Exec(ctx, stmt, args...); err != nil {
			return fmt.Errorf("rebuild %s: %w", t.Ident(), err)
		}
	}
	rb.cleared[schema+"\x00"+name] = true
	rb.a.log.Info("rebuild: emptied the target table; its new rows become visible when the rebuild commits", "table", t.Ident(), "topic", rb.topic)
	return nil
}

package apply

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// StoredOffset is what the target holds for one partition: the next offset
// to read and the topic incarnation and cluster it refers to (empty when
// stored by a version that did not record them, or unknown).
type StoredOffset struct {
	Next      int64
	TopicID   string
	ClusterID string
}

// Offsets returns what the target holds for group and topic, by partition.
// Partitions never applied are absent.
func (a *Applier) Offsets(ctx context.Context, group, topic string) (map[int32]StoredOffset, error) {
	rows, err := a.pool.Query(ctx, selectOffsets(a.bk), group, []string{topic})
	if err != nil {
		return nil, fmt.Errorf("read offsets of group %s topic %s: %w", group, topic, err)
	}
	out := map[int32]StoredOffset{}
	for rows.Next() {
		var t string
		var p int32
		var st StoredOffset
		if err := rows.Scan(&t, &p, &st.Next, &st.TopicID, &st.ClusterID); err != nil {
			return nil, fmt.Errorf("read offsets of group %s topic %s: %w", group, topic, err)
		}
		out[p] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read offsets of group %s topic %s: %w", group, topic, err)
	}
	return out, nil
}

// TopicChangedError is a batch read from another incarnation of a topic
// (deleted and recreated, or on another cluster) than the one whose offsets
// the target holds. Nothing of the batch was applied.
type TopicChangedError struct {
	Group     string
	Topic     string
	Partition int32
	Stored    StoredOffset
	Current   Offset
}

func (e *TopicChangedError) Error() string {
	return fmt.Sprintf("apply: topic %s partition %d: the target holds offset %d of group %s for topic id %s, but the batch comes from topic id %s "+
		"(the topic was deleted and recreated): nothing was applied; see the consumer's STALE_STATE setting",
		e.Topic, e.Partition, e.Stored.Next, e.Group, e.Stored.TopicID, e.Current.TopicID)
}

type tp struct {
	topic     string
	partition int32
}

// lockOffsets reads the stored offsets of a batch's partitions and, where
// the dialect allows, locks them (see lockOffsets in sql.go).
func (a *Applier) lockOffsets(ctx context.Context, tx pgx.Tx, b Batch) (map[tp]StoredOffset, error) {
	seen := map[tp]bool{}
	var topics []string
	var parts []int32
	add := func(topic string, p int32) {
		if k := (tp{topic, p}); !seen[k] {
			seen[k] = true
			topics, parts = append(topics, topic), append(parts, p)
		}
	}
	for _, o := range b.Offsets {
		add(o.Topic, o.Partition)
	}
	for _, o := range b.From {
		add(o.Topic, o.Partition)
	}
	stored := map[tp]StoredOffset{}
	if len(topics) == 0 {
		return stored, nil
	}
	if a.dialect.LockOffsets() {
		// A partition applied for the first time has no row to lock, and
		// two members (one of them a zombie after a rebalance) would both
		// apply its first batch. Rows are made first, in one order so two
		// transactions cannot deadlock; the second waits on the first's
		// row until it commits, then locks it and sees its offset.
		sortPairs(topics, parts)
		if _, err := tx.Exec(ctx, insertMissingOffsets(a.bk), b.Group, topics, parts); err != nil {
			return nil, fmt.Errorf("apply: make offsets rows of group %s: %w", b.Group, err)
		}
	}
	rows, err := tx.Query(ctx, lockOffsets(a.bk, a.dialect.LockOffsets()), b.Group, topics, parts)
	if err != nil {
		return nil, fmt.Errorf("apply: read offsets of group %s: %w", b.Group, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var p int32
		var st StoredOffset
		if err := rows.Scan(&t, &p, &st.Next, &st.TopicID); err != nil {
			return nil, fmt.Errorf("apply: read offsets of group %s: %w", b.Group, err)
		}
		stored[tp{t, p}] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apply: read offsets of group %s: %w", b.Group, err)
	}
	return stored, nil
}

// storeOffsets runs stmt (upsertOffsets or setOffsets) for offs.
func (a *Applier) storeOffsets(ctx context.Context, tx pgx.Tx, stmt, group string, offs []Offset) error {
	n := len(offs)
	topics, parts, nexts := make([]string, n), make([]int32, n), make([]int64, n)
	ids, clusters, events := make([]string, n), make([]string, n), make([]int64, n)
	for i, o := range offs {
		topics[i], parts[i], nexts[i], ids[i], clusters[i], events[i] = o.Topic, o.Partition, o.Next, o.TopicID, o.ClusterID, o.Events
	}
	if _, err := tx.Exec(ctx, stmt, group, topics, parts, nexts, ids, clusters, events); err != nil {
		return fmt.Errorf("apply: store offsets of group %s: %w", group, err)
	}
	return nil
}

// migrateOffsets adds the columns later versions store with each offset to
// a consumer_offsets table an earlier version created. Greenplum has no ADD
// COLUMN IF NOT EXISTS, so the columns are looked up first; two consumers
// starting together may both add one, and the loser finds it on its retry.
func (a *Applier) migrateOffsets(ctx context.Context) error {
	for try := 0; ; try++ {
		err := a.addMissingColumns(ctx, "consumer_offsets", []TargetColumn{{Name: "topic_id", Type: "text"}, {Name: "cluster_id", Type: "text"},
			{Name: "applied_events", Type: "bigint"}})
		if err == nil || try == 2 || ctx.Err() != nil {
			return err
		}
	}
}

func (a *Applier) addMissingColumns(ctx context.Context, table string, cols []TargetColumn) error {
	t := &TargetTable{Schema: a.bk, Name: table}
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("upgrade bookkeeping table %s: %w", t.Ident(), err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	have, err := targetColumns(ctx, tx, t)
	if err != nil {
		return err
	}
	for _, c := range cols {
		if have[c.Name] {
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t.Ident(), quote(c.Name), c.Type)); err != nil {
			return fmt.Errorf("upgrade bookkeeping table %s: add column %s: %w", t.Ident(), c.Name, err)
		}
		a.log.Info("upgraded bookkeeping table", "table", t.Ident(), "column", c.Name)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("upgrade bookkeeping table %s: %w", t.Ident(), err)
	}
	return nil
}

// analyzeStageRows is the size from which a staging table is analyzed
// before the statements that read it.
const analyzeStageRows = 1000

// analyzeDeletedKeys refreshes the statistics of deleted_keys once this
// Applier has added many rows to it since it last did: autovacuum lags
// behind a consumer that deletes fast, and a planner that believes the
// table nearly empty for a target table joins it with the staging table in
// a quadratic nested loop. Failing is only logged: the rows are committed.
func (a *Applier) analyzeDeletedKeys(ctx context.Context, added int64) {
	if added <= 0 {
		return
	}
	a.mu.Lock()
	a.tombstonesAdded += added
	due := a.tombstonesAdded >= max(analyzeStageRows, a.tombstonesAnalyzed/10)
	if due {
		a.tombstonesAnalyzed += a.tombstonesAdded
		a.tombstonesAdded = 0
	}
	a.mu.Unlock()
	if !due {
		return
	}
	if _, err := a.pool.Exec(ctx, "ANALYZE "+quote(a.bk)+".deleted_keys"); err != nil {
		a.log.Warn("apply: analyze deleted_keys", "err", err)
	}
}

// sortPairs sorts the (topic, partition) pairs held in topics and parts.
func sortPairs(topics []string, parts []int32) {
	idx := make([]int, len(topics))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int {
		if c := strings.Compare(topics[x], topics[y]); c != 0 {
			return c
		}
		return cmp.Compare(parts[x], parts[y])
	})
	t2, p2 := make([]string, len(topics)), make([]int32, len(parts))
	for i, j := range idx {
		t2[i], p2[i] = topics[j], parts[j]
	}
	copy(topics, t2)
	copy(parts, p2)
}

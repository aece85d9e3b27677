package apply

import (
	"context"
	"fmt"
	"time"
)

// PruneDeletedKeys removes the deleted keys recorded more than olderThan
// ago and returns how many it removed.
//
// A deleted key keeps an event older than its delete from bringing the row
// back; such events only come from replaying a topic into a target that
// already holds the rows. Once pruned, a replay of records older than
// olderThan can show a deleted row again until it reaches the row's delete
// event, which is still in the topic after every older event of the key
// (Kafka's retention and compaction both keep a key's later records), so
// the replay ends with the row deleted all the same. In exchange the table
// stops growing with every delete ever made, and the upsert's check
// against it stays as cheap as the deletes of the last olderThan.
//
// Consumers of one target may prune at once: one does the work, the
// others skip (a transaction-scoped advisory lock).
func (a *Applier) PruneDeletedKeys(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("prune deleted keys: retention %s: want a positive duration", olderThan)
	}
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune deleted keys: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var mine bool
	if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(hashtext($1))", "mssql2adb prune:"+a.bk).Scan(&mine); err != nil {
		return 0, fmt.Errorf("prune deleted keys: lock: %w", err)
	}
	if !mine {
		return 0, nil // another consumer is pruning them now
	}
	tag, err := tx.Exec(ctx, "DELETE FROM "+quote(a.bk)+".deleted_keys WHERE deleted_at < now() - $1::interval",
		fmt.Sprintf("%d milliseconds", olderThan.Milliseconds()))
	if err != nil {
		return 0, fmt.Errorf("prune deleted keys older than %s from %s.deleted_keys: %w", olderThan, a.bk, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("prune deleted keys: commit: %w", err)
	}
	n := tag.RowsAffected()
	if n >= analyzeStageRows {
		// The upsert's plan against deleted_keys follows its size.
		if _, err := a.pool.Exec(ctx, "ANALYZE "+quote(a.bk)+".deleted_keys"); err != nil {
			return n, fmt.Errorf("prune deleted keys: analyze %s.deleted_keys: %w", a.bk, err)
		}
	}
	return n, nil
}

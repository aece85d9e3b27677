package apply

import (
	"context"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// Deleted keys older than the retention go, younger ones stay; a replay
// of a pruned key's older events ends with the row deleted all the same.
func TestPruneDeletedKeys(t *testing.T) {
	a, pool := newApplier(t)
	ctx := context.Background()
	tbl := people()
	const topic = "t"
	step := stepper(t, a, topic)
	step(ev(tbl, event.OpCreate, 10, nil, row(int64(1), "a", "x")), ev(tbl, event.OpCreate, 11, nil, row(int64(2), "b", "x")))
	step(ev(tbl, event.OpDelete, 20, row(int64(1), "a", nil), nil), ev(tbl, event.OpDelete, 21, row(int64(2), "b", nil), nil))
	// Key 1 was deleted 8 days ago, key 2 just now.
	if _, err := pool.Exec(ctx, "UPDATE mssql2adb.deleted_keys SET deleted_at = now() - interval '8 days' WHERE key = '1'"); err != nil {
		t.Fatal(err)
	}
	keys := func() string {
		t.Helper()
		return dump(t, pool, "mssql2adb.deleted_keys", "key")
	}
	if n, err := a.PruneDeletedKeys(ctx, 7*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("PruneDeletedKeys(7 days) = %d, %v; want 1 pruned", n, err)
	}
	if got := keys(); got != "2" {
		t.Fatalf("deleted keys left: %q, want only 2", got)
	}
	if n, err := a.PruneDeletedKeys(ctx, 7*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("second PruneDeletedKeys = %d, %v; want 0", n, err)
	}
	if _, err := a.PruneDeletedKeys(ctx, 0); err == nil {
		t.Error("PruneDeletedKeys(0) accepted: a retention must be positive")
	}

	// A replay from the start into this target (a new group): key 2's
	// deleted key still refuses its old insert; key 1's is gone, so its
	// insert shows the row again until the replay reaches its delete.
	replay := func(events ...*event.Event) {
		t.Helper()
		b := batch(topic, 0, events...)
		b.Group = "replay"
		mustApply(t, a, b)
	}
	replay(ev(tbl, event.OpCreate, 10, nil, row(int64(1), "a", "x")), ev(tbl, event.OpCreate, 11, nil, row(int64(2), "b", "x")))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|a" {
		t.Fatalf("during the replay: %q, want only the pruned key's row back", got)
	}
	b := batch(topic, 2, ev(tbl, event.OpDelete, 20, row(int64(1), "a", nil), nil), ev(tbl, event.OpDelete, 21, row(int64(2), "b", nil), nil))
	b.Group = "replay"
	mustApply(t, a, b)
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "" {
		t.Fatalf("after the replay: %q, want no rows", got)
	}
}

// Two consumers pruning at once: one prunes, the other skips, neither fails.
func TestPruneDeletedKeysConcurrently(t *testing.T) {
	a, pool := newApplier(t)
	ctx := context.Background()
	tbl := people()
	mustApply(t, a, batch("t", 0, ev(tbl, event.OpCreate, 10, nil, row(int64(1), "a", "x"))))
	mustApply(t, a, batch("t", 1, ev(tbl, event.OpDelete, 20, row(int64(1), "a", nil), nil)))
	if _, err := pool.Exec(ctx, "UPDATE mssql2adb.deleted_keys SET deleted_at = now() - interval '2 hours'"); err != nil {
		t.Fatal(err)
	}
	// Hold the pruning lock as another consumer would.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('mssql2adb prune:mssql2adb'))"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.PruneDeletedKeys(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("PruneDeletedKeys while another prunes = %d, %v; want 0, nil", n, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := a.PruneDeletedKeys(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("PruneDeletedKeys after = %d, %v; want 1", n, err)
	}
}

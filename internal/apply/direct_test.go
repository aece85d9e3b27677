package apply

import (
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestInsertOnlyBatchCopiesDirectly: a batch of new rows is copied straight
// into the target; a replayed one meets existing keys, is undone and
// applied through staging with the position guard.
func TestInsertOnlyBatchCopiesDirectly(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	const topic = "p.db.dbo.People"
	mustApply(t, a, batch(topic, 0,
		ev(tbl, event.OpRead, 10, nil, row(int64(1), "ann", "a")),
		ev(tbl, event.OpCreate, 11, nil, row(int64(2), "bob", nil)),
		ev(tbl, event.OpCreate, 12, nil, row(int64(2), "bob2", "b")), // the last of a key wins
	))
	if got, want := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"), "1|ann|a\n2|bob2|b"; got != want {
		t.Fatalf("after the first batch:\n%s\nwant\n%s", got, want)
	}
	if len(a.noDirect) != 0 {
		t.Fatalf("the first batch did not copy directly: %v", a.noDirect)
	}
	// Replayed at older positions (another group's offsets, a snapshot
	// run again) with one new key: the old rows stay, the new one comes.
	mustApply(t, a, batch(topic, 3,
		ev(tbl, event.OpRead, 5, nil, row(int64(1), "old", "o")),
		ev(tbl, event.OpRead, 5, nil, row(int64(3), "cy", "c")),
	))
	if got, want := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"), "1|ann|a\n2|bob2|b\n3|cy|c"; got != want {
		t.Fatalf("after the replay:\n%s\nwant\n%s", got, want)
	}
	if len(a.noDirect) != 1 {
		t.Fatalf("the replay did not fall back to staging: %v", a.noDirect)
	}
	a.noDirect = map[string]time.Time{}
	// A key in deleted_keys is never copied directly: an insert older
	// than the delete must not resurrect the row.
	mustApply(t, a, batch(topic, 5, ev(tbl, event.OpDelete, 30, row(int64(3), "cy", nil), nil)))
	mustApply(t, a, batch(topic, 6, ev(tbl, event.OpCreate, 25, nil, row(int64(3), "zombie", "z"))))
	if got, want := dump(t, pool, `"dbo"."People"`, "Id", "Name"), "1|ann\n2|bob2"; got != want {
		t.Fatalf("after delete and older insert:\n%s\nwant\n%s", got, want)
	}
}

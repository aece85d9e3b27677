package source

import (
	"context"
	"errors"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestE2EPhases: with the snapshot off, existing rows are not read and
// changes committed after the start stream, from a position saved at once;
// with streaming off, Run returns once the snapshot is done.
func TestE2EPhases(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.enableTable("t", "")
	for id := 1; id <= 5; id++ {
		insertT(e, id)
	}
	e.waitCaptured("dbo_t", 5)
	tbl := discoverOne(t, e, e.config())

	t.Run("incremental only", func(t *testing.T) {
		cfg := e.config()
		cfg.NoSnapshot = true
		ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
		ru.waitFor("the position past the skipped snapshot", func(bs []Batch) bool { return len(bs) > 0 })
		if bs := ru.batches(); len(bs[0].Events) != 0 || !bs[0].Position.Snapshot.Done || bs[0].Position.Snapshot.LSN.IsZero() {
			t.Fatalf("first batch: %d events, position %s; want none, saved past the snapshot", len(bs[0].Events), bs[0].Position)
		}
		insertT(e, 6)
		e.exec(`UPDATE dbo.t SET name = N'changed' WHERE id = 1`)
		ru.waitFor("the two changes", func(bs []Batch) bool { return len(events(bs)) >= 2 })
		if err := ru.stop(); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		evs := events(ru.batches())
		if len(evs) != 2 || evs[0].Op != event.OpCreate || evs[1].Op != event.OpUpdate {
			for _, ev := range evs {
				t.Logf("%s %s", ev.Op, rowString(ev.After))
			}
			t.Fatalf("got %d events, want the insert and the update only (no snapshot rows)", len(evs))
		}
	})

	t.Run("full data only", func(t *testing.T) {
		cfg := e.config()
		cfg.NoStream = true
		ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
		if err := ru.wait(); err != nil {
			t.Fatalf("Run with streaming off: %v", err)
		}
		evs := events(ru.batches())
		for _, ev := range evs {
			if ev.Op != event.OpRead {
				t.Fatalf("a %s event with streaming off", ev.Op)
			}
		}
		if len(evs) != 6 || !snapshotDone(ru.batches()) {
			t.Fatalf("%d snapshot rows (done %v), want the table's 6", len(evs), snapshotDone(ru.batches()))
		}
	})
}

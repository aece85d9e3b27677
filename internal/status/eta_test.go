package status

import (
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/source"
)

func TestSnapshotPhase(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	// 4,000 of 10,000 rows in 40 s: 100 rows/s, 60 s left after the last
	// chunk, 50 s left 10 s later.
	snap := source.TableSnapshot{Rows: 4000, Estimate: 10000, StartedMs: start.UnixMilli(), UpdatedMs: start.Add(40 * time.Second).UnixMilli()}
	total, eta := snapshotETA(snap, start.Add(50*time.Second))
	if total != 10000 || eta != 50 {
		t.Fatalf("snapshotETA = %d, %v; want 10000, 50", total, eta)
	}
	for _, tc := range []struct {
		t    Table
		want string
	}{
		{Table{SnapshotRows: 4000, SnapshotRowsTotal: 10000, SnapshotETASeconds: 50}, "snapshot 40% (4000/10000 rows, ETA 50s)"},
		{Table{SnapshotRows: 0, SnapshotRowsTotal: 10000}, "snapshot 0% (0/10000 rows)"},
		{Table{SnapshotRows: 12}, "snapshot (12 rows)"}, // a position written before estimates were saved
	} {
		if got := snapshotPhase(tc.t); got != tc.want {
			t.Errorf("snapshotPhase(%+v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	if _, eta := snapshotETA(source.TableSnapshot{Rows: 5, Estimate: 10}, start); eta != 0 {
		t.Errorf("without times the ETA is unknown, got %v", eta)
	}
}

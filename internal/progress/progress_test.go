package progress

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/source"
)

func TestLines(t *testing.T) {
	var r Rates
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := source.Progress{Phase: "snapshot", SnapshotTables: 2, Tables: []source.TableProgress{
		{Table: "dbo.customer", RowsDone: 1000, RowsTotal: 1000, Done: true},
		{Table: "dbo.Student", RowsDone: 0, RowsTotal: 20000},
	}, SnapshotTablesDone: 1}
	got := r.Lines(p, t0)
	want := []string{
		"dbo.customer        1,000 / 1,000        100.0%  done",
		"dbo.Student             0 / 20,000         0.0%  waiting",
		"total               1,000 / 21,000         4.8%  waiting",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("first sample:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p.Tables[1].RowsDone = 5000
	got = r.Lines(p, t0.Add(2*time.Second))
	want = []string{
		"dbo.customer        1,000 / 1,000        100.0%  done",
		"dbo.Student         5,000 / 20,000        25.0%  2,500 rows/s  ETA 6s",
		"total               6,000 / 21,000        28.6%  2,500 rows/s  ETA 6s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("second sample:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}

// Show redraws in place: from the second drawing on, it moves the cursor
// back up over the lines it drew; it returns once the reader streams.
func TestShowRedrawsAndStops(t *testing.T) {
	calls := 0
	progress := func() source.Progress {
		calls++
		if calls > 2 {
			return source.Progress{Phase: "streaming"}
		}
		return source.Progress{Phase: "snapshot", Tables: []source.TableProgress{{Table: "dbo.t", RowsDone: int64(calls), RowsTotal: 10}}}
	}
	var b bytes.Buffer
	Show(context.Background(), &b, progress, time.Millisecond)
	out := b.String()
	if strings.Count(out, "\x1b[2Kdbo.t") != 2 || strings.Count(out, "\x1b[2A") != 1 {
		t.Fatalf("output %q: want two drawings of two lines, the second after moving up 2", out)
	}
}

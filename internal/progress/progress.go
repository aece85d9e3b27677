// Package progress shows a producer's snapshot progress to a person: per
// table, the rows written, the estimated total, the rate and the time left.
// On a terminal the lines are redrawn in place every interval; elsewhere
// (a log file, a container's output) the source package logs one line per
// interval instead, so Show is meant only for terminals.
//
//	if progress.IsTerminal(os.Stderr) {
//		go progress.Show(ctx, os.Stderr, reader.Progress, time.Second)
//	}
package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/source"
)

// IsTerminal reports whether f is a character device (a terminal), where
// redrawing lines makes sense.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Rates remembers the previous sample of each table, to compute rates.
type Rates struct {
	prev map[string]sample
}

type sample struct {
	rows int64
	at   time.Time
	rate float64 // rows per second, smoothed
}

// Lines renders p at time now as one line per table and a total line,
// with the rate since the previous call (smoothed) and the time left at
// that rate. It is pure apart from the remembered samples.
func (r *Rates) Lines(p source.Progress, now time.Time) []string {
	if r.prev == nil {
		r.prev = map[string]sample{}
	}
	width := len("total")
	for _, t := range p.Tables {
		width = max(width, len(t.Table))
	}
	var lines []string
	var done, total int64
	var rate float64
	for _, t := range p.Tables {
		done += t.RowsDone
		total += max(t.RowsTotal, t.RowsDone)
		s, seen := r.prev[t.Table]
		cur := s.rate
		if seen && now.After(s.at) {
			inst := float64(t.RowsDone-s.rows) / now.Sub(s.at).Seconds()
			cur = inst
			if s.rate > 0 {
				cur = 0.7*s.rate + 0.3*inst
			}
		}
		if t.Done {
			cur = 0
		}
		r.prev[t.Table] = sample{rows: t.RowsDone, at: now, rate: cur}
		rate += cur
		lines = append(lines, line(width, t.Table, t.RowsDone, t.RowsTotal, cur, t.Done))
	}
	return append(lines, line(width, "total", done, total, rate, len(p.Tables) > 0 && done >= total && p.SnapshotTablesDone == len(p.Tables)))
}

func line(width int, name string, done, total int64, rate float64, finished bool) string {
	pct := 100.0
	if total > 0 {
		pct = min(100, float64(done)*100/float64(total))
	}
	s := fmt.Sprintf("%-*s %12s / %-12s %5.1f%%", width, name, group(done), group(max(total, done)), pct)
	switch {
	case finished:
		return s + "  done"
	case rate <= 0:
		return s + "  waiting"
	}
	s += fmt.Sprintf("  %s rows/s", group(int64(rate)))
	if total > done {
		s += "  ETA " + (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return s
}

// group writes n with thousands separators: 1234567 → 1,234,567.
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Show redraws the snapshot's progress on w every interval while the
// snapshot runs, and returns when ctx ends or the reader streams.
func Show(ctx context.Context, w io.Writer, progress func() source.Progress, interval time.Duration) {
	var r Rates
	drawn := 0
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p := progress()
		if p.Phase == "snapshot" && len(p.Tables) > 0 {
			var b strings.Builder
			if drawn > 0 {
				fmt.Fprintf(&b, "\x1b[%dA", drawn) // back to the first line drawn
			}
			lines := r.Lines(p, time.Now())
			for _, l := range lines {
				b.WriteString("\x1b[2K" + l + "\n") // clear the line, then draw
			}
			drawn = len(lines)
			_, _ = io.WriteString(w, b.String())
		}
		if p.Phase == "streaming" {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

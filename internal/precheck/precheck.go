// Package precheck checks, before a pipeline starts, what DTS's precheck
// checks: that every service answers with the right credentials, that the
// source database is a SQL Server version with change data capture set up
// for the selected tables and a login that may read it, and that the target
// accepts the tables, names and settings the consumer will write. Each item
// reports passed, warning or failed with the fix; the programs run the same
// items at start and refuse to start on a failed one unless it is skipped by
// name (PRECHECK_SKIP).
//
//	report := precheck.Run(ctx, items, skip)
//	report.Print(os.Stdout)
//	if err := report.Err(); err != nil { … }
package precheck

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
)

// Status is the outcome of one item.
type Status uint8

// The outcomes, from best to worst; Skipped and NotChecked are failures
// the user chose to ignore and items whose prerequisite failed.
const (
	Passed Status = iota
	Warning
	Failed
	Skipped    // failed, but named in the skip list
	NotChecked // an item it needs failed
)

func (s Status) String() string {
	return [...]string{"passed", "warning", "FAILED", "skipped", "not checked"}[s]
}

// Result is what one item found.
type Result struct {
	Item   string
	Status Status
	// Detail says what was found; Fix, for a warning or failure, what to do.
	Detail string
	Fix    string
}

// Item is one check. Needs names items that must not fail for this one to
// run (a connection before what is read through it).
type Item struct {
	Name  string
	Needs []string
	Check func(ctx context.Context) Result
}

// Pass, Warn and Fail build results; Run fills in the item's name.
func Pass(format string, args ...any) Result {
	return Result{Status: Passed, Detail: fmt.Sprintf(format, args...)}
}

// Warn is a warning with its fix (empty when there is nothing to do).
func Warn(fix, format string, args ...any) Result {
	return Result{Status: Warning, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// Fail is a failure with its fix.
func Fail(fix, format string, args ...any) Result {
	return Result{Status: Failed, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// Report is the results of a run, in item order.
type Report []Result

// Run runs items in order. A failed item named in skip is reported as
// Skipped and does not stop the items that need it.
func Run(ctx context.Context, items []Item, skip []string) Report {
	var rep Report
	failed := map[string]string{} // item → the item whose failure it inherits
	for _, it := range items {
		var blocked string
		for _, n := range it.Needs {
			if f, ok := failed[n]; ok {
				blocked = f
				break
			}
		}
		if blocked != "" {
			failed[it.Name] = blocked
			rep = append(rep, Result{Item: it.Name, Status: NotChecked, Detail: "needs " + blocked + ", which failed"})
			continue
		}
		r := it.Check(ctx)
		r.Item = it.Name
		if r.Status == Failed {
			if slices.Contains(skip, it.Name) {
				r.Status = Skipped
			} else {
				failed[it.Name] = it.Name
			}
		}
		rep = append(rep, r)
	}
	return rep
}

// CheckSkip refuses names in skip that are not items, so that a typo in
// PRECHECK_SKIP does not silently skip nothing.
func CheckSkip(items []Item, skip []string) error {
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	for _, s := range skip {
		if !slices.Contains(names, s) {
			return fmt.Errorf("PRECHECK_SKIP: %q is not a precheck item; the items are %s", s, strings.Join(names, ", "))
		}
	}
	return nil
}

// Print writes one line per item: status, item and what was found, with the
// fix after "fix:"; then a summary line.
func (r Report) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, res := range r {
		line := res.Detail
		if res.Fix != "" {
			line += " — fix: " + res.Fix
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", res.Status, res.Item, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.summary())
	return err
}

func (r Report) count(s Status) int {
	n := 0
	for _, res := range r {
		if res.Status == s {
			n++
		}
	}
	return n
}

func (r Report) summary() string {
	s := fmt.Sprintf("precheck: %d passed, %d warnings, %d failed", r.count(Passed), r.count(Warning), r.count(Failed))
	if n := r.count(Skipped); n > 0 {
		s += fmt.Sprintf(", %d failed but skipped (PRECHECK_SKIP)", n)
	}
	if n := r.count(NotChecked); n > 0 {
		s += fmt.Sprintf(", %d not checked", n)
	}
	return s
}

// FailedError is the error of a report with failed items: the programs
// refuse to start with it, and the precheck commands exit with status 1.
type FailedError struct{ Failed []Result }

func (e *FailedError) Error() string {
	var parts []string
	for _, f := range e.Failed {
		p := f.Item + ": " + f.Detail
		if f.Fix != "" {
			p += " (fix: " + f.Fix + ")"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("precheck failed (%d items; skip one with PRECHECK_SKIP=<item> only if you know why it fails): %s",
		len(e.Failed), strings.Join(parts, "; "))
}

// Err is nil when no item failed (warnings, skipped items and items not
// checked because of a skipped one allowed), a *FailedError otherwise.
func (r Report) Err() error {
	var failed []Result
	for _, res := range r {
		if res.Status == Failed {
			failed = append(failed, res)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &FailedError{Failed: failed}
}

// Find returns the result of the named item.
func (r Report) Find(item string) (Result, bool) {
	for _, res := range r {
		if res.Item == item {
			return res, true
		}
	}
	return Result{}, false
}

// Reach is the connectivity item of a service: ping must succeed.
func Reach(name, what, fix string, ping func(ctx context.Context) error) Item {
	return Item{Name: name, Check: func(ctx context.Context) Result {
		if err := ping(ctx); err != nil {
			return Fail(fix, "cannot reach %s: %v", what, err)
		}
		return Pass("%s answers", what)
	}}
}

// Log writes the report to log, one record per item, at the level its
// status deserves: the programs' start-up precheck. Warnings of the items
// named in reportedElsewhere are logged at info level: the program warns
// of the same findings itself, one by one.
func (r Report) Log(log *slog.Logger, reportedElsewhere ...string) {
	for _, res := range r {
		level := slog.LevelInfo
		switch {
		case res.Status == Warning && slices.Contains(reportedElsewhere, res.Item):
		case res.Status == Warning, res.Status == Skipped, res.Status == NotChecked:
			level = slog.LevelWarn
		case res.Status == Failed:
			level = slog.LevelError
		}
		attrs := []any{"item", res.Item, "status", res.Status.String()}
		if res.Fix != "" {
			attrs = append(attrs, "fix", res.Fix)
		}
		log.Log(context.Background(), level, "precheck: "+res.Detail, attrs...)
	}
}

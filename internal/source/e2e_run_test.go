package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// testLogger sends slog output to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runner runs a Reader in the background and records the batches it emits.
type runner struct {
	t      *testing.T
	r      *Reader
	mu     sync.Mutex
	got    []Batch
	saved  Position // the position of the last batch the hook accepted
	cancel context.CancelFunc
	done   chan error
}

// startRun runs r from pos; hook (optional) sees each batch first and may
// refuse it by returning an error, as a failed Kafka transaction would.
func startRun(t *testing.T, r *Reader, pos Position, hook func(n int, b Batch) error) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ru := &runner{t: t, r: r, cancel: cancel, done: make(chan error, 1), saved: pos}
	go func() {
		ru.done <- r.Run(ctx, pos, func(_ context.Context, b Batch) error {
			ru.mu.Lock()
			n := len(ru.got)
			ru.mu.Unlock()
			if hook != nil {
				if err := hook(n, b); err != nil {
					return err
				}
			}
			ru.mu.Lock()
			ru.got = append(ru.got, b)
			ru.saved = b.Position
			ru.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() { ru.stop() })
	return ru
}

func (ru *runner) batches() []Batch {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	return append([]Batch(nil), ru.got...)
}

func (ru *runner) position() Position {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	return ru.saved.clone()
}

// waitFor waits until cond holds for the batches so far, or Run ends.
func (ru *runner) waitFor(what string, cond func([]Batch) bool) {
	ru.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for !cond(ru.batches()) {
		select {
		case err := <-ru.done:
			ru.done <- err
			ru.t.Fatalf("waiting for %s: Run ended: %v", what, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ru.t.Fatalf("waiting for %s: not after %s; %d batches", what, e2eWait, len(ru.batches()))
		}
	}
}

// wait waits for Run to end by itself and returns its error.
func (ru *runner) wait() error {
	ru.t.Helper()
	select {
	case err := <-ru.done:
		ru.done <- err
		return err
	case <-time.After(e2eWait):
		ru.t.Fatalf("Run did not end within %s", e2eWait)
		return nil
	}
}

// stop cancels Run and waits for it.
func (ru *runner) stop() error {
	ru.cancel()
	err := <-ru.done
	ru.done <- err
	return err
}

func events(bs []Batch) []*event.Event {
	var out []*event.Event
	for _, b := range bs {
		out = append(out, b.Events...)
	}
	return out
}

func snapshotDone(bs []Batch) bool {
	return len(bs) > 0 && bs[len(bs)-1].Position.Snapshot.Done
}

// valueString renders an event value for comparisons.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case *big.Rat:
		return x.FloatString(4)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("0x%X", x)
	}
	if event.IsUnchanged(v) {
		return "UNCHANGED"
	}
	return fmt.Sprint(v)
}

func rowString(r event.Row) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = valueString(v)
	}
	return strings.Join(parts, "|")
}

func keyString(t *catalog.Table, r event.Row) string {
	idx, _ := t.KeyIndexes()
	parts := make([]string, len(idx))
	for i, j := range idx {
		parts[i] = valueString(r[j])
	}
	return strings.Join(parts, ",")
}

// replay applies events as an idempotent target would and returns the rows
// by key.
func replay(t *testing.T, evs []*event.Event) map[string]string {
	t.Helper()
	state := map[string]event.Row{}
	for _, e := range evs {
		switch e.Op {
		case event.OpDelete:
			delete(state, keyString(e.Table, e.Before))
		default:
			k := keyString(e.Table, e.After)
			row := append(event.Row(nil), e.After...)
			if old, ok := state[k]; ok {
				for i, v := range row {
					if event.IsUnchanged(v) {
						row[i] = old[i]
					}
				}
			}
			for i, v := range row {
				if event.IsUnchanged(v) {
					t.Errorf("%s key %s: column %s unchanged but no earlier value", e.Op, k, e.Table.Columns[i].Name)
				}
			}
			state[k] = row
		}
	}
	out := map[string]string{}
	for k, r := range state {
		out[k] = rowString(r)
	}
	return out
}

// tableState reads the table's rows as the reader would convert them.
func readState(t *testing.T, db *sql.DB, tbl *catalog.Table) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT " + columnList(tbl) + " FROM " + tableName(tbl))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		vals := make([]any, len(tbl.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make(event.Row, len(vals))
		for i := range vals {
			if row[i], err = convert(&tbl.Columns[i], vals[i]); err != nil {
				t.Fatal(err)
			}
		}
		out[keyString(tbl, row)] = rowString(row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffStates(want, got map[string]string) string {
	var d []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k+": "+w)
		} else if g != w {
			d = append(d, "key "+k+": got "+g+", want "+w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k+": "+g)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

// assertNoDuplicates checks that no change was emitted twice.
func assertNoDuplicates(t *testing.T, evs []*event.Event) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range evs {
		var id string
		if e.Op == event.OpRead {
			id = "r:" + keyString(e.Table, e.After)
		} else {
			id = fmt.Sprintf("%s:%s:%s:%d", e.Source.CommitLSN, e.Source.ChangeLSN, e.Op, e.Source.EventSerialNo)
		}
		if seen[id] {
			t.Errorf("event emitted twice: %s", id)
		}
		seen[id] = true
	}
}

func discoverOne(t *testing.T, e *e2eEnv, cfg Config) *catalog.Table {
	t.Helper()
	tables, _, err := Discover(context.Background(), e.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 {
		t.Fatalf("Discover found %d tables, want 1", len(tables))
	}
	return tables[0]
}

func errorContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

var errRefused = errors.New("batch refused by the test")

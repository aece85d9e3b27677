package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPruneEvery(t *testing.T) {
	for _, tt := range []struct{ retention, want time.Duration }{
		{168 * time.Hour, time.Hour},
		{2 * time.Hour, 30 * time.Minute},
		{time.Second, time.Second},
	} {
		if got := pruneEvery(tt.retention); got != tt.want {
			t.Errorf("pruneEvery(%s) = %s, want %s", tt.retention, got, tt.want)
		}
	}
}

type fakePruner struct {
	mu    sync.Mutex
	calls int
	errs  []error
	got   time.Duration
}

func (f *fakePruner) PruneDeletedKeys(_ context.Context, olderThan time.Duration) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.got = olderThan
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return 0, err
	}
	return 3, nil
}

func (f *fakePruner) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// The loop prunes at once, keeps going after a failure, counts what it
// pruned and ends with its context.
func TestPruneDeletedKeysLoop(t *testing.T) {
	f := &fakePruner{errs: []error{errors.New("target down")}}
	pruned := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		pruneDeletedKeys(ctx, slog.New(slog.DiscardHandler), f, 4*time.Second, pruned) // a prune every second
		close(done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for f.n() < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not end with its context")
	}
	if f.n() < 3 {
		t.Fatalf("%d prunes, want at least 3", f.n())
	}
	if f.got != 4*time.Second {
		t.Errorf("pruned keys older than %s, want 4s", f.got)
	}
	if got, want := testutil.ToFloat64(pruned), float64(3*(f.n()-1)); got != want {
		t.Errorf("pruned counter = %v, want %v (3 per successful prune)", got, want)
	}
}

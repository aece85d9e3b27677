package sink

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/retry"
)

// downApplier fails every Apply with a refused connection while down.
type downApplier struct {
	*apply.Applier
	down  atomic.Bool
	calls atomic.Int64
}

func (d *downApplier) Apply(ctx context.Context, b apply.Batch) error {
	d.calls.Add(1)
	if d.down.Load() {
		return fmt.Errorf("dial target: %w", syscall.ECONNREFUSED)
	}
	return d.Applier.Apply(ctx, b)
}

// logBuf is a slog destination tests can read while Run writes.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A consumer retrying a batch against a target that is down does not hold
// a rebalance up: its wait ends at once, it gives the batch up, and it stays
// in the group (issue 11, point 4). Its retry waits are an hour here, and
// the group's rebalance timeout five seconds: without giving way the
// coordinator would drop it.
func TestRetryGivesWayToRebalance(t *testing.T) {
	brokers := newKafka(t)
	target, _ := newTarget(t)
	produce(t, brokers, workload()...)
	app := &downApplier{Applier: target}
	app.down.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := func() Config {
		c := testConfig(brokers, "g")
		c.Retry = retry.Policy{Initial: time.Hour, Max: time.Hour, Logger: quiet}
		c.ClientOpts = append(c.ClientOpts, kgo.RebalanceTimeout(5*time.Second), kgo.SessionTimeout(6*time.Second))
		return c
	}
	var logA, logB logBuf
	doneA := start(ctx, cfg(), Deps{Logger: slog.New(slog.NewTextHandler(&logA, nil)), Decoder: newDecoder(), Applier: app})
	for app.calls.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	doneB := start(ctx, cfg(), Deps{Logger: slog.New(slog.NewTextHandler(&logB, nil)), Decoder: newDecoder(), Applier: app})
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logA.String(), "gave a batch up for a rebalance"); {
		if time.Now().After(deadline) {
			t.Fatalf("the first consumer did not give its batch up for the rebalance; its log:\n%s", logA.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	app.down.Store(false)
	waitCaughtUp(t, target, "g", endOffsets(t, brokers), doneA)
	cancel()
	for _, done := range []<-chan error{doneA, doneB} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for name, l := range map[string]*logBuf{"first": &logA, "second": &logB} {
		if strings.Contains(l.String(), "partitions lost") {
			t.Errorf("the %s consumer was dropped from the group; its log:\n%s", name, l.String())
		}
	}
}

// slowApplier takes d for its first Apply.
type slowApplier struct {
	*apply.Applier
	d     time.Duration
	calls atomic.Int64
}

func (s *slowApplier) Apply(ctx context.Context, b apply.Batch) error {
	if s.calls.Add(1) == 1 {
		select {
		case <-time.After(s.d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Applier.Apply(ctx, b)
}

// A batch whose commit takes longer than the session timeout, while another
// consumer joins, gets nobody dropped from the group: heartbeats go on
// during the apply, and the rebalance waits for it (within RebalanceGrace).
func TestSlowCommitLongerThanSessionTimeout(t *testing.T) {
	brokers := newKafka(t)
	target, _ := newTarget(t)
	produce(t, brokers, workload()...)
	app := &slowApplier{Applier: target, d: 9 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testConfig(brokers, "g")
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.SessionTimeout(6*time.Second), kgo.RebalanceTimeout(30*time.Second))
	var logA, logB logBuf
	doneA := start(ctx, cfg, Deps{Logger: slog.New(slog.NewTextHandler(&logA, nil)), Decoder: newDecoder(), Applier: app})
	for app.calls.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	doneB := start(ctx, cfg, Deps{Logger: slog.New(slog.NewTextHandler(&logB, nil)), Decoder: newDecoder(), Applier: app})
	waitCaughtUp(t, target, "g", endOffsets(t, brokers), doneA)
	cancel()
	for _, done := range []<-chan error{doneA, doneB} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for name, l := range map[string]*logBuf{"first": &logA, "second": &logB} {
		if strings.Contains(l.String(), "partitions lost") {
			t.Errorf("the %s consumer was dropped from the group; its log:\n%s", name, l.String())
		}
	}
}

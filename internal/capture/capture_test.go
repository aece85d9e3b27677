package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// script is a reader whose passes fail with the errors given, in turn, then
// emit one batch and stop (as with SYNC_INCREMENTAL=off).
type script struct {
	fails  []error
	passes int
}

func (s *script) Run(ctx context.Context, _ source.Position, emit func(context.Context, source.Batch) error) error {
	s.passes++
	if len(s.fails) > 0 {
		err := s.fails[0]
		s.fails = s.fails[1:]
		return err
	}
	return emit(ctx, source.Batch{})
}

type fakeWriter struct {
	id     int
	closed *[]int
	err    error
}

func (w *fakeWriter) Write(context.Context, source.Batch) error { return w.err }
func (w *fakeWriter) Close()                                    { *w.closed = append(*w.closed, w.id) }

func run(t *testing.T, fails []error, window time.Duration) (err error, passes, writers int, closed []int, log string) {
	t.Helper()
	var buf bytes.Buffer
	r := &script{fails: fails}
	err = Run(context.Background(), Config{Retry: retry.Policy{Window: window, Initial: time.Millisecond, Max: 4 * time.Millisecond}},
		Deps{
			Reader: r,
			Load:   func(context.Context) (source.Position, error) { return source.Position{}, nil },
			NewWriter: func(context.Context) (Writer, error) {
				writers++
				return &fakeWriter{id: writers, closed: &closed}, nil
			},
			Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
		})
	return err, r.passes, writers, closed, buf.String()
}

func TestTransientFailuresAreRetriedAndLoggedOnce(t *testing.T) {
	refused := fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	aborted := fmt.Errorf("write: %w", kafka.ErrRetriable)
	err, passes, writers, closed, log := run(t, []error{refused, aborted, refused}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if passes != 4 || writers != 1 || len(closed) != 1 {
		t.Errorf("passes %d writers %d closed %v; want 4 passes with one writer, closed at the end", passes, writers, closed)
	}
	if n := strings.Count(log, "capture: outage,"); n != 1 {
		t.Errorf("outage begun logged %d times, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "capture: outage over"); n != 1 {
		t.Errorf("outage end logged %d times, want once:\n%s", n, log)
	}
}

func TestFailedWriterIsClosedAndRebuilt(t *testing.T) {
	failed := fmt.Errorf("commit: %w", kafka.ErrWriterFailed)
	err, _, writers, closed, _ := run(t, []error{failed}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if writers != 2 || len(closed) != 2 || closed[0] != 1 {
		t.Errorf("writers %d closed %v; want the failed writer 1 closed and a second one made", writers, closed)
	}
}

func TestPermanentAndFencedErrorsStop(t *testing.T) {
	for _, want := range []error{errors.New("invalid object name"), fmt.Errorf("x: %w", kafka.ErrFenced)} {
		err, passes, _, _, _ := run(t, []error{want}, time.Hour)
		if !errors.Is(err, want) || passes != 1 {
			t.Errorf("%v: got %v after %d passes, want it at once", want, err, passes)
		}
	}
}

func TestRetryWindowEnds(t *testing.T) {
	refused := fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	fails := make([]error, 1000)
	for i := range fails {
		fails[i] = refused
	}
	err, passes, _, _, _ := run(t, fails, 30*time.Millisecond)
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("got %v, want the refused connection after the window", err)
	}
	// Backoff waits of 1 to 4 ms in 30 ms: a few attempts, not a busy loop.
	if passes > 40 {
		t.Errorf("%d passes in a 30ms window: no backoff", passes)
	}
}

func TestTransient(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", syscall.ECONNRESET), true},
		{fmt.Errorf("x: %w", kafka.ErrRetriable), true},
		{fmt.Errorf("x: %w", kafka.ErrWriterFailed), true},
		{fmt.Errorf("x: %w", kafka.ErrFenced), false},
		{fmt.Errorf("x: %w", &sr.ResponseError{StatusCode: 503}), true},
		{fmt.Errorf("x: %w", &sr.ResponseError{StatusCode: 409}), false},
		{context.Canceled, false},
		{errors.New("invalid object name"), false},
		// A connection reset while the driver reads a reply, as go-mssqldb
		// reports it (its StreamError does not unwrap), and a reply the
		// driver cannot parse, which no retry mends.
		{fmt.Errorf("read changes of dbo.customer: %w", mssql.StreamError{InnerError: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}), true},
		{fmt.Errorf("x: %w", mssql.StreamError{InnerError: io.EOF}), true},
		{fmt.Errorf("x: %w", mssql.StreamError{InnerError: errors.New("unknown token type 0x42")}), false},
	} {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// flapping is a reader whose passes write a batch that succeeds (a
// heartbeat before the change that fails) and then the failing one, until
// the writer is fixed.
type flapping struct{ passes int }

func (f *flapping) Run(ctx context.Context, _ source.Position, emit func(context.Context, source.Batch) error) error {
	f.passes++
	before := source.Position{Snapshot: source.SnapshotPosition{Done: true}}
	before.Stream.CommitLSN[9] = byte(f.passes)
	if err := emit(ctx, source.Batch{Position: before}); err != nil {
		return err
	}
	after := before
	after.Stream.CommitLSN[8] = 1
	return emit(ctx, source.Batch{Position: after})
}

type failPast struct {
	n     *int
	until int
}

func (w *failPast) Write(_ context.Context, b source.Batch) error {
	if b.Position.Stream.CommitLSN[8] == 1 {
		*w.n++
		if *w.n <= w.until {
			return fmt.Errorf("register schema: %w", kafka.ErrRetriable)
		}
	}
	return nil
}
func (w *failPast) Close() {}

// TestFlappingPassesAreOneOutage: a pass that writes a batch before the one
// that keeps failing does not end the outage; the outage is logged once
// when it begins and once when writes go on.
func TestFlappingPassesAreOneOutage(t *testing.T) {
	var buf bytes.Buffer
	var n int
	r := &flapping{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := Run(ctx, Config{Retry: retry.Policy{Window: time.Hour, Initial: time.Millisecond, Max: 2 * time.Millisecond}}, Deps{
		Reader: &stopAfter{r: r, cancel: cancel, passes: 5},
		Load:   func(context.Context) (source.Position, error) { return source.Position{}, nil },
		NewWriter: func(context.Context) (Writer, error) {
			return &failPast{n: &n, until: 3}, nil
		},
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "capture: outage,"); got != 1 {
		t.Errorf("outage begun logged %d times, want once:\n%s", got, buf.String())
	}
	if got := strings.Count(buf.String(), "capture: outage over"); got != 1 {
		t.Errorf("outage end logged %d times, want once:\n%s", got, buf.String())
	}
}

// stopAfter ends the run (by cancelling) after the given number of passes
// of r, so that a reader that never returns nil can be tested.
type stopAfter struct {
	r      *flapping
	cancel context.CancelFunc
	passes int
}

func (s *stopAfter) Run(ctx context.Context, pos source.Position, emit func(context.Context, source.Batch) error) error {
	err := s.r.Run(ctx, pos, emit)
	if err == nil && s.r.passes >= s.passes {
		s.cancel()
	}
	return err
}

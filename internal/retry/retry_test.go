package retry

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"refused", fmt.Errorf("unable to open tcp connection with host 'x:1433': %w",
			&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"eof", fmt.Errorf("reading packet: %w", io.EOF), true},
		{"bad conn", driver.ErrBadConn, true},
		{"dns", &net.DNSError{Err: "no such host", Name: "db"}, true},
		{"deadlock", mssql.Error{Number: 1205, Message: "deadlock victim"}, true},
		{"snapshot conflict", fmt.Errorf("wrapped: %w", mssql.Error{Number: 3960}), true},
		{"snapshot read after DDL", fmt.Errorf("wrapped: %w", mssql.Error{Number: 3961}), true},
		{"login failed", mssql.Error{Number: 18456, Message: "Login failed for user 'sa'."}, false},
		{"invalid object", mssql.Error{Number: 208, Message: "Invalid object name 'dbo.t'."}, false},
		{"syntax", mssql.Error{Number: 102}, false},
		{"canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"other", errors.New("decode row: bad value"), false},
	}
	// A real HTTP client timeout: it matches context.DeadlineExceeded too.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	_, err := (&http.Client{Timeout: 50 * time.Millisecond}).Get(srv.URL)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GET of a server that never answers: %v, want a client timeout that is a context.DeadlineExceeded", err)
	}
	tests = append(tests, struct {
		name string
		err  error
		want bool
	}{"http client timeout", fmt.Errorf("register schema: %w", err), true})
	// The caller's own deadline, through the same client, is not.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	cancel()
	if _, err := http.DefaultClient.Do(req); err != nil {
		tests = append(tests, struct {
			name string
			err  error
			want bool
		}{"http request canceled by its caller", err, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// fakeClock lets Do run without real waits.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration, _ <-chan struct{}) error {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func testPolicy(c *fakeClock, window time.Duration) Policy {
	return Policy{Window: window, Initial: time.Second, Max: 4 * time.Second,
		Logger: slog.New(slog.DiscardHandler), sleep: c.sleep, now: func() time.Time { return c.now }}
}

func TestDoRetriesTransientThenSucceeds(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	calls := 0
	err := testPolicy(c, time.Hour).Do(context.Background(), "op", func(context.Context) error {
		calls++
		if calls < 4 {
			return mssql.Error{Number: 1205}
		}
		return nil
	})
	if err != nil || calls != 4 {
		t.Fatalf("err %v calls %d, want nil after 4", err, calls)
	}
	if len(c.waits) != 3 {
		t.Fatalf("waits %v, want 3", c.waits)
	}
	for i, base := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if c.waits[i] < base || c.waits[i] > base+base/5 {
			t.Errorf("wait %d = %v, want %v plus at most 20%% jitter", i, c.waits[i], base)
		}
	}
}

func TestDoStopsOnPermanent(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	calls := 0
	perm := mssql.Error{Number: 18456}
	err := testPolicy(c, time.Hour).Do(context.Background(), "op", func(context.Context) error {
		calls++
		return perm
	})
	var got mssql.Error
	if calls != 1 || !errors.As(err, &got) || got.Number != 18456 {
		t.Fatalf("calls %d err %v, want one call returning the login error", calls, err)
	}
}

func TestDoGivesUpAfterWindow(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	calls := 0
	err := testPolicy(c, 10*time.Second).Do(context.Background(), "connect", func(context.Context) error {
		calls++
		return syscall.ECONNREFUSED
	})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err %v, want it to wrap ECONNREFUSED", err)
	}
	var total time.Duration
	for _, w := range c.waits {
		total += w
	}
	if total != 10*time.Second {
		t.Errorf("waited %v in total, want exactly the 10s window", total)
	}
	if calls < 3 {
		t.Errorf("calls %d, want several attempts", calls)
	}
}

func TestDoHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Policy{Logger: slog.New(slog.DiscardHandler)}.Do(ctx, "op", func(context.Context) error {
		calls++
		cancel()
		return syscall.ECONNRESET
	})
	if calls != 1 || err == nil {
		t.Fatalf("calls %d err %v, want 1 call and an error", calls, err)
	}
}

func TestBackoff(t *testing.T) {
	b := NewBackoff(time.Second, 5*time.Second)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		if got := b.Next(); got < want || got > want+want/5 {
			t.Errorf("wait %d = %v, want %v plus at most 20%% jitter", i+1, got, want)
		}
	}
	b.Reset()
	if got := b.Next(); got < time.Second || got > 1200*time.Millisecond {
		t.Errorf("after Reset: %v, want 1s plus jitter", got)
	}
}

func TestInterruptEndsTheWait(t *testing.T) {
	stop := make(chan struct{})
	attempts := 0
	p := Policy{Window: time.Hour, Initial: time.Hour, Logger: slog.New(slog.DiscardHandler), Interrupt: stop,
		Transient: func(error) bool { return true }}
	failure := errors.New("down")
	err := p.Do(context.Background(), "op", func(context.Context) error {
		attempts++
		// The first wait is an hour: only the interrupt ends it.
		time.AfterFunc(10*time.Millisecond, func() { close(stop) })
		return failure
	})
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, failure) || attempts != 1 {
		t.Fatalf("want ErrInterrupted wrapping the last error after 1 attempt, got %v after %d", err, attempts)
	}
}

func TestOutageLoggedOnceWhenItBeginsAndOnceWhenItEnds(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	p := Policy{Initial: time.Millisecond, Max: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	err := p.Do(context.Background(), "reach it", func(context.Context) error {
		if calls++; calls < 5 {
			return syscall.ECONNREFUSED
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if n := strings.Count(log, "transient failure"); n != 1 {
		t.Errorf("failure logged %d times at info and above, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "recovered"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, log)
	}
}

func TestWait(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 5: 1600 * time.Millisecond, 9: 2 * time.Second} {
		if got := Wait(n, 100*time.Millisecond, 2*time.Second); got < want || got > want+want/5 {
			t.Errorf("Wait(%d) = %v, want %v plus at most 20%%", n, got, want)
		}
	}
}

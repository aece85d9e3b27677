// Package retry runs an operation again, with exponential backoff, while it
// fails with an error that a later attempt may not meet (an unreachable
// server, a deadlock), for up to a time window; any other error ends it at once.
package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// DefaultWindow is how long a failing operation is retried by default: 720
// minutes, as Alibaba DTS retries a lost source connection.
const DefaultWindow = 720 * time.Minute

// Policy says how long and how often an operation is retried. The zero value
// is usable: it retries for DefaultWindow, starting at one second and doubling
// up to one minute between attempts, and logs with slog.Default().
type Policy struct {
	// Window is how long after the first failure attempts go on. Zero means
	// DefaultWindow; a negative value means no retry at all.
	Window time.Duration
	// Initial is the first wait (default 1s); each wait doubles, up to Max
	// (default 1 minute), with up to 20% random jitter added.
	Initial time.Duration
	Max     time.Duration
	// Transient decides which errors are retried (default IsTransient).
	Transient func(error) bool
	Logger    *slog.Logger
	// OnRetry, when set, is called before each wait for another attempt
	// (for a retries metric).
	OnRetry func(op string)
	// Interrupt, once closed, ends the wait between attempts at once: Do
	// returns the last error wrapped with ErrInterrupted. An attempt under
	// way goes on (cancel its context to end it). Nil never interrupts.
	Interrupt <-chan struct{}
	// sleep is replaced by tests; nil means a context-aware timer.
	sleep func(context.Context, time.Duration, <-chan struct{}) error
	now   func() time.Time
}

// ErrInterrupted is wrapped by Do's error when Policy.Interrupt ended a wait
// between attempts.
var ErrInterrupted = errors.New("retry interrupted")

// Do runs fn under the policy. The returned error wraps fn's last error.
func (p Policy) Do(ctx context.Context, op string, fn func(context.Context) error) error {
	p = p.withDefaults()
	var first time.Time
	bo := NewBackoff(p.Initial, p.Max)
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if !first.IsZero() {
				p.Logger.Info("recovered, the failure is over", "op", op, "attempts", attempt,
					"lasted", p.now().Sub(first).Round(time.Millisecond))
			}
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if p.Window < 0 || !p.Transient(err) {
			return err
		}
		now := p.now()
		if first.IsZero() {
			first = now
		}
		elapsed := now.Sub(first)
		if elapsed >= p.Window {
			return fmt.Errorf("%s: gave up after %d attempts in %s (retry window %s): %w",
				op, attempt, elapsed.Round(time.Second), p.Window, err)
		}
		d := bo.Next()
		if rest := p.Window - elapsed; d > rest {
			d = rest
		}
		if p.OnRetry != nil {
			p.OnRetry(op)
		}
		// An outage is logged once when it begins, with its cause, and
		// once when it ends; the attempts between are debug.
		lv := slog.LevelDebug
		if attempt == 1 {
			lv = slog.LevelWarn
		}
		p.Logger.Log(ctx, lv, "transient failure, retrying", "op", op, "attempt", attempt,
			"retry_in", d.Round(time.Millisecond), "retrying_for", elapsed.Round(time.Second),
			"window", p.Window, "err", err)
		select {
		case <-p.Interrupt:
			return fmt.Errorf("%s: %w after %d attempts: %w", op, ErrInterrupted, attempt, err)
		default:
		}
		if serr := p.sleep(ctx, d, p.Interrupt); errors.Is(serr, ErrInterrupted) {
			return fmt.Errorf("%s: %w after %d attempts: %w", op, ErrInterrupted, attempt, err)
		} else if serr != nil {
			return fmt.Errorf("%s: stopped while waiting to retry: %w", op, errors.Join(serr, err))
		}
	}
}

func (p Policy) withDefaults() Policy {
	if p.Window == 0 {
		p.Window = DefaultWindow
	}
	if p.Initial <= 0 {
		p.Initial = time.Second
	}
	if p.Max <= 0 {
		p.Max = time.Minute
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Transient == nil {
		p.Transient = IsTransient
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.sleep == nil {
		p.sleep = sleepCtx
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// Backoff is the one backoff of the project: waits that double from an
// initial one up to a maximum, each with up to 20% random jitter added so
// that clients cut off together do not come back together.
type Backoff struct {
	initial, max, next time.Duration
}

// NewBackoff returns a Backoff from initial (at least 1ms) doubling up to max.
func NewBackoff(initial, max time.Duration) *Backoff {
	initial = time.Duration(max64(int64(initial), int64(time.Millisecond)))
	if max < initial {
		max = initial
	}
	return &Backoff{initial: initial, max: max, next: initial}
}

// Backoff returns the policy's backoff (Initial doubling up to Max).
func (p Policy) Backoff() *Backoff {
	p = p.withDefaults()
	return NewBackoff(p.Initial, p.Max)
}

// Next returns the next wait, jitter included, and doubles the one after.
func (b *Backoff) Next() time.Duration {
	d := b.next + time.Duration(rand.Int64N(int64(b.next)/5+1))
	b.next = min(b.next*2, b.max)
	return d
}

// Wait is the wait before retry n (1-based) of a Backoff from initial up to
// max, for hooks that count attempts themselves (kgo.RetryBackoffFn).
func Wait(n int, initial, max time.Duration) time.Duration {
	b := NewBackoff(initial, max)
	for i := 1; i < n && b.next < b.max; i++ {
		b.next = min(b.next*2, b.max)
	}
	return b.Next()
}

// Reset starts again from the initial wait (after a success).
func (b *Backoff) Reset() { b.next = b.initial }

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func sleepCtx(ctx context.Context, d time.Duration, interrupt <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-interrupt:
		return ErrInterrupted
	case <-t.C:
		return nil
	}
}

// Package capture is the producer's loop: load the source position Kafka
// holds, read the source from there (snapshot, then changes), encode each
// batch and write it with its position in one Kafka transaction, and on a
// failure start over from the position Kafka holds, under one retry policy
// (Transient, a backoff with jitter, one window). It is the producer's
// counterpart of the consumer's sink.Run.
//
// A producer typically does:
//
//	err := capture.Run(ctx, capture.Config{Retry: retry.Policy{Window: window, Logger: log}},
//		capture.Deps{Reader: reader, Load: loadPosition, NewWriter: newWriter, Logger: log})
package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Reader reads the source from a position; *source.Reader is one.
type Reader interface {
	Run(ctx context.Context, from source.Position, emit func(context.Context, source.Batch) error) error
}

var _ Reader = (*source.Reader)(nil)

// Writer writes one batch of events with the position it reaches, all or
// nothing (a publish.Publisher over a Kafka transactional writer).
type Writer interface {
	Write(ctx context.Context, b source.Batch) error
	Close()
}

// Config configures Run.
type Config struct {
	// Retry is the one policy: its Window (RETRY_WINDOW), Initial and Max
	// waits (jittered), and Logger. Its Transient is replaced by Transient.
	Retry retry.Policy
	// Resnapshot forgets a stale saved position once and takes a new
	// snapshot (STALE_POSITION=resnapshot); otherwise a stale position
	// stops Run.
	Resnapshot bool
}

// Deps are what Run works with.
type Deps struct {
	Reader Reader
	// Load returns the position Kafka holds (zero: none saved yet).
	Load func(ctx context.Context) (source.Position, error)
	// NewWriter makes a writer; a writer that failed (kafka.ErrWriterFailed)
	// is closed and a new one made.
	NewWriter func(ctx context.Context) (Writer, error)
	// Ready, if set, is told when the loop is working and when not.
	Ready  func(ok bool, reason string)
	Logger *slog.Logger
}

// Transient reports whether err may go away by itself, so the loop starts
// over after a wait: SQL Server and network errors (retry.IsTransient), a
// Kafka batch that was aborted (kafka.IsRetriable) or a transactional writer
// that failed (rebuilt), and a schema registry that answers 5xx, 408 or 429.
// A fenced producer (kafka.ErrFenced: another instance took over) is not.
func Transient(err error) bool {
	if err == nil || errors.Is(err, kafka.ErrFenced) {
		return false
	}
	if retry.IsTransient(err) || kafka.IsRetriable(err) || errors.Is(err, kafka.ErrWriterFailed) {
		return true
	}
	// go-mssqldb reports a connection lost while it reads a reply (reset,
	// closed, timed out) as a StreamError that does not unwrap to its cause.
	var se mssql.StreamError
	if errors.As(err, &se) && se.InnerError != nil && retry.IsTransient(se.InnerError) {
		return true
	}
	var re *sr.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode >= 500 || re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// stableAfter is how long writes must go on without a failure before an
// outage is said to be over: a pass may write batches (heartbeats, say)
// before it meets the one that keeps failing, and that is no recovery.
const stableAfter = 2 * time.Second

// outage is the state of a failure under way, logged once when it begins
// and once when writes have gone on for stableAfter.
type outage struct {
	mu       sync.Mutex
	log      *slog.Logger
	began    time.Time // zero: none under way
	attempts int
	confirm  *time.Timer // pending "over"
}

// failed records a failed pass and reports whether it begins an outage.
func (o *outage) failed(err error, window time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.confirm != nil {
		o.confirm.Stop()
		o.confirm = nil
	}
	o.attempts++
	if !o.began.IsZero() {
		o.log.Debug("capture: still failing", "attempt", o.attempts, "err", err)
		return false
	}
	o.began = time.Now()
	o.log.Warn("capture: outage, retrying from the last committed position", "cause", err, "retry_window", window)
	return true
}

// wrote records a successful write: the outage is over once writes go on
// for stableAfter without another failure.
func (o *outage) wrote() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.began.IsZero() || o.confirm != nil {
		return
	}
	o.confirm = time.AfterFunc(stableAfter, func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.confirm == nil {
			return
		}
		o.log.Info("capture: outage over, writing again", "lasted", time.Since(o.began).Round(time.Second), "attempts", o.attempts)
		o.began, o.attempts, o.confirm = time.Time{}, 0, nil
	})
}

// since is how long the outage under way has lasted, with its attempts.
func (o *outage) since() (time.Duration, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Since(o.began), o.attempts
}

// stop ends the outage's bookkeeping when Run returns; with done (the
// source finished, or the program stops) an outage whose writes had
// resumed is over at once.
func (o *outage) stop(done bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.confirm == nil {
		return
	}
	o.confirm.Stop()
	if done {
		o.log.Info("capture: outage over, writing again", "lasted", time.Since(o.began).Round(time.Second), "attempts", o.attempts)
	}
	o.confirm = nil
}

// Run loops until ctx ends (nil), the source is done (nil: the snapshot
// alone was asked for), or an error that is not transient, or transient for
// longer than the retry window, stops it. An outage is logged once when it
// begins, with its cause, and once when writes have gone on for
// stableAfter, not at every attempt.
func Run(ctx context.Context, cfg Config, d Deps) error {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	ready := d.Ready
	if ready == nil {
		ready = func(bool, string) {}
	}
	p := cfg.Retry
	if p.Window == 0 {
		p.Window = retry.DefaultWindow
	}
	bo := p.Backoff()
	var (
		w          Writer
		resnapshot bool
	)
	out := &outage{log: log}
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for {
		err := func() error {
			if w == nil {
				nw, err := d.NewWriter(ctx)
				if err != nil {
					return fmt.Errorf("start the Kafka transactional writer: %w", err)
				}
				w = nw
			}
			pos, err := d.Load(ctx)
			if err != nil {
				return err
			}
			if resnapshot {
				pos, resnapshot = source.Position{}, false
			}
			ready(true, "")
			return d.Reader.Run(ctx, pos, func(ctx context.Context, b source.Batch) error {
				if err := w.Write(ctx, b); err != nil {
					return err
				}
				out.wrote()
				return nil
			})
		}()
		if ctx.Err() != nil || err == nil { // err == nil: SYNC_INCREMENTAL=off and the snapshot is done
			out.stop(true)
			return nil
		}
		ready(false, err.Error())
		if errors.Is(err, source.ErrStalePosition) && cfg.Resnapshot {
			log.Warn("capture: the saved position is stale: taking a new snapshot of every table (STALE_POSITION=resnapshot)", "err", err)
			resnapshot = true
			continue
		}
		if errors.Is(err, kafka.ErrWriterFailed) && w != nil {
			w.Close()
			w = nil
		}
		if !Transient(err) {
			out.stop(false)
			return err
		}
		if out.failed(err, p.Window) {
			bo.Reset()
		}
		if p.OnRetry != nil {
			p.OnRetry("capture")
		}
		lasted, attempts := out.since()
		if p.Window < 0 || lasted >= p.Window {
			return fmt.Errorf("capture: gave up after %d attempts in %s (RETRY_WINDOW %s): %w",
				attempts, lasted.Round(time.Second), p.Window, err)
		}
		wait := min(bo.Next(), p.Window-lasted)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			out.stop(true)
			return nil
		case <-t.C:
		}
	}
}

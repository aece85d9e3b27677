package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrFenced means another producer started with the same transactional id
// and took over: this writer can never write again. The process must stop;
// restarting it would fence the newer producer in turn.
var ErrFenced = errors.New("kafka: producer fenced")

// ErrRetriable means the batch was not written (its transaction was
// aborted) for a reason that may pass, such as a broker restart or a
// timeout: the writer is still usable and the same batch may be written
// again.
var ErrRetriable = errors.New("kafka: batch not written, transaction aborted; retry it")

// ErrWriterFailed means the writer hit an error it cannot recover from; it
// must be closed. A new writer with the same transactional id aborts
// whatever this one left open.
var ErrWriterFailed = errors.New("kafka: transactional writer failed")

// DefaultTransactionTimeout is how long the broker lets a transaction stay
// open before it aborts it, unless TxnConfig says otherwise.
const DefaultTransactionTimeout = time.Minute

// abortTimeout bounds the abort that follows a failed batch when the
// caller's context is already done.
const abortTimeout = 30 * time.Second

// TxnConfig configures a TxnWriter.
type TxnConfig struct {
	// Brokers are the seed brokers; required.
	Brokers []string
	// TransactionalID identifies this producer across restarts; required
	// and stable (derive it from the source, not from the host). Starting
	// a second writer with the same id fences the first.
	TransactionalID string
	// StateTopic is the compacted topic the state record goes to when
	// the record passed to WriteBatch names no topic.
	StateTopic string
	// TransactionTimeout defaults to DefaultTransactionTimeout.
	TransactionTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Opts are extra client options (TLS, SASL, ...), applied last.
	Opts []kgo.Opt
}

// TxnWriter writes batches of records, each together with a state record,
// in one Kafka transaction: readers with read_committed isolation see the
// whole batch and its state or none of it. A TxnWriter is safe for
// concurrent use; batches are written one at a time.
type TxnWriter struct {
	cl  *kgo.Client
	cfg TxnConfig
	log *slog.Logger

	mu     sync.Mutex
	failed error // set once the writer cannot be used any more
}

// NewTxnWriter connects, and registers the transactional id with the
// transaction coordinator right away, so that any older producer with the
// same id is fenced (and its open transaction aborted) before this one
// reads its state or writes anything.
func NewTxnWriter(ctx context.Context, cfg TxnConfig) (*TxnWriter, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: transactional writer: no brokers given; set the broker list (KAFKA_BROKERS)")
	}
	if cfg.TransactionalID == "" {
		return nil, errors.New("kafka: transactional writer: empty transactional id; configure a stable id per source")
	}
	if cfg.TransactionTimeout <= 0 {
		cfg.TransactionTimeout = DefaultTransactionTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	opts := ClientOpts(cfg.Brokers,
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(cfg.TransactionTimeout),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)
	cl, err := kgo.NewClient(append(opts, cfg.Opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: transactional writer %q: %w", cfg.TransactionalID, err)
	}
	w := &TxnWriter{cl: cl, cfg: cfg, log: log.With("transactional_id", cfg.TransactionalID)}
	if err := Ping(ctx, cl); err != nil {
		cl.Close()
		return nil, err
	}
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return nil, w.classify("register transactional id", err)
	}
	return w, nil
}

// Client returns the underlying client, for LoadState and admin calls. Do
// not produce with it outside WriteBatch.
func (w *TxnWriter) Client() *kgo.Client { return w.cl }

// TransactionalID returns the writer's transactional id.
func (w *TxnWriter) TransactionalID() string { return w.cfg.TransactionalID }

// Close closes the client. A transaction can only be open here if a
// WriteBatch was interrupted; the broker aborts it when the next writer
// with the same id starts, or when the transaction timeout expires.
func (w *TxnWriter) Close() { w.cl.Close() }

// WriteBatch writes records and the state record in one transaction: begin,
// produce all, flush, commit. On any failure the transaction is aborted; a
// failure that may pass is retried (batchAttempts tries in all). The error
// returned wraps ErrFenced (stop the process), ErrRetriable (write the same
// batch again later) or ErrWriterFailed (close this writer). A state record
// with no topic goes to TxnConfig.StateTopic. The records must not be reused
// until WriteBatch returns.
func (w *TxnWriter) WriteBatch(ctx context.Context, records []*kgo.Record, state *kgo.Record) error {
	if state == nil {
		return errors.New("kafka: WriteBatch needs a state record: the source position must commit with the batch")
	}
	if state.Topic == "" {
		if w.cfg.StateTopic == "" {
			return errors.New("kafka: WriteBatch: the state record has no topic and TxnConfig.StateTopic is empty")
		}
		state.Topic = w.cfg.StateTopic
	}
	for i, r := range records {
		if r == nil || r.Topic == "" {
			return fmt.Errorf("kafka: WriteBatch: record %d has no topic", i)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	for attempt := 1; ; attempt++ {
		err := w.writeOnce(ctx, records, state)
		if err == nil || !errors.Is(err, ErrRetriable) || attempt == batchAttempts {
			return err
		}
		w.log.WarnContext(ctx, "kafka: writing the batch again", "attempt", attempt+1, "err", err)
		t := time.NewTimer(backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("kafka: %q: give up writing the batch: %w (last error: %w)", w.cfg.TransactionalID, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// batchAttempts is how many times WriteBatch tries a batch whose
// transaction failed for a passing reason before it returns ErrRetriable.
const batchAttempts = 5

// writeOnce writes the batch in one transaction. The caller holds w.mu.
func (w *TxnWriter) writeOnce(ctx context.Context, records []*kgo.Record, state *kgo.Record) error {
	if w.failed != nil {
		return w.failed
	}
	if err := w.cl.BeginTransaction(); err != nil {
		return w.fail(w.classify("begin transaction", err))
	}

	var (
		errMu    sync.Mutex
		firstErr error
	)
	promise := func(r *kgo.Record, err error) {
		if err == nil {
			return
		}
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = fmt.Errorf("produce to %s: %w", r.Topic, err)
		}
	}
	for _, r := range records {
		w.cl.Produce(ctx, r, promise)
	}
	w.cl.Produce(ctx, state, promise)
	// Flush before EndTransaction: EndTransaction does not flush.
	flushErr := w.cl.Flush(ctx)
	errMu.Lock()
	err := firstErr
	errMu.Unlock()
	if err == nil && flushErr != nil {
		err = fmt.Errorf("flush: %w", flushErr)
	}
	if err == nil {
		err = w.cl.EndTransaction(ctx, kgo.TryCommit)
		if err == nil {
			return w.checkCommitted(ctx, state)
		}
		err = fmt.Errorf("commit: %w", err)
	}
	return w.abort(ctx, err)
}

// checkCommitted makes sure that the transaction EndTransaction reported
// committed did commit (see commitLanded), by its state record.
func (w *TxnWriter) checkCommitted(ctx context.Context, state *kgo.Record) error {
	ok, err := commitLanded(ctx, w.cl, state)
	switch {
	case err != nil:
		return w.fail(fmt.Errorf("%w: %q: cannot tell whether the batch committed: %w; restart the producer: it resumes from the committed state", ErrWriterFailed, w.cfg.TransactionalID, err))
	case !ok:
		w.log.WarnContext(ctx, "kafka: the client aborted a transaction it was asked to commit", "state_offset", state.Offset)
		return fmt.Errorf("%w: %q: the Kafka client ended the transaction with an abort instead of a commit", ErrRetriable, w.cfg.TransactionalID)
	}
	return nil
}

// abort ends the open transaction after cause, and returns the classified
// error for the caller.
func (w *TxnWriter) abort(ctx context.Context, cause error) error {
	actx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
	}
	if err := w.cl.AbortBufferedRecords(actx); err != nil {
		return w.fail(fmt.Errorf("%w: %q: drop unsent records after %w: %w", ErrWriterFailed, w.cfg.TransactionalID, cause, err))
	}
	if err := w.cl.EndTransaction(actx, kgo.TryAbort); err != nil {
		if isFenced(err) {
			return w.fail(w.classify("abort", errors.Join(cause, err)))
		}
		return w.fail(fmt.Errorf("%w: %q: abort after %w: %w; close this writer and start a new one", ErrWriterFailed, w.cfg.TransactionalID, cause, err))
	}
	w.log.WarnContext(ctx, "kafka: transaction aborted", "err", cause)
	// The abort may leave the producer id failed (kgo keeps some errors
	// fatal under KIP-890); reloading it here heals what can be healed and
	// tells us now, not at the next batch, when the writer is done for.
	if _, _, err := w.cl.ProducerID(actx); err != nil {
		if isFenced(err) {
			return w.fail(w.classify("reload producer id", err))
		}
		return w.fail(fmt.Errorf("%w: %q: producer id unusable after aborting (%w): %w; close this writer and start a new one", ErrWriterFailed, w.cfg.TransactionalID, cause, err))
	}
	classified := w.classify("write batch", cause)
	if !errors.Is(classified, ErrRetriable) {
		return w.fail(classified)
	}
	return classified
}

// fail remembers a fatal error so later calls return it at once.
func (w *TxnWriter) fail(err error) error {
	if errors.Is(err, ErrFenced) || errors.Is(err, ErrWriterFailed) {
		w.failed = err
	}
	return err
}

// classify is the one place that decides what an error means for the
// writer: fenced (stop), retriable (write the batch again) or failed
// (close the writer).
func (w *TxnWriter) classify(op string, err error) error {
	id := w.cfg.TransactionalID
	switch {
	case isFenced(err):
		return fmt.Errorf("%w: another producer with transactional id %q is running; this one stops so that no change is written twice; run only one producer per source (a producer for another source database needs its own transactional id): %s: %w", ErrFenced, id, op, err)
	case errors.Is(err, kerr.TransactionalIDAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.TopicAuthorizationFailed):
		return fmt.Errorf("%w: %q: %s: %w; grant this client Write on the topics and Write/Describe on the transactional id", ErrWriterFailed, id, op, err)
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return fmt.Errorf("%w: %q: %s: %w; create the topic first (EnsureTopics)", ErrWriterFailed, id, op, err)
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return fmt.Errorf("%w: %q: %s: %w; a record exceeds the broker's message.max.bytes: raise it or make batches smaller", ErrWriterFailed, id, op, err)
	case errors.Is(err, kerr.InvalidProducerEpoch):
		// The abort succeeded, so nobody fenced us: the broker aborted
		// a transaction that outlived the transaction timeout.
		return fmt.Errorf("%w: %q: %s: %w; the transaction probably exceeded the transaction timeout (%s): make batches smaller or raise the timeout", ErrRetriable, id, op, err, w.cfg.TransactionTimeout)
	case errors.Is(err, kerr.OutOfOrderSequenceNumber):
		// Seen with kgo 1.22 under load right after a KIP-890 epoch
		// bump: a partition keeps its old sequence with the new epoch.
		// The abort succeeded and the producer id was reloaded, so
		// nothing of the batch is committed and writing it again is
		// safe.
		return fmt.Errorf("%w: %q: %s: %w", ErrRetriable, id, op, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("kafka: %q: %s: %w", id, op, err)
	case isRetriable(err):
		return fmt.Errorf("%w: %q: %s: %w", ErrRetriable, id, op, err)
	default:
		return fmt.Errorf("%w: %q: %s: %w", ErrWriterFailed, id, op, err)
	}
}

// isFenced reports a definite fence. A produce from a fenced producer fails
// with INVALID_PRODUCER_EPOCH, which can also mean that the broker aborted a
// transaction that outlived the transaction timeout; the abort that follows
// tells the two apart (PRODUCER_FENCED when another producer took over).
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced)
}

func isRetriable(err error) bool {
	if ke, ok := errors.AsType[*kerr.Error](err); ok {
		return ke.Retriable
	}
	var ne net.Error
	return errors.Is(err, kgo.ErrRecordTimeout) || errors.Is(err, kgo.ErrRecordRetries) ||
		errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
}

// IsRetriable reports whether err from WriteBatch means the same batch may
// be written again with the same writer.
func IsRetriable(err error) bool { return errors.Is(err, ErrRetriable) }

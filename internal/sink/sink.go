// Package sink is the consumer loop: it reads change topics as a member of a
// Kafka consumer group (read_committed), decodes each record into a change
// event, and applies bounded batches to the target in one transaction that
// also stores the Kafka offsets. On assignment it resumes from the offsets
// the target holds, so what the target committed is never applied twice;
// offsets are committed to Kafka afterwards for monitoring only.
//
// A consumer program typically does:
//
//	a, err := apply.New(ctx, pool, apply.Config{Dialect: dialect})
//	err = sink.Run(ctx, sink.Config{Brokers: brokers, Group: group, TopicPrefix: prefix,
//		MaxBatchEvents: 20000, MaxBatchWait: 500 * time.Millisecond},
//		sink.Deps{Decoder: codec, Applier: a, Logger: log, Metrics: sink.NewMetrics(reg)})
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/retry"
)

// Decoder turns one Kafka record into a change event. It returns a nil event
// and nil error for a record that carries no change (a heartbeat); the sink
// skips tombstones (empty values) itself without calling it.
type Decoder interface {
	Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error)
}

// Applier is the target side the sink writes to; *apply.Applier is one.
type Applier interface {
	Apply(ctx context.Context, b apply.Batch) error
	Offsets(ctx context.Context, group, topic string) (map[int32]apply.StoredOffset, error)
	Rebuild(ctx context.Context, r apply.Rebuild, src apply.RebuildSource) (apply.RebuildResult, error)
}

var _ Applier = (*apply.Applier)(nil)

// Config configures Run.
type Config struct {
	// Brokers are the Kafka bootstrap brokers.
	Brokers []string
	// Group is the consumer group; required.
	Group string
	// TopicPrefix selects the topics: every topic matching ^<TopicPrefix>\.
	// except those whose next character is an underscore (internal topics).
	TopicPrefix string
	// ExcludeTopics are more regular expressions of topics not to consume
	// (for example the producer's state and heartbeat topics when they share
	// the prefix).
	ExcludeTopics []string
	// MaxBatchEvents bounds the records of one target transaction; default 10000.
	MaxBatchEvents int
	// MaxBatchBytes bounds the memory one batch holds: its records' key
	// and value bytes plus the events decoded from them (estimated from
	// the last batch, see memory.go); default 16 MiB. A batch closes at the
	// first record that reaches it (one larger record is a batch of its
	// own). At most two batches are held, the one applied and the one read
	// ahead, and a fetch is capped at a quarter of it.
	MaxBatchBytes int
	// MaxBatchWait is how long to gather more records once some arrived,
	// while a batch is being applied, before applying a partial batch
	// (with none being applied, gather stops as soon as nothing more is
	// buffered); default 500ms.
	MaxBatchWait time.Duration
	// Retry says how long a failing Apply is retried; the zero value is
	// retry's default (720 minutes), retrying apply.IsTransient and
	// retry.IsTransient errors (deadlocks, lost connections).
	Retry retry.Policy
	// RebalanceGrace is how long an attempt to apply a batch under way may
	// go on once a rebalance waits for this consumer (the group's other
	// members wait in the meantime); then it is cancelled, the batch given
	// up and read again after the rebalance from where the target stands.
	// Waits between retries end at once. Default 20s, well inside kgo's
	// default rebalance timeout of 60s.
	RebalanceGrace time.Duration
	// ApplyTimeout bounds one attempt to apply a batch (TARGET_STATEMENT_TIMEOUT):
	// a target that stops answering without closing the connection (a
	// server or network that died without a reset) would otherwise hold
	// the attempt for as long as TCP keeps the connection. The attempt's
	// context ends, pgx closes the connection, and the batch is retried on
	// a new one within Retry's window. Zero: no bound.
	ApplyTimeout time.Duration
	// OnStale says what to do when the target's offsets do not belong to
	// the topic as it is now (deleted and recreated, another cluster,
	// records removed) or a table's rows come from another life of the
	// source database: OnStaleStop (the default) or OnStaleRebuild.
	OnStale string
	// DeadLetterTopic receives the records that can never be applied (see
	// Poison), with headers naming where they came from and why; the
	// consumer goes on. Empty: such a record stops the consumer.
	DeadLetterTopic string
	// Poison reports whether an error of decoding or applying a record will
	// never go away (a malformed record, a value the target rejects); other
	// decode errors (a registry outage) are retried within Retry's window.
	// Nil: no error is poison.
	Poison func(error) bool
	// Heartbeat reports whether an event is a producer's heartbeat; the
	// sink then exports the latency from its source commit to the commit
	// of the target transaction that applied it. Nil: no heartbeats.
	Heartbeat func(*event.Event) bool
	// Fatal reports whether an error of decoding a record is one of the
	// settings that no retry and no other record can fix (a mapping rule
	// that cannot apply to the table): the consumer stops at once, and the
	// record is not dead-lettered. Nil: none is.
	Fatal func(error) bool
	// ConnOpts are kgo options every client of the sink gets (TLS, SASL).
	ConnOpts []kgo.Opt
	// ClientOpts are more kgo options for the group consumer (session
	// timeouts, instance id); they come after ConnOpts and before the
	// options the sink needs.
	ClientOpts []kgo.Opt
}

// Deps are what Run works with.
type Deps struct {
	Decoder Decoder
	Applier Applier
	Logger  *slog.Logger // nil means slog.Default()
	Metrics *Metrics     // nil records no metrics
}

func (c *Config) validate(d Deps) error {
	if len(c.Brokers) == 0 {
		return errors.New("sink: no Kafka brokers configured (KAFKA_BROKERS)")
	}
	if c.Group == "" {
		return errors.New("sink: no consumer group configured (GROUP_ID)")
	}
	if c.TopicPrefix == "" {
		return errors.New("sink: no topic prefix configured (TOPIC_PREFIX)")
	}
	if d.Decoder == nil || d.Applier == nil {
		return errors.New("sink: Deps needs a Decoder and an Applier")
	}
	for _, x := range c.ExcludeTopics {
		if _, err := regexp.Compile(x); err != nil {
			return fmt.Errorf("sink: exclude-topic pattern %q: %w", x, err)
		}
	}
	if c.Retry.Transient == nil {
		c.Retry.Transient = func(err error) bool { return apply.IsTransient(err) || retry.IsTransient(err) }
	}
	if c.MaxBatchEvents <= 0 {
		c.MaxBatchEvents = 10000
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 16 << 20
	}
	if c.MaxBatchWait <= 0 {
		c.MaxBatchWait = 500 * time.Millisecond
	}
	if c.RebalanceGrace <= 0 {
		c.RebalanceGrace = 20 * time.Second
	}
	switch c.OnStale {
	case "":
		c.OnStale = OnStaleStop
	case OnStaleStop, OnStaleRebuild:
	default:
		return fmt.Errorf("sink: stale-state action %q: want %s or %s (STALE_STATE)", c.OnStale, OnStaleStop, OnStaleRebuild)
	}
	return nil
}

// TopicPattern is the regular expression of the topics a sink with this
// prefix consumes.
func TopicPattern(prefix string) string { return "^" + regexp.QuoteMeta(prefix) + `\.[^_]` }

// DecodeError is a record the decoder could not read. The sink stops on it:
// skipping would silently lose a change.
type DecodeError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("sink: cannot decode record %s/%d@%d (fix the producer or the schema registry, or move the group past it on purpose): %v",
		e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Run consumes until ctx ends (then it returns nil) or an error stops it.
func Run(ctx context.Context, cfg Config, d Deps) error {
	if err := cfg.validate(d); err != nil {
		return err
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &runner{cfg: cfg, dec: d.Decoder, app: d.Applier, log: log, metrics: d.Metrics,
		topics: map[string]topicState{}, stale: map[string][]string{}, dead: map[recordID]bool{},
		wanted: make(chan struct{})}
	if cfg.DeadLetterTopic != "" {
		// Records up to the producer's MAX_MESSAGE_BYTES default go there too.
		dlq, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, cfg.ConnOpts...),
			kgo.ProducerBatchMaxBytes(96<<20), kgo.RequiredAcks(kgo.AllISRAcks()))...)
		if err != nil {
			return fmt.Errorf("sink: create the dead-letter producer: %w", err)
		}
		defer dlq.Close()
		s.dlq = dlq
	}
	admcl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, cfg.ConnOpts...)...)
	if err != nil {
		return fmt.Errorf("sink: create Kafka admin client: %w", err)
	}
	defer admcl.Close()
	s.adm = kadm.NewClient(admcl)
	opts := append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...)}, cfg.ConnOpts...)
	opts = append(opts, cfg.ClientOpts...)
	opts = append(opts,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics(TopicPattern(cfg.TopicPrefix)),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// A fetch is buffered while a batch is gathered: bound it by a
		// quarter of the batch, since it is compressed (the broker still
		// returns a larger record alone). A partition gets a quarter of
		// a fetch, so that a batch holds several partitions, which
		// APPLY_PARALLELISM writes at once (with the whole fetch to one
		// partition, most batches were of one partition).
		kgo.FetchMaxBytes(int32(min(max(cfg.MaxBatchBytes/4, 1<<20), 1<<30))),
		kgo.FetchMaxPartitionBytes(int32(min(max(cfg.MaxBatchBytes/16, 256<<10), 1<<30))),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// Offsets come from the target (adjustOffsets); an offset that is
		// out of range later means records were removed or the topic was
		// replaced, which must be reported, never skipped over.
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.AdjustFetchOffsetsFn(s.adjustOffsets),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			log.Info("sink: partitions assigned", "group", cfg.Group, "partitions", a)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			log.Info("sink: partitions revoked", "group", cfg.Group, "partitions", r)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			log.Warn("sink: partitions lost (this consumer left the group, or the group dropped it)", "group", cfg.Group, "partitions", l)
		}),
		// A rebalance waits for this consumer's batch (BlockRebalanceOnPoll):
		// the loop ends its retries at once and its attempt within
		// RebalanceGrace (step), so the group never waits out its
		// rebalance timeout and drops this member.
		kgo.OnPartitionsCallbackBlocked(func(context.Context, *kgo.Client) { s.wantRebalance() }),
	)
	if len(cfg.ExcludeTopics) > 0 {
		opts = append(opts, kgo.ConsumeExcludeTopics(cfg.ExcludeTopics...))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("sink: create Kafka client: %w", err)
	}
	defer cl.Close()
	err = s.loop(ctx, cl)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type runner struct {
	cfg     Config
	dec     Decoder
	app     Applier
	adm     *kadm.Client
	log     *slog.Logger
	metrics *Metrics

	dlq    *kgo.Client
	deadMu sync.Mutex
	dead   map[recordID]bool // records dead-lettered by this runner

	// wanted is closed once a rebalance waits for the loop to call
	// AllowRebalance, and replaced when it does.
	rbMu   sync.Mutex
	wanted chan struct{}

	// decodedRatio is the decoded bytes per record byte of the last batch
	// decoded (see memory.go); gather weighs records by it. Read and
	// written by the loop's goroutine only.
	decodedRatio float64
	recordSize   float64 // the mean record bytes of that batch

	mu     sync.Mutex
	topics map[string]topicState // by topic: its id and cluster, as last checked
	stale  map[string][]string   // stale topics not yet dealt with, with findings
}

// adjustOffsets replaces the offsets Kafka has for newly assigned partitions
// with those the target holds: the target is the truth, since it stores its
// offsets in the same transaction as the rows. Partitions the target has
// never seen start from the beginning. Offsets that do not belong to the
// topic as it is now are not used: the topic is marked stale for the loop.
func (s *runner) adjustOffsets(ctx context.Context, in map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	out, stale, err := s.checkTopics(ctx, in)
	if err != nil {
		return nil, err
	}
	for t, f := range stale {
		s.markStale(t, f)
	}
	return out, nil
}

// loop applies batch after batch, reading and decoding the next batch while
// the target applies the current one: the consumer's CPU and the target's
// work overlap. Rebalances are allowed between batches, when the next batch
// is already read: should its partitions move, applying it is still exact,
// since the target skips what its stored offsets say was applied and never
// moves an offset back (the new owner and this one serialize on the
// offsets' row locks).
//
// A rebalance that waits while a batch is being retried (or decoded) does
// not wait for the retries: that batch is given up (see guardedStep), and
// so is the one read ahead, and every partition they hold is rewound to
// its first record, so that nothing after a given-up record is applied
// before it.
func (s *runner) loop(ctx context.Context, cl *kgo.Client) error {
	var inflight chan error // the batch being applied; nil when none
	var inflightRecs []*kgo.Record
	// idle is closed while no batch is being applied (gather).
	idle := make(chan struct{})
	close(idle)
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}
	// On the way out, the batch in flight ends first, then the group may
	// rebalance (Close leaves the group, which a blocked rebalance stalls).
	defer cl.AllowRebalance()
	defer func() { _ = wait() }()
	for {
		began := time.Now()
		recs, err := s.gather(ctx, cl, inflight != nil, idle)
		s.metrics.ObservePhase("fetch", time.Since(began))
		var pre *apply.Batch
		if err == nil && len(recs) > 0 && !s.hasStale() {
			var b apply.Batch
			if b, err = s.decodeBatch(ctx, recs); err == nil {
				pre = &b
				if raw := recordsBytes(recs); raw > 0 {
					s.decodedRatio = float64(batchBytes(pre)) / float64(raw)
					s.recordSize = float64(raw) / float64(len(recs))
				}
			}
		}
		werr := wait()
		gaveUp := errors.Is(werr, errGaveUp)
		if gaveUp || errors.Is(err, retry.ErrInterrupted) && ctx.Err() == nil {
			held := append(slices.Clone(recs), inflightRecs...)
			if !gaveUp {
				held = recs
			}
			s.rewind(cl, held)
			s.log.Warn("sink: gave a batch up for a rebalance; it is read again afterwards", "records", len(held), "err", errors.Join(werr, err))
			werr, err, recs, pre = nil, nil, nil, nil
		}
		inflightRecs = nil
		if werr != nil {
			return werr
		}
		if err != nil {
			return err
		}
		s.allowRebalance(cl)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(recs) == 0 && !s.hasStale() {
			continue
		}
		done, finished := make(chan error, 1), make(chan struct{})
		inflight, inflightRecs, idle = done, recs, finished
		go func() {
			err := s.guardedStep(ctx, cl, recs, pre)
			close(finished) // before done: once wait returns, idle is closed
			done <- err
		}()
	}
}

// errRebalance cancels an attempt that outlived RebalanceGrace.
var errRebalance = errors.New("sink: a rebalance waits for this batch")

// errGaveUp is guardedStep's answer for a batch it gave up.
var errGaveUp = errors.New("sink: batch given up for a rebalance")

// wantRebalance tells the batch under way (and a decode being retried)
// that a rebalance waits for this consumer.
func (s *runner) wantRebalance() {
	s.rbMu.Lock()
	defer s.rbMu.Unlock()
	select {
	case <-s.wanted:
	default:
		close(s.wanted)
	}
}

// rebalanceWanted is closed once a rebalance waits for this consumer.
func (s *runner) rebalanceWanted() <-chan struct{} {
	s.rbMu.Lock()
	defer s.rbMu.Unlock()
	return s.wanted
}

func (s *runner) allowRebalance(cl *kgo.Client) {
	s.rbMu.Lock()
	select {
	case <-s.wanted:
		s.wanted = make(chan struct{})
	default:
	}
	s.rbMu.Unlock()
	cl.AllowRebalance()
}

// rewind makes the client read every partition of recs again from its
// first record among them.
func (s *runner) rewind(cl *kgo.Client, recs []*kgo.Record) {
	to := map[string]map[int32]kgo.EpochOffset{}
	for _, r := range recs {
		if to[r.Topic] == nil {
			to[r.Topic] = map[int32]kgo.EpochOffset{}
		}
		if o, ok := to[r.Topic][r.Partition]; !ok || r.Offset < o.Offset {
			to[r.Topic][r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset}
		}
	}
	if len(to) > 0 {
		cl.SetOffsets(to)
	}
}

// guardedStep runs step, giving its batch up (errGaveUp) when a rebalance
// waits for it: waits between retries end at once, an attempt under way
// after RebalanceGrace. The loop rewinds a batch given up; it is read again
// from its first record (the target skips what it already holds), by this
// consumer if it keeps the partition, else by the one that gets it, from
// the target's offsets.
func (s *runner) guardedStep(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, pre *apply.Batch) error {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wanted := s.rebalanceWanted()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-wanted:
		}
		t := time.NewTimer(s.cfg.RebalanceGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel(errRebalance)
		}
	}()
	err := s.step(sctx, cl, recs, pre)
	if err == nil || ctx.Err() != nil || !(errors.Is(err, retry.ErrInterrupted) || errors.Is(context.Cause(sctx), errRebalance)) {
		return err
	}
	return fmt.Errorf("%w: %w", errGaveUp, err)
}

// step deals with stale topics found so far, then applies recs but for the
// records of stale topics (read nothing of them until dealt with). pre,
// when not nil, is recs already decoded.
func (s *runner) step(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, pre *apply.Batch) error {
	if stale := s.takeStale(); len(stale) > 0 {
		pre = nil
		recs = slices.DeleteFunc(recs, func(r *kgo.Record) bool { _, ok := stale[r.Topic]; return ok })
		if err := s.handleStale(ctx, cl, stale); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		return nil
	}
	// A batch that meets a changed source or topic is not applied; with
	// STALE_STATE=rebuild the topic's tables are rebuilt and the batch
	// applied again (its records of the rebuilt topic are then skipped).
	// So is a table the producer snapshotted again because CDC cleanup
	// removed changes it never read (RETENTION_LOSS=resnapshot), whatever
	// STALE_STATE says: its new snapshot replaces the rows, since rows
	// deleted meanwhile are in no event.
	for rebuilt := map[string]bool{}; ; {
		err := s.processDecoded(ctx, cl, recs, pre)
		pre = nil // decoded again after a rebuild: the topic's id may change
		var changed *apply.SourceChangedError
		var moved *apply.TopicChangedError
		var topic string
		staleTopic, resnapshot := false, false
		switch {
		case errors.As(err, &changed):
			topic, resnapshot = changed.Topic, changed.Stored.Resnapshot(changed.Found)
		case errors.As(err, &moved):
			topic, staleTopic = moved.Topic, true
		default:
			return err
		}
		if (s.cfg.OnStale != OnStaleRebuild && !resnapshot) || topic == "" || rebuilt[topic] {
			return err
		}
		rebuilt[topic] = true
		if resnapshot {
			s.log.Warn("sink: the producer took a new snapshot of a table whose changes CDC cleanup removed before they were read (RETENTION_LOSS=resnapshot): "+
				"replacing the rows of the tables the topic feeds with the topic's", "topic", topic, "table", changed.Target,
				"rows_of", changed.Stored.String(), "new_snapshot", changed.Found.String())
		} else {
			s.log.Warn("sink: rebuilding the tables a topic feeds (STALE_STATE=rebuild)", "topic", topic, "reason", err)
		}
		if err := s.rebuild(ctx, cl, topic, staleTopic); err != nil {
			return err
		}
	}
}

// gather polls until it has MaxBatchEvents records or MaxBatchWait has passed
// since the first arrived. Rebalances stay blocked until AllowRebalance;
// holding says a batch is being applied, so that an idle poll must not let
// a rebalance go on either.
//
// The batch also closes early when the target is idle (idle is closed: no
// batch in flight) and nothing more is buffered: waiting would only add
// latency, since nothing else is using the target. While a batch is
// applied, the next one grows until that batch is done: at a low rate
// batches are small and applied at once, at a high one they grow up to
// the bounds, and BATCH_MAX_WAIT only caps the wait.
func (s *runner) gather(ctx context.Context, cl *kgo.Client, holding bool, idle <-chan struct{}) ([]*kgo.Record, error) {
	var recs []*kgo.Record
	var deadline time.Time
	// size counts each record with the events it decodes into (memory.go):
	// MaxBatchBytes bounds the memory a batch holds, not only its records.
	size, raw := 0, 0
	weight := 1 + s.decodedRatio
	if s.decodedRatio == 0 {
		weight = 1 + initialDecodedRatio
	}
	for len(recs) < s.cfg.MaxBatchEvents && size < s.cfg.MaxBatchBytes {
		// An idle poll ends every second, so that stale topics found at an
		// assignment are dealt with (step) even when nothing arrives.
		left := time.Second
		drain := false // take what is buffered, without waiting
		if len(recs) > 0 {
			if left = time.Until(deadline); left <= 0 {
				break
			}
			select {
			case <-idle:
				drain = true
			default:
			}
		}
		mean := 0.0
		if len(recs) > 0 {
			mean = float64(raw) / float64(len(recs))
		}
		limit := s.pollLimit(len(recs), size, weight, mean)
		var fetches kgo.Fetches
		var waited error // why a waiting poll ended early, if it did
		if drain {
			fetches = cl.PollRecords(nil, limit) // a nil context: drain, never wait
		} else {
			pctx, cancel := context.WithTimeout(ctx, left)
			if len(recs) > 0 {
				// Stop waiting for more once the target is idle.
				go func() {
					select {
					case <-idle:
						cancel()
					case <-pctx.Done():
					}
				}()
			}
			fetches = cl.PollRecords(pctx, limit)
			waited = pctx.Err()
			cancel()
		}
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ferr error
		fetches.EachError(func(topic string, p int32, err error) {
			switch {
			case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			case fatalFetchError(err):
				ferr = errors.Join(ferr, fmt.Errorf("sink: fetch %s/%d: %w", topic, p, err))
			case errors.Is(err, kerr.OffsetOutOfRange):
				s.markStale(topic, []string{fmt.Sprintf("partition %d: the next offset to read is out of the partition's range (records were removed, or the topic was replaced)", p)})
			case errors.Is(err, kerr.UnknownTopicID):
				// kgo keeps a topic's first id: a recreated topic fails
				// here until purged. Purging makes the group assign it
				// again, and adjustOffsets compares it with the target's.
				s.log.Warn("sink: topic was deleted and recreated while consuming", "topic", topic)
				cl.PurgeTopicsFromClient(topic)
			default:
				// The client retries or resets by itself (data loss, a
				// deleted topic, a moving leader); the target's offsets
				// keep what was applied exact.
				s.log.Warn("sink: fetch error", "topic", topic, "partition", p, "err", err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		n := len(recs)
		fetches.EachRecord(func(r *kgo.Record) {
			recs = append(recs, r)
			raw += recordBytes(r)
			size += int(float64(recordBytes(r)) * weight)
		})
		fetches.EachPartition(s.metrics.fetched)
		if n == 0 && len(recs) > 0 {
			deadline = time.Now().Add(s.cfg.MaxBatchWait)
		}
		if drain && n == len(recs) {
			break // the target is idle and nothing more is buffered
		}
		if waited != nil && (len(recs) > 0 || s.hasStale()) {
			break
		}
		if len(recs) == 0 {
			if s.hasStale() || holding {
				break
			}
			// Holding nothing, let a rebalance waiting on this poll go on.
			s.allowRebalance(cl)
		}
	}
	return recs, nil
}

// process decodes recs, applies them in one target transaction with their
// offsets, then commits the offsets to Kafka for monitoring.
func (s *runner) process(ctx context.Context, cl *kgo.Client, recs []*kgo.Record) error {
	return s.processDecoded(ctx, cl, recs, nil)
}

// preparer is an Applier that can compact a batch ahead of Apply.
type preparer interface{ Prepare(b *apply.Batch) }

// decodeBatch is batch, timed, then compacted ahead of Apply when the
// Applier can (so that it is done while the previous batch is applied).
func (s *runner) decodeBatch(ctx context.Context, recs []*kgo.Record) (apply.Batch, error) {
	began := time.Now()
	b, err := s.batch(ctx, recs)
	s.metrics.ObservePhase("decode", time.Since(began))
	if p, ok := s.app.(preparer); ok && err == nil {
		began = time.Now()
		p.Prepare(&b)
		s.metrics.ObservePhase("compact", time.Since(began))
	}
	return b, err
}

// processDecoded is process with recs decoded already into pre, unless nil.
func (s *runner) processDecoded(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, pre *apply.Batch) error {
	var b apply.Batch
	var err error
	if pre != nil {
		b = *pre
	} else if b, err = s.decodeBatch(ctx, recs); err != nil {
		return err
	}
	began := time.Now()
	p := s.cfg.Retry
	p.Interrupt = s.rebalanceWanted()
	transient := p.Transient
	p.Transient = func(err error) bool { return errors.As(err, new(*ApplyTimeoutError)) || transient(err) }
	err = p.Do(ctx, "apply a batch to the target", func(ctx context.Context) error {
		return s.applyOnce(ctx, b)
	})
	if err != nil && s.cfg.DeadLetterTopic != "" && s.poison(err) {
		return s.isolate(ctx, cl, recs, err)
	}
	if err != nil {
		return fmt.Errorf("sink: apply %d events: %w", len(b.Events), err)
	}
	if s.metrics != nil {
		offs := map[string]map[int32]int64{}
		for _, o := range b.Offsets {
			if offs[o.Topic] == nil {
				offs[o.Topic] = map[int32]int64{}
			}
			offs[o.Topic][o.Partition] = o.Next
		}
		var lastMs int64
		if n := len(b.Events); n > 0 {
			lastMs = b.Events[n-1].Source.TsMs
		}
		s.metrics.observe(len(recs), len(b.Events), time.Since(began), offs, lastMs)
		s.metrics.heartbeats(b.Events, s.cfg.Heartbeat, time.Now())
	}
	s.log.Debug("sink: applied batch", "records", len(recs), "events", len(b.Events))
	// For monitoring (lag) only: the target already holds these offsets.
	if err := cl.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
		s.log.Warn("sink: commit offsets to Kafka (monitoring only)", "err", err)
	}
	return nil
}

// ApplyTimeoutError is an attempt to apply a batch that did not end within
// Config.ApplyTimeout; it is retried.
type ApplyTimeoutError struct {
	Timeout time.Duration
	Events  int
	Err     error // what the abandoned attempt returned
}

func (e *ApplyTimeoutError) Error() string {
	return fmt.Sprintf("the target did not finish applying a batch of %d events within %s (TARGET_STATEMENT_TIMEOUT): "+
		"it stopped answering, or the batch needs longer (raise TARGET_STATEMENT_TIMEOUT then); the attempt ended with: %v", e.Events, e.Timeout, e.Err)
}

// applyOnce is one attempt to apply b, bounded by Config.ApplyTimeout.
func (s *runner) applyOnce(ctx context.Context, b apply.Batch) error {
	if s.cfg.ApplyTimeout <= 0 {
		return s.app.Apply(ctx, b)
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.ApplyTimeout)
	defer cancel()
	err := s.app.Apply(actx, b)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// Not wrapping err: it holds context.DeadlineExceeded, which the
		// classifier takes for the end of the caller's context.
		return &ApplyTimeoutError{Timeout: s.cfg.ApplyTimeout, Events: len(b.Events), Err: err}
	}
	return err
}

func (s *runner) poison(err error) bool { return s.cfg.Poison != nil && s.cfg.Poison(err) }

// batch decodes recs into one target batch with the offsets they reach. A
// record that can never be decoded goes to the dead-letter topic when there
// is one; other decode errors (the registry unreachable) are retried.
func (s *runner) batch(ctx context.Context, recs []*kgo.Record) (apply.Batch, error) {
	b := apply.Batch{Group: s.cfg.Group, Events: make([]*event.Event, 0, len(recs)), From: make([]apply.Origin, 0, len(recs))}
	type tp struct {
		topic     string
		partition int32
	}
	next := map[tp]int{} // index in b.Offsets by topic/partition
	last := -1           // the previous record's, as a partition's records come in runs
	for _, r := range recs {
		if last >= 0 && b.Offsets[last].Partition == r.Partition && b.Offsets[last].Topic == r.Topic {
			b.Offsets[last].Next = r.Offset + 1
		} else if i, ok := next[tp{r.Topic, r.Partition}]; ok {
			b.Offsets[i].Next = r.Offset + 1
			last = i
		} else {
			last = len(b.Offsets)
			next[tp{r.Topic, r.Partition}] = last
			ts := s.topic(r.Topic)
			b.Offsets = append(b.Offsets, apply.Offset{Topic: r.Topic, Partition: r.Partition, Next: r.Offset + 1, TopicID: ts.id, ClusterID: ts.cluster})
		}
		if len(r.Value) == 0 {
			continue // a tombstone after a delete: for compaction only
		}
		if s.isDead(recordID{r.Topic, r.Partition, r.Offset}) {
			continue
		}
		e, err := s.decode(ctx, r)
		if err != nil && s.cfg.DeadLetterTopic != "" && s.poison(err) {
			if err := s.deadLetter(ctx, r, "decode", err); err != nil {
				return b, err
			}
			continue
		}
		if err != nil {
			return b, &DecodeError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err}
		}
		if e == nil {
			continue
		}
		b.Events = append(b.Events, e)
		b.From = append(b.From, apply.Origin{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset})
	}
	return b, nil
}

// decode decodes r, retrying errors that are not poison (a registry that
// does not answer) within the retry window.
func (s *runner) decode(ctx context.Context, r *kgo.Record) (*event.Event, error) {
	if s.cfg.Poison == nil {
		// No way to tell a bad record from an outage: stop either way.
		return s.dec.Decode(ctx, r.Topic, r.Key, r.Value)
	}
	// The first attempt goes without the policy: nearly every record
	// decodes at once, and the policy's name for the record (a formatted
	// string) and closures cost more than the decode of a small row.
	e, err := s.dec.Decode(ctx, r.Topic, r.Key, r.Value)
	if err == nil || s.cfg.Retry.Window < 0 || !s.transientDecodeError(ctx, err) {
		return e, err
	}
	p := s.cfg.Retry
	p.Interrupt = s.rebalanceWanted()
	p.Transient = func(err error) bool { return s.transientDecodeError(ctx, err) }
	err = p.Do(ctx, fmt.Sprintf("decode record %s/%d@%d", r.Topic, r.Partition, r.Offset), func(ctx context.Context) error {
		var err error
		e, err = s.dec.Decode(ctx, r.Topic, r.Key, r.Value)
		return err
	})
	return e, err
}

// transientDecodeError reports whether a decode may succeed if retried: the
// record is not poison, nothing needs a person, and the run goes on.
func (s *runner) transientDecodeError(ctx context.Context, err error) bool {
	return !s.poison(err) && (s.cfg.Fatal == nil || !s.cfg.Fatal(err)) && ctx.Err() == nil
}

// fatalFetchError reports whether a fetch error needs a person: missing
// permissions or a misconfigured client. Everything else the client recovers
// from by itself.
func fatalFetchError(err error) bool {
	return errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.GroupAuthorizationFailed) ||
		errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.SaslAuthenticationFailed) ||
		errors.Is(err, kerr.InvalidGroupID) || errors.Is(err, kerr.UnsupportedVersion)
}

func (s *runner) hasStale() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stale) > 0
}

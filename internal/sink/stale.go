package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// What to do when the target's bookkeeping does not belong to what the
// consumer reads (Config.OnStale).
const (
	// OnStaleStop stops the consumer with a *StaleStateError; nothing is applied.
	OnStaleStop = "stop"
	// OnStaleRebuild replaces the target tables a stale topic feeds with
	// what the topic holds, in one target transaction, then goes on.
	OnStaleRebuild = "rebuild"
)

// ErrStaleState is wrapped by every error that reports stale bookkeeping.
var ErrStaleState = errors.New("the target's bookkeeping does not belong to what the consumer reads")

// StaleStateError reports offsets stored in the target that do not belong to
// the topic the consumer reads now: the topic was deleted and recreated, the
// consumer points at another Kafka cluster, or records were removed before
// they were applied. Nothing of the topic was applied.
type StaleStateError struct {
	Group    string
	Topic    string
	Findings []string // what was stored and what was found, one line each
}

func (e *StaleStateError) Error() string {
	return fmt.Sprintf("sink: the offsets the target holds for topic %s (group %s) do not belong to that topic as it is now: %s. "+
		"Applying from them would skip or repeat records, so nothing of the topic was applied. Ways out: set STALE_STATE=rebuild to replace "+
		"the target tables the topic feeds with what the topic holds, in one transaction; or, if the target should keep its rows and go on "+
		"from the topic's start, delete the group's offsets of the topic (DELETE FROM <TARGET_META_SCHEMA>.consumer_offsets WHERE group_id = '%s' AND topic = '%s'); "+
		"or use a new GROUP_ID with an empty target",
		e.Topic, e.Group, strings.Join(e.Findings, "; "), e.Group, e.Topic)
}

func (e *StaleStateError) Unwrap() error { return ErrStaleState }

// topicState is what the consumer knows of a topic it reads.
type topicState struct {
	id      string // Kafka's topic id as text, empty if the broker has none
	cluster string
}

// checkTopics compares the stored offsets of topics with the topics as
// they are: their ids, their cluster and each partition's first and next
// offsets. It returns the offsets to resume from (stored offsets that
// still hold; the start for partitions never applied) and the findings of
// each stale topic.
func (s *runner) checkTopics(ctx context.Context, in map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, map[string][]string, error) {
	topics := make([]string, 0, len(in))
	for t := range in {
		topics = append(topics, t)
	}
	// The stored offsets are read before the partitions' ends: another
	// member may apply (and store) records of these topics meanwhile, and
	// ends listed first could be below what it stored by the time the
	// target is read, a false "beyond the end" (seen in TestChaos). Stored
	// offsets only ever refer to records already in Kafka, so ends listed
	// after them are at or above them.
	storedOf := make(map[string]map[int32]apply.StoredOffset, len(topics))
	for _, topic := range topics {
		stored, err := s.app.Offsets(ctx, s.cfg.Group, topic)
		if err != nil {
			return nil, nil, fmt.Errorf("sink: load offsets of %s from the target: %w", topic, err)
		}
		storedOf[topic] = stored
	}
	md, err := s.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("sink: read metadata of %v: %w", topics, err)
	}
	starts, err := s.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("sink: list start offsets of %v: %w", topics, err)
	}
	ends, err := s.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("sink: list end offsets of %v: %w", topics, err)
	}
	out := make(map[string]map[int32]kgo.Offset, len(in))
	stale := map[string][]string{}
	for topic, parts := range in {
		stored := storedOf[topic]
		td := md.Topics[topic]
		if td.Err != nil {
			return nil, nil, fmt.Errorf("sink: metadata of %s: %w", topic, td.Err)
		}
		cur := topicState{cluster: md.Cluster}
		if td.ID != (kadm.TopicID{}) {
			cur.id = td.ID.String()
		}
		s.setTopic(topic, cur)
		var findings []string
		for p, st := range stored {
			findings = append(findings, staleFindings(p, st, cur, td, starts, ends, topic)...)
		}
		slices.Sort(findings)
		if len(findings) > 0 {
			stale[topic] = findings
		}
		out[topic] = make(map[int32]kgo.Offset, len(parts))
		for p := range parts {
			st, ok := stored[p]
			switch {
			case !ok:
				out[topic][p] = kgo.NewOffset().AtStart()
			case len(findings) > 0:
				// Read nothing of a stale topic until it is dealt with.
				out[topic][p] = kgo.NewOffset().AtEnd()
			default:
				out[topic][p] = kgo.NewOffset().At(st.Next).WithEpoch(-1)
			}
		}
		s.log.Info("sink: resuming from the target's offsets", "topic", topic, "topic_id", cur.id, "stored", len(stored), "stale", len(findings) > 0)
	}
	return out, stale, nil
}

// staleFindings says what is wrong with one stored offset of topic, if anything.
func staleFindings(p int32, st apply.StoredOffset, cur topicState, td kadm.TopicDetail, starts, ends kadm.ListedOffsets, topic string) []string {
	var f []string
	switch {
	case st.TopicID != "" && cur.id != "" && st.TopicID != cur.id:
		f = append(f, fmt.Sprintf("partition %d: stored for topic id %s (cluster %s), the topic now has id %s (cluster %s): it was deleted and recreated, or this is another cluster",
			p, st.TopicID, orUnknown(st.ClusterID), cur.id, orUnknown(cur.cluster)))
	case st.ClusterID != "" && cur.cluster != "" && st.ClusterID != cur.cluster && (st.TopicID == "" || cur.id == ""):
		f = append(f, fmt.Sprintf("partition %d: stored for cluster %s, the consumer now reads cluster %s", p, st.ClusterID, cur.cluster))
	}
	if _, ok := td.Partitions[p]; !ok {
		return append(f, fmt.Sprintf("partition %d: stored at offset %d, but the topic has no partition %d (it has %d)", p, st.Next, p, len(td.Partitions)))
	}
	if end, ok := ends.Lookup(topic, p); ok && end.Err == nil && st.Next > end.Offset {
		f = append(f, fmt.Sprintf("partition %d: stored next offset %d is beyond the partition's end %d", p, st.Next, end.Offset))
	}
	if start, ok := starts.Lookup(topic, p); ok && start.Err == nil && st.Next < start.Offset {
		f = append(f, fmt.Sprintf("partition %d: stored next offset %d is below the partition's first offset %d: records were removed (retention) before they were applied",
			p, st.Next, start.Offset))
	}
	return f
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (s *runner) setTopic(topic string, st topicState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.topics[topic] = st
}

func (s *runner) topic(topic string) topicState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.topics[topic]
}

// markStale records findings for topic, to deal with in the loop.
func (s *runner) markStale(topic string, findings []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stale[topic] = append(s.stale[topic], findings...)
}

// takeStale returns and forgets the stale topics found so far.
func (s *runner) takeStale() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stale
	s.stale = map[string][]string{}
	return st
}

// handleStale stops with a *StaleStateError, or rebuilds each stale topic's
// tables when Config.OnStale says so.
func (s *runner) handleStale(ctx context.Context, cl *kgo.Client, stale map[string][]string) error {
	topics := make([]string, 0, len(stale))
	for t := range stale {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	for _, t := range topics {
		err := &StaleStateError{Group: s.cfg.Group, Topic: t, Findings: stale[t]}
		if s.cfg.OnStale != OnStaleRebuild {
			return err
		}
		s.log.Warn("sink: stale offsets: rebuilding the tables the topic feeds (STALE_STATE=rebuild)", "topic", t, "findings", strings.Join(stale[t], "; "))
		if err := s.rebuild(ctx, cl, t, true); err != nil {
			return err
		}
	}
	return nil
}

// rebuild replaces the target tables topic feeds with what the topic holds
// up to its end, in one target transaction (apply.Rebuild), reading every
// partition with a client of its own, and moves this consumer's assigned
// partitions of the topic to that end. staleTopic says the rebuild is for
// offsets of another topic incarnation: then it is skipped when another
// member of the group already rebuilt from this one.
func (s *runner) rebuild(ctx context.Context, cl *kgo.Client, topic string, staleTopic bool) error {
	began := time.Now()
	md, err := s.adm.Metadata(ctx, topic)
	if err != nil {
		return fmt.Errorf("sink: rebuild from %s: read metadata: %w", topic, err)
	}
	td := md.Topics[topic]
	if td.Err != nil {
		return fmt.Errorf("sink: rebuild from %s: %w", topic, td.Err)
	}
	cur := topicState{cluster: md.Cluster}
	if td.ID != (kadm.TopicID{}) {
		cur.id = td.ID.String()
	}
	s.setTopic(topic, cur)
	rd := &topicReader{s: s, topic: topic}
	defer rd.close()
	res, err := s.app.Rebuild(ctx, apply.Rebuild{Group: s.cfg.Group, Topic: topic, TopicID: cur.id, ClusterID: cur.cluster,
		Partitions: td.Partitions.Numbers(), SkipIfCurrent: staleTopic}, rd)
	if err != nil {
		return fmt.Errorf("sink: rebuild from %s: %w", topic, err)
	}
	if res.AlreadyDone {
		s.log.Info("sink: another member of the group already rebuilt the tables of the topic", "topic", topic)
	}
	// Go on from what the target now holds for this consumer's partitions.
	stored, err := s.app.Offsets(ctx, s.cfg.Group, topic)
	if err != nil {
		return fmt.Errorf("sink: rebuild from %s: %w", topic, err)
	}
	set := map[string]map[int32]kgo.EpochOffset{topic: {}}
	for p, st := range stored {
		set[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: st.Next}
	}
	cl.SetOffsets(set)
	if !res.AlreadyDone {
		s.log.Warn("sink: rebuilt target tables from the topic in one transaction", "topic", topic, "tables", strings.Join(res.Tables, ", "),
			"events", res.Events, "skipped_older_database_life", res.Skipped, "took", time.Since(began).Round(time.Millisecond))
	}
	return nil
}

// topicReader reads every partition of a topic from its start up to its
// last stable offsets, read_committed, decoding records into events. It is
// the apply.RebuildSource of a rebuild.
type topicReader struct {
	s     *runner
	topic string
	cl    *kgo.Client
	end   map[int32]int64
	done  map[int32]bool
}

var _ apply.RebuildSource = (*topicReader)(nil)

// End lists the partitions' last stable offsets (everything below them is
// committed or aborted) and starts reading.
func (r *topicReader) End(ctx context.Context) (map[int32]int64, error) {
	ends, err := r.s.adm.ListCommittedOffsets(ctx, r.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	r.end, r.done = map[int32]int64{}, map[int32]bool{}
	parts := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		r.end[o.Partition] = o.Offset
		r.done[o.Partition] = o.Offset <= 0
		parts[o.Partition] = kgo.NewOffset().AtStart()
	})
	opts := append([]kgo.Opt{kgo.SeedBrokers(r.s.cfg.Brokers...)}, r.s.cfg.ConnOpts...)
	opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.topic: parts}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if r.cl, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("create Kafka client: %w", err)
	}
	return r.end, nil
}

func (r *topicReader) close() {
	if r.cl != nil {
		r.cl.Close()
	}
}

// Next returns the next chunk of events, nil once every partition reached
// its end. A partition is done when a record at or past its end arrives or
// when a poll finds nothing more (its last records may be transaction
// markers, which read_committed consumers never see).
func (r *topicReader) Next(ctx context.Context) ([]*event.Event, error) {
	var events []*event.Event
	for len(events) == 0 {
		if !slices.Contains(mapValues(r.done), false) {
			return nil, nil
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fetches := r.cl.PollRecords(pctx, r.s.cfg.MaxBatchEvents)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = errors.Join(ferr, fmt.Errorf("fetch %s/%d: %w", t, p, err))
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		if fetches.NumRecords() == 0 {
			for p := range r.done {
				r.done[p] = true
			}
			return nil, nil
		}
		for _, rec := range fetches.Records() {
			if rec.Offset >= r.end[rec.Partition] {
				r.done[rec.Partition] = true
				continue
			}
			if rec.Offset+1 >= r.end[rec.Partition] {
				r.done[rec.Partition] = true
			}
			if len(rec.Value) == 0 {
				continue
			}
			e, err := r.s.dec.Decode(ctx, rec.Topic, rec.Key, rec.Value)
			if err != nil {
				return nil, &DecodeError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Err: err}
			}
			if e != nil {
				events = append(events, e)
			}
		}
	}
	return events, nil
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

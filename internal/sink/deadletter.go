package sink

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
)

// Headers a dead-lettered record carries besides its own: where it was read
// and why it could not be applied.
const (
	HeaderTopic     = "mssql2adb.topic"
	HeaderPartition = "mssql2adb.partition"
	HeaderOffset    = "mssql2adb.offset"
	HeaderGroup     = "mssql2adb.group"
	HeaderStage     = "mssql2adb.stage" // decode or apply
	HeaderError     = "mssql2adb.error"
)

type recordID struct {
	topic     string
	partition int32
	offset    int64
}

// deadLetter writes r to the dead-letter topic with headers saying where it
// came from and why, synchronously, before the offsets that skip it are
// stored: a crash in between writes it there twice, never loses it.
func (s *runner) deadLetter(ctx context.Context, r *kgo.Record, stage string, cause error) error {
	id := recordID{r.Topic, r.Partition, r.Offset}
	if s.isDead(id) {
		return nil
	}
	out := &kgo.Record{Topic: s.cfg.DeadLetterTopic, Key: r.Key, Value: r.Value, Headers: append(append([]kgo.RecordHeader(nil), r.Headers...),
		kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: HeaderGroup, Value: []byte(s.cfg.Group)},
		kgo.RecordHeader{Key: HeaderStage, Value: []byte(stage)},
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cause.Error())},
	)}
	err := s.cfg.Retry.Do(ctx, "write a record to the dead-letter topic "+s.cfg.DeadLetterTopic, func(ctx context.Context) error {
		return s.dlq.ProduceSync(ctx, out).FirstErr()
	})
	if err != nil {
		return fmt.Errorf("sink: dead-letter %s/%d@%d (%v): %w", r.Topic, r.Partition, r.Offset, cause, err)
	}
	s.deadMu.Lock()
	s.dead[id] = true
	s.deadMu.Unlock()
	s.log.Error("sink: record dead-lettered: it can never be applied; the consumer goes on", "topic", r.Topic, "partition", r.Partition,
		"offset", r.Offset, "stage", stage, "dead_letter_topic", s.cfg.DeadLetterTopic, "err", cause)
	s.metrics.deadLettered(r.Topic, stage)
	return nil
}

// isolate applies recs after a batch of them failed with an error that
// will never go away (Config.Poison): halves are applied in order until the
// records that fail alone are found; each goes to the dead-letter topic and
// its offset is stored with the rest.
func (s *runner) isolate(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, cause error) error {
	if len(recs) == 1 {
		if err := s.deadLetter(ctx, recs[0], "apply", cause); err != nil {
			return err
		}
		b, err := s.batch(ctx, recs)
		if err != nil {
			return err
		}
		b.Events, b.From = nil, nil // the record stays out; its offset is stored
		return s.cfg.Retry.Do(ctx, "store the offset of a dead-lettered record", func(ctx context.Context) error {
			return s.app.Apply(ctx, b)
		})
	}
	s.log.Warn("sink: a batch failed with an error that will not go away: applying it in halves to find the bad records",
		"records", len(recs), "err", cause)
	half := len(recs) / 2
	if err := s.process(ctx, cl, recs[:half]); err != nil {
		return err
	}
	return s.process(ctx, cl, recs[half:])
}

// isDead reports whether this runner dead-lettered the record: the next
// batch is decoded while the current one, which may dead-letter, applies.
func (s *runner) isDead(id recordID) bool {
	s.deadMu.Lock()
	defer s.deadMu.Unlock()
	return s.dead[id]
}

// DeadLetterTopic is how the consumer creates its dead-letter topic
// (BAD_RECORDS=deadletter): one partition, cleaned by retention rather than
// compaction (it holds records of many topics, whose keys may collide), and
// room for the largest change event (96 MiB).
func DeadLetterTopic(name string) kafka.TopicSpec {
	deleted, maxBytes := "delete", "100663296"
	return kafka.TopicSpec{Name: name, Partitions: 1, ReplicationFactor: -1,
		Configs: map[string]*string{"cleanup.policy": &deleted, "max.message.bytes": &maxBytes}}
}

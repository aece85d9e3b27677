package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
)

// kafkaStore keeps the log in a compacted, single-partition topic.
type kafkaStore struct {
	cl    *kgo.Client
	topic string
	next  map[int32]int64
}

func newKafkaStore(ctx context.Context, cfg Config) (*kafkaStore, error) {
	opts := kafka.ClientOpts(cfg.Brokers,
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	cl, err := kgo.NewClient(append(opts, cfg.KafkaOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("registry: kafka client: %w", err)
	}
	if err := kafka.Ping(ctx, cl); err != nil {
		cl.Close()
		return nil, fmt.Errorf("registry: %w", err)
	}
	spec := kafka.TopicSpec{Name: cfg.Topic, Partitions: 1, ReplicationFactor: cfg.ReplicationFactor}
	mism, err := kafka.EnsureTopicsReport(ctx, kadm.NewClient(cl), []kafka.TopicSpec{spec})
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("registry: schemas topic: %w", err)
	}
	if len(mism) > 0 {
		cl.Close()
		return nil, fmt.Errorf("registry: schemas topic %q has %d partitions; it needs exactly 1 so that the log keeps its order: recreate it", cfg.Topic, mism[0].Have)
	}
	return &kafkaStore{cl: cl, topic: cfg.Topic}, nil
}

func (s *kafkaStore) append(ctx context.Context, recs ...logRecord) error {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Topic: s.topic, Partition: 0, Key: r.Key, Value: r.Value}
	}
	if err := s.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		return fmt.Errorf("write to %q: %w", s.topic, err)
	}
	return nil
}

func (s *kafkaStore) poll(ctx context.Context, fn func(logRecord) error) error {
	next, err := kafka.ReadCommitted(ctx, s.cl, s.topic, s.next, func(r *kgo.Record) error {
		if err := fn(logRecord{Key: r.Key, Value: r.Value}); err != nil {
			return fmt.Errorf("apply %q offset %d: %w", s.topic, r.Offset, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.next = next
	return nil
}

func (s *kafkaStore) close() error {
	if s.cl == nil {
		return errors.New("registry: store already closed")
	}
	s.cl.Close()
	s.cl = nil
	return nil
}

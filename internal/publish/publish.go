// Package publish writes one batch of change events to Kafka: each event
// encoded (the Avro codec) to its table's topic, with tombstones for
// compaction, and the source position the batch reaches as the state record,
// all in one Kafka transaction. It also names and creates the topics, and
// reads the position back at start. The loop that reads the source and
// calls it, with retries, is internal/capture.Run.
package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Encoder turns an event into a Kafka key and value (the Avro codec).
type Encoder interface {
	Encode(ctx context.Context, topic string, e *event.Event) (key, value []byte, err error)
}

// Writer writes records and the state record in one Kafka transaction.
type Writer interface {
	WriteBatch(ctx context.Context, records []*kgo.Record, state *kgo.Record) error
}

// Publisher encodes and writes batches. It is not safe for concurrent use:
// the capture loop publishes one batch at a time, in order.
type Publisher struct {
	prefix     string
	stateTopic string
	stateKey   string
	enc        Encoder
	w          Writer
	log        *slog.Logger
	metrics    *Metrics
	// tables caches what Publish derives from a table for every event: its
	// topic, key columns and metric counters. Tables are not changed once
	// passed (a changed table comes as a new *catalog.Table).
	tables map[*catalog.Table]*tableInfo
}

type tableInfo struct {
	topic  string
	keyIdx []int
	// counters are the events counter of each operation.
	counters map[event.Op]prometheus.Counter
}

// Config names where the publisher writes.
type Config struct {
	TopicPrefix string
	StateTopic  string
	// StateKey identifies this source in the state topic (one producer per
	// source database).
	StateKey string
}

// New returns a publisher writing through w.
func New(cfg Config, enc Encoder, w Writer, m *Metrics, log *slog.Logger) *Publisher {
	return &Publisher{prefix: cfg.TopicPrefix, stateTopic: cfg.StateTopic, stateKey: cfg.StateKey, enc: enc, w: w, metrics: m, log: log,
		tables: map[*catalog.Table]*tableInfo{}}
}

// Publish writes one batch: every event (a delete followed by its tombstone, so
// that compaction can drop the key, and an update that changed the primary
// key by a tombstone of the old key) and then the position, atomically. The
// position is any JSON-marshalable value; the producer passes the source's.
func (r *Publisher) Publish(ctx context.Context, events []*event.Event, position any) error {
	records := make([]*kgo.Record, 0, len(events)+len(events)/4)
	// One allocation for the batch's records rather than one per record.
	recs := make([]kgo.Record, 0, len(events)+len(events)/4)
	add := func(rec kgo.Record) {
		if len(recs) == cap(recs) {
			recs = make([]kgo.Record, 0, len(events))
		}
		recs = append(recs, rec)
		records = append(records, &recs[len(recs)-1])
	}
	for _, e := range events {
		ti, err := r.table(e.Table)
		if err != nil {
			return fmt.Errorf("encode %s event for %s: %w", e.Op, e.Table.QualifiedName(), err)
		}
		topic := ti.topic
		key, value, err := r.enc.Encode(ctx, topic, e)
		if err != nil {
			return fmt.Errorf("encode %s event for %s: %w", e.Op, e.Table.QualifiedName(), err)
		}
		add(kgo.Record{Topic: topic, Key: key, Value: value})
		if e.Op == event.OpDelete {
			add(kgo.Record{Topic: topic, Key: key})
		}
		if e.Op == event.OpUpdate && e.Before != nil {
			// A primary-key change is one update keyed by the new key; the
			// old key needs its own tombstone, or compaction would keep its
			// last record and a replay of the compacted topic would
			// resurrect the row once a later change of the new key
			// compacts the update away.
			oldKey, err := r.oldKey(ctx, topic, ti, e, key)
			if err != nil {
				return fmt.Errorf("encode the old key of a %s update: %w", e.Table.QualifiedName(), err)
			}
			if oldKey != nil {
				add(kgo.Record{Topic: topic, Key: oldKey})
			}
		}
	}
	state, err := json.Marshal(position)
	if err != nil {
		return fmt.Errorf("encode source position: %w", err)
	}
	if err := r.w.WriteBatch(ctx, records, &kgo.Record{Topic: r.stateTopic, Key: []byte(r.stateKey), Value: state}); err != nil {
		return fmt.Errorf("write %d events to Kafka: %w", len(events), err)
	}
	r.observe(events)
	return nil
}

// table returns what Publish needs of t, computed once per table.
func (r *Publisher) table(t *catalog.Table) (*tableInfo, error) {
	if ti := r.tables[t]; ti != nil {
		return ti, nil
	}
	idx, err := t.KeyIndexes()
	if err != nil {
		return nil, err
	}
	ti := &tableInfo{topic: Topic(r.prefix, t), keyIdx: idx, counters: map[event.Op]prometheus.Counter{}}
	r.tables[t] = ti
	return ti, nil
}

// Write publishes a batch the source read, with the position it reaches
// (capture.Writer).
func (r *Publisher) Write(ctx context.Context, b source.Batch) error {
	return r.Publish(ctx, b.Events, b.Position)
}

// Close closes the transactional writer, when it can be closed.
func (r *Publisher) Close() {
	if c, ok := r.w.(interface{ Close() }); ok {
		c.Close()
	}
}

// KeyEncoder is implemented by encoders that can encode a key alone (the
// Avro codec); the publisher then encodes no value for an old key.
type KeyEncoder interface {
	EncodeKey(ctx context.Context, topic string, t *catalog.Table, key event.Row) ([]byte, error)
}

// oldKey returns the Kafka key of update e's before image when it differs
// from key (the after image's), or nil.
func (r *Publisher) oldKey(ctx context.Context, topic string, ti *tableInfo, e *event.Event, key []byte) ([]byte, error) {
	k0, k1 := make(event.Row, len(ti.keyIdx)), make(event.Row, len(ti.keyIdx))
	for i, j := range ti.keyIdx {
		if j >= len(e.Before) || j >= len(e.After) {
			return nil, fmt.Errorf("table %s: the update's rows have %d and %d values, fewer than its key columns",
				e.Table.QualifiedName(), len(e.Before), len(e.After))
		}
		k0[i], k1[i] = e.Before[j], e.After[j]
	}
	if k0.Equal(k1) {
		return nil, nil // the usual update: same key, nothing more to encode
	}
	var b []byte
	var err error
	if ke, ok := r.enc.(KeyEncoder); ok {
		b, err = ke.EncodeKey(ctx, topic, e.Table, k0)
	} else {
		old := *e
		old.Op, old.After = event.OpDelete, nil
		b, _, err = r.enc.Encode(ctx, topic, &old)
	}
	if err != nil || bytes.Equal(b, key) {
		return nil, err
	}
	return b, nil
}

// Metrics counts what the publisher has written.
type Metrics struct {
	events  *prometheus.CounterVec
	batches prometheus.Counter
	lastTs  prometheus.Gauge
}

// NewMetrics registers the publisher's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mssql2adb_producer_events_total", Help: "Change events written to Kafka, by table and operation.",
		}, []string{"table", "op"}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mssql2adb_producer_batches_total", Help: "Kafka transactions committed.",
		}),
		lastTs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mssql2adb_producer_last_event_source_timestamp_seconds", Help: "Source commit time of the last event written.",
		}),
	}
	reg.MustRegister(m.events, m.batches, m.lastTs)
	return m
}

// observe counts a written batch's events by table and operation.
func (r *Publisher) observe(events []*event.Event) {
	m := r.metrics
	if m == nil {
		return
	}
	m.batches.Inc()
	// Runs of one table and operation are counted with one Add: looking a
	// labelled counter up hashes its labels.
	for i := 0; i < len(events); {
		e := events[i]
		j := i + 1
		for j < len(events) && events[j].Table == e.Table && events[j].Op == e.Op {
			j++
		}
		ti := r.tables[e.Table]
		c := ti.counters[e.Op]
		if c == nil {
			c = m.events.WithLabelValues(e.Table.QualifiedName(), e.Op.String())
			ti.counters[e.Op] = c
		}
		c.Add(float64(j - i))
		i = j
	}
	if n := len(events); n > 0 && events[n-1].Source.TsMs > 0 {
		m.lastTs.Set(float64(events[n-1].Source.TsMs) / 1000)
	}
}

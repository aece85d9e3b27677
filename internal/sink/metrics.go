package sink

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the consumer loop's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	batches    prometheus.Counter
	records    prometheus.Counter
	events     prometheus.Counter
	applySecs  prometheus.Histogram
	nextOffset *prometheus.GaugeVec
	sourceLag  prometheus.Gauge
	dead       *prometheus.CounterVec
	phases     *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		batches: prometheus.NewCounter(prometheus.CounterOpts{Name: "mssql2adb_consumer_batches_total",
			Help: "Target transactions committed."}),
		records: prometheus.NewCounter(prometheus.CounterOpts{Name: "mssql2adb_consumer_records_total",
			Help: "Kafka records consumed (including tombstones and heartbeats)."}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "mssql2adb_consumer_events_total",
			Help: "Change events handed to the target (before compaction by key)."}),
		applySecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mssql2adb_consumer_apply_seconds",
			Help: "Time to apply one batch to the target, retries included.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		nextOffset: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mssql2adb_consumer_next_offset",
			Help: "Next offset to apply, per partition, as stored in the target."}, []string{"topic", "partition"}),
		sourceLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mssql2adb_consumer_source_lag_seconds",
			Help: "Time from the source commit of the last applied event to its application."}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mssql2adb_consumer_dead_letter_records_total",
			Help: "Records written to the dead-letter topic because they can never be applied, by source topic and stage (decode or apply)."}, []string{"topic", "stage"}),
		phases: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mssql2adb_consumer_phase_seconds_total",
			Help: "Where the consumer's time goes, by phase: fetch (waiting for Kafka), decode, prepare (offsets, sources, table DDL), copy (into staging), merge (set-based statements), commit."}, []string{"phase"}),
	}
	reg.MustRegister(m.batches, m.records, m.events, m.applySecs, m.nextOffset, m.sourceLag, m.dead, m.phases)
	return m
}

func (m *Metrics) deadLettered(topic, stage string) {
	if m != nil {
		m.dead.WithLabelValues(topic, stage).Inc()
	}
}

func (m *Metrics) observe(records, events int, took time.Duration, offsets map[string]map[int32]int64, lastSourceMs int64) {
	if m == nil {
		return
	}
	m.batches.Inc()
	m.records.Add(float64(records))
	m.events.Add(float64(events))
	m.applySecs.Observe(took.Seconds())
	for topic, parts := range offsets {
		for p, n := range parts {
			m.nextOffset.WithLabelValues(topic, strconv.Itoa(int(p))).Set(float64(n))
		}
	}
	if lastSourceMs > 0 {
		m.sourceLag.Set(time.Since(time.UnixMilli(lastSourceMs)).Seconds())
	}
}

// ObservePhase adds took to the time spent in phase; apply.Config.Observe
// takes it for the target's phases.
func (m *Metrics) ObservePhase(phase string, took time.Duration) {
	if m != nil {
		m.phases.WithLabelValues(phase).Add(took.Seconds())
	}
}

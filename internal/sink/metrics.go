package sink

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/event"
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
	hbLatency  *prometheus.GaugeVec
	hbTime     *prometheus.GaugeVec
	lag        *prometheus.GaugeVec
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
		hbLatency: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mssql2adb_consumer_heartbeat_latency_seconds",
			Help: "End-to-end latency: from the source commit of the last heartbeat applied to the commit of the target transaction that applied it, " +
				"per source (<SOURCE_NAME>:<database>). It moves every HEARTBEAT_INTERVAL even while the captured tables are idle."}, []string{"source"}),
		hbTime: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mssql2adb_consumer_heartbeat_source_commit_timestamp_seconds",
			Help: "Source commit time of the last heartbeat applied, per source; time() minus it is how old the target's view of the source is."}, []string{"source"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mssql2adb_consumer_lag_records",
			Help: "Committed records of a partition after the last one this consumer fetched (transaction markers not counted), per topic and partition; 0 when caught up."}, []string{"topic", "partition"}),
		phases: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mssql2adb_consumer_phase_seconds_total",
			Help: "Where the consumer's time goes, by phase: fetch (waiting for Kafka), decode, prepare (offsets, sources, table DDL), copy (into staging), merge (set-based statements), commit."}, []string{"phase"}),
	}
	reg.MustRegister(m.batches, m.records, m.events, m.applySecs, m.nextOffset, m.sourceLag, m.dead, m.hbLatency, m.hbTime, m.lag, m.phases)
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

// heartbeats records, per source, the newest heartbeat of a batch the
// target committed at committed.
func (m *Metrics) heartbeats(events []*event.Event, isHeartbeat func(*event.Event) bool, committed time.Time) {
	if m == nil || isHeartbeat == nil {
		return
	}
	newest := map[string]int64{}
	for _, e := range events {
		if e.Source.TsMs > 0 && isHeartbeat(e) {
			k := e.Source.Name + ":" + e.Source.Db
			newest[k] = max(newest[k], e.Source.TsMs)
		}
	}
	for k, ms := range newest {
		at := time.UnixMilli(ms)
		m.hbLatency.WithLabelValues(k).Set(committed.Sub(at).Seconds())
		m.hbTime.WithLabelValues(k).Set(float64(ms) / 1e3)
	}
}

// fetched records a partition's lag from a fetch: the records between its
// last stable offset and the last record fetched. The producer writes only
// in transactions, so after a transactional record at least one of those
// offsets is a commit marker, which is no record to apply: an idle
// partition shows 0, not 1.
func (m *Metrics) fetched(p kgo.FetchTopicPartition) {
	if m == nil || len(p.Records) == 0 || p.Err != nil {
		return
	}
	last := p.Records[len(p.Records)-1]
	gap := p.LastStableOffset - last.Offset - 1
	if last.Attrs.IsTransactional() && gap > 0 {
		gap--
	}
	m.lag.WithLabelValues(p.Topic, strconv.Itoa(int(p.Partition))).Set(float64(max(gap, 0)))
}

// ObservePhase adds took to the time spent in phase; apply.Config.Observe
// takes it for the target's phases.
func (m *Metrics) ObservePhase(phase string, took time.Duration) {
	if m != nil {
		m.phases.WithLabelValues(phase).Add(took.Seconds())
	}
}

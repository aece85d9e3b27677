// Command producer captures a SQL Server database's CDC-enabled tables and
// writes their snapshot and changes to Kafka, one Avro topic per table, with
// the source position in the same Kafka transaction as the events.
//
// It holds wiring only: settings and connections; the loop and its retries
// are internal/capture's, the work is done by internal/source (SQL Server),
// internal/avro (encoding) and internal/relay with internal/kafka
// (transactions).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	_ "github.com/microsoft/go-mssqldb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/capture"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/relay"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

const summary = `Reads the snapshot and the CDC changes of every CDC-enabled table of the
SQL Server database named in MSSQL_DSN, and writes them exactly once to Kafka
as Avro (Schema Registry wire format), one topic per table.`

func main() { config.Main("producer", summary, &Config{}, run) }

func run(ctx context.Context) error {
	var cfg Config
	if err := config.Load(ctx, &cfg, nil); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	rt, err := obs.Start(ctx, cfg.LogFormat, cfg.LogLevel, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	log, reg, health := rt.Log, rt.Metrics, rt.Health
	database, _ := cfg.database()
	policy := retry.Policy{Window: cfg.RetryWindow, Logger: log}

	db, err := sql.Open("sqlserver", cfg.MSSQLDSN)
	if err != nil {
		return fmt.Errorf("MSSQL_DSN: %w", err)
	}
	defer db.Close()
	if err := policy.Do(ctx, "connect to SQL Server database "+database, db.PingContext); err != nil {
		return fmt.Errorf("%w (check MSSQL_DSN, that the server is up and the login has access)", err)
	}
	scfg := source.Config{
		Database: database, Tables: cfg.Tables, SnapshotChunkRows: cfg.SnapshotChunkRows,
		PollInterval: cfg.PollInterval, MaxBatchEvents: cfg.MaxBatchEvents, Logger: log, Name: cfg.SourceName,
		NoSnapshot: cfg.SyncFullData == "off", NoStream: cfg.SyncIncremental == "off",
		SchemaCheckInterval: cfg.SchemaCheck, ManualCaptureInstances: cfg.CaptureInstances == "manual",
	}
	tables, warnings, err := source.Discover(ctx, db, scfg)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w.String())
	}
	log.Info("captured tables discovered", "database", database, "tables", len(tables))

	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers)...)
	if err != nil {
		return fmt.Errorf("KAFKA_BROKERS: %w", err)
	}
	defer kcl.Close()
	if err := policy.Do(ctx, "reach Kafka", func(ctx context.Context) error { return kafka.Ping(ctx, kcl) }); err != nil {
		return err
	}
	maxBytes := ptr(strconv.Itoa(int(cfg.MaxMessageBytes)))
	specs := []kafka.TopicSpec{{Name: cfg.StateTopic, Partitions: 1, ReplicationFactor: cfg.TopicReplication,
		Configs: map[string]*string{"cleanup.policy": ptr("compact")}}}
	tableTopic := func(t *catalog.Table) kafka.TopicSpec {
		return kafka.TopicSpec{Name: relay.Topic(cfg.TopicPrefix, t), Partitions: cfg.TopicPartitions,
			ReplicationFactor: cfg.TopicReplication, Configs: map[string]*string{"cleanup.policy": ptr(cfg.TopicCleanup), "max.message.bytes": maxBytes}}
	}
	// Two tables whose names map to one topic are refused before anything
	// is written (see relay.CheckTopics).
	if _, err := relay.CheckTopics(cfg.TopicPrefix, tables); err != nil {
		return err
	}
	for _, t := range tables {
		specs = append(specs, tableTopic(t))
	}
	if err := kafka.EnsureTopics(ctx, kadm.NewClient(kcl), specs); err != nil {
		return err
	}
	// A table enabled for CDC while running gets its topic before its
	// snapshot, unless its topic would be another table's.
	captured := slices.Clone(tables)
	scfg.OnNewTable = func(ctx context.Context, t *catalog.Table) error {
		if _, err := relay.CheckTopics(cfg.TopicPrefix, append(slices.Clone(captured), t)); err != nil {
			return err
		}
		captured = append(captured, t)
		return kafka.EnsureTopics(ctx, kadm.NewClient(kcl), []kafka.TopicSpec{tableTopic(t)})
	}

	srcl, err := sr.NewClient(sr.URLs(cfg.SchemaRegistryURL))
	if err != nil {
		return fmt.Errorf("SCHEMA_REGISTRY_URL: %w", err)
	}
	if err := policy.Do(ctx, "reach the schema registry", func(ctx context.Context) error {
		_, err := srcl.Subjects(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("%w (check SCHEMA_REGISTRY_URL=%s)", err, cfg.SchemaRegistryURL)
	}
	codec := avro.NewCodec(srcl, cfg.TopicPrefix)

	txnID := cfg.TransactionalID
	if txnID == "" {
		txnID = "mssql2adb-" + cfg.SourceName + "-" + database
	}
	stateKey := cfg.TopicPrefix + "." + database
	metrics := relay.NewMetrics(reg)
	newWriter := func(ctx context.Context) (capture.Writer, error) {
		w, err := kafka.NewTxnWriter(ctx, kafka.TxnConfig{Brokers: cfg.KafkaBrokers, TransactionalID: txnID, StateTopic: cfg.StateTopic, Logger: log,
			Opts: []kgo.Opt{kgo.ProducerBatchMaxBytes(cfg.MaxMessageBytes)}})
		if err != nil {
			return nil, err
		}
		rl := relay.New(relay.Config{TopicPrefix: cfg.TopicPrefix, StateTopic: cfg.StateTopic, StateKey: stateKey}, codec, w, metrics, log)
		return relayWriter{rl, w}, nil
	}
	// The reader does not retry by itself: the capture loop's one policy
	// starts it over from the position Kafka holds.
	reader := source.NewReader(db, scfg, tables)
	registerProgress(reg, reader)
	return capture.Run(ctx, capture.Config{Retry: policy, Resnapshot: cfg.StalePosition == "resnapshot"}, capture.Deps{
		Reader:    reader,
		Load:      func(ctx context.Context) (source.Position, error) { return loadPosition(ctx, kcl, cfg.StateTopic, stateKey, log) },
		NewWriter: newWriter,
		Ready:     health.SetReady,
		Logger:    log,
	})
}

// relayWriter writes batches through a relay to a transactional writer.
type relayWriter struct {
	rl *relay.Relay
	w  *kafka.TxnWriter
}

func (r relayWriter) Write(ctx context.Context, b source.Batch) error {
	return r.rl.Handle(ctx, b.Events, b.Position)
}

func (r relayWriter) Close() { r.w.Close() }

// loadPosition reads where the last committed batch left the source.
func loadPosition(ctx context.Context, cl *kgo.Client, topic, key string, log *slog.Logger) (source.Position, error) {
	var pos source.Position
	b, ok, err := kafka.LoadState(ctx, cl, topic, key)
	if err != nil {
		return pos, fmt.Errorf("read source position from %s: %w", topic, err)
	}
	if !ok {
		log.Info("no saved position: starting with a snapshot", "state_topic", topic, "key", key)
		return pos, nil
	}
	if err := json.Unmarshal(b, &pos); err != nil {
		return pos, fmt.Errorf("source position in %s (key %s) is unreadable: %w; delete that key to start over with a new snapshot", topic, key, err)
	}
	log.Info("resuming from saved position", "position", pos.String())
	return pos, nil
}

// registerProgress exports the reader's progress (snapshot rows done and
// total, streamed events, the last commit's time) as gauges.
func registerProgress(reg *prometheus.Registry, r *source.Reader) {
	gauge := func(name, help string, f func(p source.Progress) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mssql2adb_producer_" + name, Help: help},
			func() float64 { return f(r.Progress()) }))
	}
	gauge("snapshot_rows_done", "Snapshot rows written to Kafka.", func(p source.Progress) float64 { return float64(p.SnapshotRowsDone) })
	gauge("snapshot_rows_total", "Estimated snapshot rows of the tables to read.", func(p source.Progress) float64 { return float64(p.SnapshotRowsTotal) })
	gauge("snapshot_tables_done", "Tables whose snapshot is complete.", func(p source.Progress) float64 { return float64(p.SnapshotTablesDone) })
	gauge("stream_events", "Change events read from the CDC change tables.", func(p source.Progress) float64 { return float64(p.StreamEvents) })
	gauge("tables_stopped", "Tables no longer read because of DDL the pipeline cannot follow or CDC disabled (the log says what to do).",
		func(p source.Progress) float64 { return float64(p.TablesStopped) })
	gauge("streaming", "1 once the snapshot is done and changes are streamed.", func(p source.Progress) float64 {
		if p.Phase == "streaming" {
			return 1
		}
		return 0
	})
	gauge("last_commit_timestamp_seconds", "Source commit time of the last change read.", func(p source.Progress) float64 {
		if p.LastCommitTime.IsZero() {
			return 0
		}
		return float64(p.LastCommitTime.UnixNano()) / 1e9
	})
}

func ptr[T any](v T) *T { return &v }

// The codec encodes an old key alone when an update changed the primary key.
var _ relay.KeyEncoder = (*avro.Codec)(nil)

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
	"os"
	"slices"
	"strconv"
	"time"

	_ "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/capture"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/progress"
	"github.com/mssql2adb/mssql2adb/internal/relay"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/secure"
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
	kopts, err := cfg.Kafka.Opts()
	if err != nil {
		return err
	}
	sropts, err := cfg.Registry.Opts(cfg.SchemaRegistryURL)
	if err != nil {
		return err
	}
	policy := retry.Policy{Window: cfg.RetryWindow, Logger: log, OnRetry: obs.NewRetries(reg, "producer")}
	for _, w := range secure.Warnings(cfg.Kafka, cfg.Registry, cfg.SchemaRegistryURL) {
		log.Warn(w)
	}

	db, err := sql.Open("sqlserver", cfg.MSSQLDSN)
	if err != nil {
		return fmt.Errorf("MSSQL_DSN: %w", err)
	}
	defer db.Close()
	if err := policy.Do(ctx, "connect to SQL Server database "+database, db.PingContext); err != nil {
		return fmt.Errorf("%w (check MSSQL_DSN, that the server is up and the login has access)", err)
	}
	scfg := source.Config{
		Database: database, Tables: cfg.Tables, Select: cfg.selects(database), SnapshotChunkRows: cfg.SnapshotChunkRows,
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

	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers, kopts...)...)
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

	srcl, err := sr.NewClient(sropts...)
	if err != nil {
		return fmt.Errorf("SCHEMA_REGISTRY_URL: %w", err)
	}
	if err := policy.Do(ctx, "reach the schema registry", func(ctx context.Context) error {
		_, err := srcl.Subjects(ctx)
		return secure.Explain(err)
	}); err != nil {
		return fmt.Errorf("%w (check SCHEMA_REGISTRY_URL=%s)", err, secure.Redact(cfg.SchemaRegistryURL))
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
			Opts: append(slices.Clone(kopts), kgo.ProducerBatchMaxBytes(cfg.MaxMessageBytes))})
		if err != nil {
			return nil, err
		}
		rl := relay.New(relay.Config{TopicPrefix: cfg.TopicPrefix, StateTopic: cfg.StateTopic, StateKey: stateKey}, codec, w, metrics, log)
		return relayWriter{rl, w}, nil
	}
	// A person watching a terminal sees the snapshot's progress redrawn
	// per table; logs get one line per interval instead.
	live := progress.IsTerminal(os.Stderr) && cfg.LogFormat == "text"
	if live {
		scfg.ProgressLogInterval = -1
	}
	// The reader does not retry by itself: the capture loop's one policy
	// starts it over from the position Kafka holds.
	reader := source.NewReader(db, scfg, tables)
	if live {
		go progress.Show(ctx, os.Stderr, reader.Progress, time.Second)
	}
	source.RegisterMetrics(reg, reader.Progress)
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

func ptr[T any](v T) *T { return &v }

// The codec encodes an old key alone when an update changed the primary key.
var _ relay.KeyEncoder = (*avro.Codec)(nil)

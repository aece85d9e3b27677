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

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/capture"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
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
	// `producer precheck` exits 2 when the settings are wrong, 1 when an
	// item failed; see runPrecheck.
	command := len(os.Args) > 1 && os.Args[1] == "precheck"
	var cfg Config
	err := config.Load(ctx, &cfg, nil)
	if err == nil {
		err = cfg.validate()
	}
	if err != nil && command {
		return &config.ExitError{Code: 2, Err: err}
	}
	if err != nil {
		return err
	}
	if command {
		return runPrecheck(ctx, &cfg)
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

	c, err := openClients(&cfg, kopts, sropts)
	if err != nil {
		return err
	}
	defer c.Close()
	db, kcl, srcl := c.db, c.kcl, c.srcl
	if err := policy.Do(ctx, "connect to SQL Server database "+database, db.PingContext); err != nil {
		return fmt.Errorf("%w (check MSSQL_DSN, that the server is up and the login has access)", err)
	}
	if err := policy.Do(ctx, "reach Kafka", func(ctx context.Context) error { return kafka.Ping(ctx, kcl) }); err != nil {
		return err
	}
	if err := policy.Do(ctx, "reach the schema registry", func(ctx context.Context) error {
		_, err := srcl.Subjects(ctx)
		return secure.Explain(err)
	}); err != nil {
		return fmt.Errorf("%w (check SCHEMA_REGISTRY_URL=%s)", err, secure.Redact(cfg.SchemaRegistryURL))
	}
	// The same items as `producer precheck`: a failed one stops the start
	// unless PRECHECK_SKIP names it.
	items := precheckItems(&cfg, database, c)
	if err := precheck.CheckSkip(items, cfg.PrecheckSkip); err != nil {
		return err
	}
	rep := precheck.Run(ctx, items, cfg.PrecheckSkip)
	rep.Log(log, precheck.UnsupportedTypes) // source.Discover warns of each such column
	if err := rep.Err(); err != nil {
		return err
	}
	// The heartbeat table, created and captured when missing (the
	// precheck said whether the login may); without it the pipeline runs,
	// but latency is not known while the tables are idle.
	hb, _ := cfg.heartbeat()
	tablesToCapture, selects := cfg.Tables, cfg.selects(database)
	if hb != nil {
		hb.Logger = log
		if err := heartbeat.Ensure(ctx, db, *hb); err != nil {
			log.Warn("no heartbeat: "+err.Error(), "table", cfg.HeartbeatTable)
			hb = nil
		} else {
			// TABLES, INCLUDE_TABLES and EXCLUDE_TABLES pick user tables:
			// the heartbeat table is captured whatever they say.
			if len(cfg.Tables) > 0 {
				tablesToCapture = append(slices.Clone(cfg.Tables), cfg.HeartbeatTable)
			}
			if pick := selects; pick != nil {
				selects = func(schema, table string) bool { return heartbeat.Is(*hb, schema, table) || pick(schema, table) }
			}
		}
	}
	scfg := source.Config{
		Database: database, Tables: tablesToCapture, Select: selects, SnapshotChunkRows: cfg.SnapshotChunkRows,
		SnapshotParallelism: cfg.SnapshotParallel,
		PollInterval:        cfg.PollInterval, MaxBatchEvents: cfg.MaxBatchEvents, Logger: log, Name: cfg.SourceName,
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
	if hb != nil {
		hctx, stop := context.WithCancel(ctx)
		defer stop()
		go heartbeat.Run(hctx, db, *hb)
	}

	return capture.Run(ctx, capture.Config{Retry: policy, Resnapshot: cfg.StalePosition == "resnapshot"}, capture.Deps{
		Reader: reader,
		Load: func(ctx context.Context) (source.Position, error) {
			return loadPosition(ctx, kcl, cfg.StateTopic, stateKey, log)
		},
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

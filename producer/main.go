// Command producer captures a SQL Server database's CDC-enabled tables and
// writes their snapshot and changes to Kafka, one Avro topic per table, with
// the source position in the same Kafka transaction as the events.
//
// It holds wiring only: settings and connections; the loop and its retries
// are internal/capture's, the work is done by internal/source (SQL Server),
// internal/avro (encoding) and internal/publish with internal/kafka
// (topics and transactions).
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	_ "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/capture"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/progress"
	"github.com/mssql2adb/mssql2adb/internal/publish"
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
	command, err := config.LoadCommand(ctx, os.Args[1:], &cfg, cfg.validate)
	if err != nil {
		return err
	}
	if command == "precheck" {
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
	if err := secure.ReachRegistry(ctx, policy, srcl, cfg.SchemaRegistryURL); err != nil {
		return err
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
	if hb != nil {
		hb.Logger = log
		if err := heartbeat.Ensure(ctx, db, *hb); err != nil {
			log.Warn("no heartbeat: "+err.Error(), "table", cfg.HeartbeatTable)
			hb = nil
		}
	}
	scfg := cfg.sourceConfig(database, hb, log)
	tables, warnings, err := source.Discover(ctx, db, scfg)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w.String())
	}
	log.Info("captured tables discovered", "database", database, "tables", len(tables))

	// Two tables whose names map to one topic are refused before anything
	// is written; a table enabled for CDC while running gets its topic
	// before its snapshot.
	topics := publish.NewTopics(kadm.NewClient(kcl), cfg.topics())
	if err := topics.Create(ctx, tables); err != nil {
		return err
	}
	scfg.OnNewTable = topics.Add

	codec := avro.NewCodec(srcl, cfg.TopicPrefix)
	stateKey := publish.StateKey(cfg.TopicPrefix, database)
	metrics := publish.NewMetrics(reg)
	compression, err := kafka.Compression(cfg.KafkaCompression)
	if err != nil {
		return fmt.Errorf("KAFKA_COMPRESSION: %w", err) // checked by validate already
	}
	newWriter := func(ctx context.Context) (capture.Writer, error) {
		w, err := kafka.NewTxnWriter(ctx, kafka.TxnConfig{Brokers: cfg.KafkaBrokers, TransactionalID: cfg.transactionalID(database), StateTopic: cfg.StateTopic, Logger: log,
			Opts: append(slices.Clone(kopts), kgo.ProducerBatchMaxBytes(cfg.MaxMessageBytes), compression)})
		if err != nil {
			return nil, err
		}
		return publish.New(publish.Config{TopicPrefix: cfg.TopicPrefix, StateTopic: cfg.StateTopic, StateKey: stateKey}, codec, w, metrics, log), nil
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
			return publish.LoadPosition(ctx, kcl, cfg.StateTopic, stateKey, log)
		},
		NewWriter: newWriter,
		Ready:     health.SetReady,
		Logger:    log,
	})
}

// The codec encodes an old key alone when an update changed the primary
// key, and a publisher is what the capture loop writes batches through.
var (
	_ publish.KeyEncoder = (*avro.Codec)(nil)
	_ capture.Writer     = (*publish.Publisher)(nil)
)

// Command consumer applies the change topics of a prefix to PostgreSQL or
// AnalyticDB for PostgreSQL, exactly once: it reads read_committed, and
// stores its Kafka offsets in the target in the same transaction as the rows
// they produced. Several consumers with one GROUP_ID share the partitions.
//
// It holds wiring only: internal/sink is the loop, internal/avro decodes and
// internal/apply writes.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/route"
	"github.com/mssql2adb/mssql2adb/internal/secure"
	"github.com/mssql2adb/mssql2adb/internal/sink"
)

const summary = `Applies every change topic <TOPIC_PREFIX>.<database>.<schema>.<table> to the
target database named in TARGET_DSN (PostgreSQL or AnalyticDB for PostgreSQL),
creating schemas and tables on first sight. Start several with the same
GROUP_ID to share the work.`

func main() { config.Main("consumer", summary, &Config{}, run) }

func run(ctx context.Context) error {
	var cfg Config
	command, err := config.LoadCommand(ctx, os.Args[1:], &cfg, cfg.validate)
	if err != nil {
		return err
	}
	if command == "precheck" {
		return runPrecheck(ctx, &cfg)
	}
	kopts, err := cfg.Kafka.Opts()
	if err != nil {
		return err
	}
	if command == "status" {
		return runStatus(ctx, cfg, kopts, os.Args[2:])
	}
	sropts, err := cfg.Registry.Opts(cfg.SchemaRegistryURL)
	if err != nil {
		return err
	}
	rt, err := obs.Start(ctx, cfg.LogFormat, cfg.LogLevel, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	log, reg, health := rt.Log, rt.Metrics, rt.Health
	policy := retry.Policy{Window: cfg.RetryWindow, Logger: log, OnRetry: obs.NewRetries(reg, "consumer")}
	for _, w := range secure.Warnings(cfg.Kafka, cfg.Registry, cfg.SchemaRegistryURL) {
		log.Warn(w)
	}

	pcfg, err := targetPoolConfig(cfg.TargetDSN, cfg.ApplyParallelism, cfg.StatementTimeout)
	if err != nil {
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("TARGET_DSN: %w", err)
	}
	defer pool.Close()
	target := fmt.Sprintf("%s:%d/%s", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Database)
	// A server that is starting up or shutting down (57P03, 57P01) answers
	// with an error the generic classifier does not know: it is an outage.
	connect := policy
	connect.Transient = func(err error) bool { return retry.IsTransient(err) || apply.IsTransient(err) }
	if err := connect.Do(ctx, "connect to the target database "+target, pool.Ping); err != nil {
		return fmt.Errorf("%w (check TARGET_DSN and that the database is up)", err)
	}
	router, err := cfg.router()
	if err != nil {
		return err
	}
	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers, kopts...)...)
	if err != nil {
		return fmt.Errorf("KAFKA_BROKERS: %w", err)
	}
	deadLetter := cfg.deadLetterTopic()
	err = policy.Do(ctx, "reach Kafka", func(ctx context.Context) error { return kafka.Ping(ctx, kcl) })
	if err == nil && deadLetter != "" {
		err = kafka.EnsureTopics(ctx, kadm.NewClient(kcl), []kafka.TopicSpec{sink.DeadLetterTopic(deadLetter)})
	}
	if err != nil {
		kcl.Close()
		return err
	}
	srcl, err := sr.NewClient(sropts...)
	if err != nil {
		kcl.Close()
		return fmt.Errorf("SCHEMA_REGISTRY_URL: %w", err)
	}
	if err := secure.ReachRegistry(ctx, policy, srcl, cfg.SchemaRegistryURL); err != nil {
		kcl.Close()
		return err
	}
	// The same items as `consumer precheck`, over the tables of every change
	// topic already in the registry: a failed one (a rule that cannot apply
	// to a table, a foreign target table…) stops the start, before a record
	// is read, unless PRECHECK_SKIP names it. Tables that appear later are
	// checked at their first record.
	// Of a before image only the target key's columns are decoded.
	codec := avro.NewCodec(srcl, cfg.TopicPrefix, avro.DecodeBefore(router.BeforeColumns))
	tables, err := registryTables(ctx, log, policy, codec, cfg.TopicPrefix)
	if err != nil {
		kcl.Close()
		return err
	}
	items := precheckItems(&cfg, pool, router, kcl, srcl, func(context.Context) ([]*catalog.Table, error) { return tables, nil })
	err = precheck.CheckSkip(items, cfg.PrecheckSkip)
	if err == nil {
		rep := precheck.Run(ctx, items, cfg.PrecheckSkip)
		rep.Log(log)
		err = rep.Err()
	}
	kcl.Close()
	if err != nil {
		return err
	}
	metrics := sink.NewMetrics(reg)
	applier, err := apply.New(ctx, pool, apply.Config{Dialect: cfg.TargetDialect, Observe: metrics.ObservePhase, BookkeepingSchema: cfg.MetaSchema, Logger: log,
		Audit: cfg.ApplyAudit == "on", TargetName: router.TargetName, TableSettings: router.Settings, ExistingTables: cfg.ExistingTables, NoSchemaSync: cfg.SyncSchema == "off",
		StripNUL: cfg.StripNUL == "on", Parallelism: cfg.ApplyParallelism})
	if err != nil {
		return err
	}
	log.Info("target ready", "target", target, "dialect", applier.Dialect().Name())

	if cfg.DeletedKeysRetention > 0 {
		pruned := prometheus.NewCounter(prometheus.CounterOpts{Name: "mssql2adb_consumer_deleted_keys_pruned_total",
			Help: "Deleted keys removed from <TARGET_META_SCHEMA>.deleted_keys after DELETED_KEYS_RETENTION."})
		reg.MustRegister(pruned)
		pctx, stop := context.WithCancel(ctx)
		defer stop()
		go pruneDeletedKeys(pctx, log, applier, cfg.DeletedKeysRetention, pruned)
	}

	health.SetReady(true, "")
	log.Info("consuming", "group", cfg.GroupID, "topics", sink.TopicPattern(cfg.TopicPrefix))
	return sink.Run(ctx, sink.Config{
		Brokers:         cfg.KafkaBrokers,
		Group:           cfg.GroupID,
		TopicPrefix:     cfg.TopicPrefix,
		MaxBatchEvents:  cfg.BatchMaxEvents,
		MaxBatchBytes:   cfg.BatchMaxBytes,
		MaxBatchWait:    cfg.BatchMaxWait,
		Retry:           policy,
		ApplyTimeout:    cfg.StatementTimeout,
		OnStale:         cfg.StaleState,
		DeadLetterTopic: deadLetter,
		Poison:          func(err error) bool { return errors.Is(err, avro.ErrMalformed) || apply.IsPoison(err) },
		ConnOpts:        kopts,
		Fatal:           route.IsRuleError,
		ClientOpts:      cfg.groupOpts(),
		Heartbeat:       func(e *event.Event) bool { return router.IsHeartbeat(e.Table) },
	}, sink.Deps{Decoder: router.Wrap(codec), Applier: applier, Logger: log, Metrics: metrics})
}

// registryTables reads the table of the latest schema of every change
// topic already in the registry (retried within RETRY_WINDOW), for the
// start-up precheck to resolve the rules against.
func registryTables(ctx context.Context, log *slog.Logger, policy retry.Policy, codec *avro.Codec, prefix string) ([]*catalog.Table, error) {
	var tables []*catalog.Table
	if err := policy.Do(ctx, "read the change topics' schemas from the registry", func(ctx context.Context) error {
		var skipped []error
		var err error
		tables, skipped, err = latestTables(ctx, codec, prefix)
		for _, err := range skipped {
			log.Warn("a registry subject under TOPIC_PREFIX holds no change-event schema of ours; its topic's records will not decode", "err", err)
		}
		return err
	}); err != nil {
		return nil, err
	}
	return tables, nil
}

// latestTables is the table of the latest schema of each change topic of prefix.
func latestTables(ctx context.Context, codec *avro.Codec, prefix string) ([]*catalog.Table, []error, error) {
	return codec.LatestTables(ctx, regexp.MustCompile(sink.TopicPattern(prefix)).MatchString)
}

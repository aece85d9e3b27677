package main

import (
	"context"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/precheck/targetcheck"
	"github.com/mssql2adb/mssql2adb/internal/route"
	"github.com/mssql2adb/mssql2adb/internal/secure"
)

// Names of the consumer's service items.
const (
	itemKafka    = "kafka_connection"
	itemRegistry = "registry_connection"
)

// precheckItems are the consumer's items: Kafka and the registry (the
// source tables come from its schemas), then the target.
func precheckItems(cfg *Config, pool *pgxpool.Pool, router *route.Router, kcl *kgo.Client, srcl *sr.Client,
	tables func(context.Context) ([]*catalog.Table, error)) []precheck.Item {
	tg := targetcheck.Target{Pool: pool, Dialect: cfg.TargetDialect, MetaSchema: cfg.MetaSchema, Router: router,
		ExistingTables: cfg.ExistingTables, NoSchemaSync: cfg.SyncSchema == "off", Tables: tables, TablesNeeds: []string{itemRegistry}}
	return append([]precheck.Item{
		precheck.Reach(itemKafka, "Kafka at "+strings.Join(cfg.KafkaBrokers, ","), "check KAFKA_BROKERS and that the brokers run",
			func(ctx context.Context) error { return kafka.Ping(ctx, kcl) }),
		precheck.Reach(itemRegistry, "the schema registry at "+secure.Redact(cfg.SchemaRegistryURL), "check SCHEMA_REGISTRY_URL and that the registry runs",
			func(ctx context.Context) error { _, err := srcl.Subjects(ctx); return secure.Explain(err) }),
	}, tg.Items()...)
}

// runPrecheck is `consumer precheck`: one line per item on stdout; exit
// status 0 when no item failed (warnings allowed), 1 when one did, 2 when
// the settings are wrong.
func runPrecheck(ctx context.Context, cfg *Config) error {
	exit2 := func(err error) error { return &config.ExitError{Code: 2, Err: err} }
	router, err := cfg.router()
	if err != nil {
		return exit2(err)
	}
	pcfg, err := targetPoolConfig(cfg.TargetDSN, 1, cfg.StatementTimeout)
	if err != nil {
		return exit2(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return exit2(err)
	}
	defer pool.Close()
	kopts, err := cfg.Kafka.Opts()
	if err != nil {
		return exit2(err)
	}
	sropts, err := cfg.Registry.Opts(cfg.SchemaRegistryURL)
	if err != nil {
		return exit2(err)
	}
	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers, kopts...)...)
	if err != nil {
		return exit2(err)
	}
	defer kcl.Close()
	srcl, err := sr.NewClient(sropts...)
	if err != nil {
		return exit2(err)
	}
	codec := avro.NewCodec(srcl, cfg.TopicPrefix)
	items := precheckItems(cfg, pool, router, kcl, srcl, func(ctx context.Context) ([]*catalog.Table, error) {
		tables, _, err := latestTables(ctx, codec, cfg.TopicPrefix)
		return tables, err
	})
	if err := precheck.CheckSkip(items, cfg.PrecheckSkip); err != nil {
		return exit2(err)
	}
	rep := precheck.Run(ctx, items, cfg.PrecheckSkip)
	if err := rep.Print(os.Stdout); err != nil {
		return err
	}
	if rep.Err() != nil {
		return &config.ExitError{Code: 1}
	}
	return nil
}

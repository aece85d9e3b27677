package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/status"
)

// runStatus is `consumer status [--json] [--state-topic T]`: what the
// pipeline of TOPIC_PREFIX and GROUP_ID is doing, from Kafka and the
// target's bookkeeping, without any of its processes running.
func runStatus(ctx context.Context, cfg Config, kopts []kgo.Opt, args []string) error {
	fs := flag.NewFlagSet("consumer status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	stateTopic := fs.String("state-topic", "_mssql2adb_state", "the producers' STATE_TOPIC")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pcfg, err := targetPoolConfig(cfg.TargetDSN, 1, cfg.StatementTimeout)
	if err != nil {
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("TARGET_DSN: %w", err)
	}
	defer pool.Close()
	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers, kopts...)...)
	if err != nil {
		return fmt.Errorf("KAFKA_BROKERS: %w", err)
	}
	defer kcl.Close()
	tables, err := status.Collect(ctx, kcl, pool, status.Config{TopicPrefix: cfg.TopicPrefix, StateTopic: *stateTopic, Group: cfg.GroupID, MetaSchema: cfg.MetaSchema,
		DeadLetterTopic: cfg.DeadLetterTopic})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tables)
	}
	return status.Print(os.Stdout, tables)
}

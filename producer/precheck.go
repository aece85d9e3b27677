package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/publish"
	"github.com/mssql2adb/mssql2adb/internal/secure"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Names of the producer's service items.
const (
	itemKafka    = "kafka_connection"
	itemRegistry = "registry_connection"
)

// clients are the producer's connections to its three services.
type clients struct {
	db   *sql.DB
	kcl  *kgo.Client
	srcl *sr.Client
}

func openClients(cfg *Config, kopts []kgo.Opt, sropts []sr.ClientOpt) (*clients, error) {
	db, err := source.Open(cfg.MSSQLDSN, cfg.SourceReadTimeout)
	if err != nil {
		return nil, fmt.Errorf("MSSQL_DSN: %w", err)
	}
	kcl, err := kgo.NewClient(kafka.ClientOpts(cfg.KafkaBrokers, kopts...)...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("KAFKA_BROKERS: %w", err)
	}
	srcl, err := sr.NewClient(sropts...)
	if err != nil {
		db.Close()
		kcl.Close()
		return nil, fmt.Errorf("SCHEMA_REGISTRY_URL: %w", err)
	}
	return &clients{db: db, kcl: kcl, srcl: srcl}, nil
}

func (c *clients) Close() error {
	c.kcl.Close()
	return c.db.Close()
}

// precheckItems are the producer's items: Kafka and the registry, then
// SQL Server (whose retention item compares the position stored in Kafka).
func precheckItems(cfg *Config, database string, c *clients) []precheck.Item {
	stateKey := publish.StateKey(cfg.TopicPrefix, database)
	quiet := slog.New(slog.DiscardHandler)
	hb, _ := cfg.heartbeat() // checked by validate
	src := precheck.Source{DB: c.db, Database: database, Tables: cfg.Tables, Select: cfg.selects(database), PositionNeeds: []string{itemKafka}, Heartbeat: hb,
		ResnapshotLost: cfg.RetentionLoss == "resnapshot",
		Position: func(ctx context.Context) (lsn.LSN, error) {
			pos, err := publish.LoadPosition(ctx, c.kcl, cfg.StateTopic, stateKey, quiet)
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				return lsn.LSN{}, nil // a first start: the producer creates the state topic
			}
			if err != nil || pos.ResumeLSN().IsZero() {
				return lsn.LSN{}, err
			}
			// A position of another life of the database is the reader's
			// to refuse or forget (STALE_POSITION), not out of retention.
			current, err := source.Incarnation(ctx, c.db)
			if err != nil {
				return lsn.LSN{}, err
			}
			var b []byte
			if err := c.db.QueryRowContext(ctx, "SELECT sys.fn_cdc_get_max_lsn()").Scan(&b); err != nil {
				return lsn.LSN{}, fmt.Errorf("read sys.fn_cdc_get_max_lsn(): %w", err)
			}
			maxLSN, _ := lsn.FromBytes(b)
			if err := source.CheckPosition(pos, database, current, maxLSN); err != nil {
				return lsn.LSN{}, err
			}
			return pos.ResumeLSN(), nil
		}}
	return append([]precheck.Item{
		precheck.Reach(itemKafka, "Kafka at "+strings.Join(cfg.KafkaBrokers, ","), "check KAFKA_BROKERS and that the brokers run",
			func(ctx context.Context) error { return kafka.Ping(ctx, c.kcl) }),
		precheck.Reach(itemRegistry, "the schema registry at "+secure.Redact(cfg.SchemaRegistryURL), "check SCHEMA_REGISTRY_URL and that the registry runs",
			func(ctx context.Context) error { _, err := c.srcl.Subjects(ctx); return secure.Explain(err) }),
	}, src.Items()...)
}

// runPrecheck is `producer precheck`: one line per item on stdout; exit
// status 0 when no item failed (warnings allowed), 1 when one did.
func runPrecheck(ctx context.Context, cfg *Config) error {
	database, _ := cfg.database()
	kopts, err := cfg.Kafka.Opts()
	if err != nil {
		return &config.ExitError{Code: 2, Err: err}
	}
	sropts, err := cfg.Registry.Opts(cfg.SchemaRegistryURL)
	if err != nil {
		return &config.ExitError{Code: 2, Err: err}
	}
	c, err := openClients(cfg, kopts, sropts)
	if err != nil {
		return &config.ExitError{Code: 2, Err: err}
	}
	defer c.Close()
	items := precheckItems(cfg, database, c)
	if err := precheck.CheckSkip(items, cfg.PrecheckSkip); err != nil {
		return &config.ExitError{Code: 2, Err: err}
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

// Package devstack runs the embedded development stack without Docker: a
// Kafka broker (kfake on a TCP port), a Confluent-compatible schema registry,
// a throwaway PostgreSQL cluster and the SQL Server emulator. Any service
// whose address is already set in the environment (MSSQL_DSN, KAFKA_BROKERS,
// SCHEMA_REGISTRY_URL, TARGET_DSN) is used instead of being started.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster"
	"github.com/mssql2adb/mssql2adb/internal/registry"
)

// SourceDatabase is the database the dev stack's MSSQL_DSN names: the
// reference document's sample database, which `make demo` creates.
const SourceDatabase = "dtstestdata"

// TargetDatabase is the database created in the throwaway PostgreSQL cluster.
const TargetDatabase = "warehouse"

// RegistryTopic is where the embedded registry keeps its schemas. It is not
// Confluent's "_schemas", so that pointing the stack at a real Kafka that
// also serves a real registry cannot mix the two.
const RegistryTopic = "_mssql2adb_schemas"

// PGDataFile, in the stack's directory, holds the PostgreSQL data directory.
const PGDataFile = "pgdata"

// Options configure Start.
type Options struct {
	// Dir holds the PostgreSQL data directory; it is removed by Close.
	Dir string
	// Env is consulted for the four service variables; nil means os.Getenv.
	Env func(string) string
	// SAPassword is the emulator's sa password.
	SAPassword string
	Log        *slog.Logger
}

// Stack is a running dev stack.
type Stack struct {
	vars    map[string]string
	closers []func() error
}

// Start brings up every service that is not configured already. On error,
// whatever was started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	getenv := opts.Env
	if getenv == nil {
		getenv = os.Getenv
	}
	if opts.SAPassword == "" {
		opts.SAPassword = "Dev_Passw0rd"
	}
	s := &Stack{vars: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	log := opts.Log

	if v := getenv("KAFKA_BROKERS"); v != "" {
		s.vars["KAFKA_BROKERS"] = v
		log.Info("using the configured Kafka", "brokers", v)
	} else {
		b, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", 3)
		if err != nil {
			return nil, fmt.Errorf("start Kafka broker: %w", err)
		}
		s.closers = append(s.closers, func() error { b.Close(); return nil })
		s.vars["KAFKA_BROKERS"] = strings.Join(b.Addrs(), ",")
		log.Info("started Kafka broker (kfake)", "brokers", s.vars["KAFKA_BROKERS"])
	}

	if v := getenv("SCHEMA_REGISTRY_URL"); v != "" {
		s.vars["SCHEMA_REGISTRY_URL"] = v
		log.Info("using the configured schema registry", "url", v)
	} else {
		reg, err := registry.New(ctx, registry.Config{Brokers: strings.Split(s.vars["KAFKA_BROKERS"], ","), Topic: RegistryTopic, Logger: log})
		if err == nil {
			err = reg.Start(ctx, "127.0.0.1:0")
		}
		if err != nil {
			return nil, fmt.Errorf("start schema registry: %w", err)
		}
		s.closers = append(s.closers, reg.Close)
		s.vars["SCHEMA_REGISTRY_URL"] = "http://" + reg.Addr()
		log.Info("started schema registry", "url", s.vars["SCHEMA_REGISTRY_URL"])
	}

	if v := getenv("TARGET_DSN"); v != "" {
		s.vars["TARGET_DSN"] = v
		log.Info("using the configured target database", "dsn", redact(v))
	} else {
		// The cluster lives in the system's temporary directory: run as
		// root, the server runs as the postgres user, who may not reach a
		// checkout under a private home. Its data directory is recorded so
		// that `devstack down` can stop it even after this process died.
		pg, err := pgcluster.Start(ctx, pgcluster.Options{})
		if err != nil {
			return nil, fmt.Errorf("start PostgreSQL: %w", err)
		}
		s.closers = append(s.closers, pg.Stop)
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", opts.Dir, err)
		}
		if err := os.WriteFile(filepath.Join(opts.Dir, PGDataFile), []byte(pg.DataDir()+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("record PostgreSQL data directory: %w", err)
		}
		if err := pg.CreateDatabase(ctx, TargetDatabase); err != nil {
			return nil, fmt.Errorf("create target database: %w", err)
		}
		s.vars["TARGET_DSN"] = pg.DSN(TargetDatabase)
		log.Info("started PostgreSQL", "dsn", s.vars["TARGET_DSN"])
	}

	if v := getenv("MSSQL_DSN"); v != "" {
		s.vars["MSSQL_DSN"] = v
		log.Info("using the configured SQL Server", "dsn", redact(v))
	} else {
		emu, err := mssqlemu.Start(ctx, mssqlemu.Config{Addr: "127.0.0.1:0", SAPassword: opts.SAPassword})
		if err != nil {
			return nil, fmt.Errorf("start SQL Server emulator: %w", err)
		}
		s.closers = append(s.closers, emu.Close)
		s.vars["MSSQL_DSN"] = emu.DSN(SourceDatabase)
		log.Info("started SQL Server emulator", "addr", emu.Addr())
	}
	return s, nil
}

// Vars returns the service addresses, by variable name.
func (s *Stack) Vars() map[string]string { return s.vars }

// EnvFile renders the variables as a file that `set -a; . ./dev.env` loads.
func (s *Stack) EnvFile() string {
	keys := make([]string, 0, len(s.vars))
	for k := range s.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by `make up`; load with: set -a; . ./dev.env; set +a\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(s.vars[k], "'", `'\''`))
	}
	return b.String()
}

// Close stops what Start started, in reverse order.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// redact hides the password of a URL-form DSN for logs.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return "(dsn not shown)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

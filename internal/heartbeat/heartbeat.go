// Package heartbeat keeps the producer's heartbeat table in the source
// database, as DTS keeps dts_log_heart_beat: one row per producer (by
// SOURCE_NAME), updated at a fixed interval. The table is captured like any
// other, so its changes travel through Kafka to the consumer, which measures
// from them the latency from source commit to target commit even while the
// captured tables are idle, and the producer's position keeps moving.
package heartbeat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// DefaultTable is DTS's heartbeat table, in schema dbo.
const DefaultTable = "dts_log_heart_beat"

// Config says which table and how often.
type Config struct {
	// Schema and Table name the heartbeat table; default dbo and DefaultTable.
	Schema, Table string
	// SourceName is the producer's SOURCE_NAME, the key of its row.
	SourceName string
	// Interval between updates; default one second.
	Interval time.Duration
	Logger   *slog.Logger
}

func (c *Config) defaults() {
	if c.Schema == "" {
		c.Schema = "dbo"
	}
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func quoteName(s string) string   { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }
func quoteString(s string) string { return "N'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (c Config) ident() string { return quoteName(c.Schema) + "." + quoteName(c.Table) }

// createTable is the heartbeat table's DDL.
func (c Config) createTable() string {
	return "CREATE TABLE " + c.ident() + " (source_name nvarchar(128) NOT NULL PRIMARY KEY, beat_time datetime2(3) NOT NULL)"
}

func (c Config) enableCDC() string {
	return fmt.Sprintf("EXEC sys.sp_cdc_enable_table @source_schema = %s, @source_name = %s, @role_name = NULL", quoteString(c.Schema), quoteString(c.Table))
}

// Statements are what a DBA runs when the producer's login may not create
// the table or enable it for change data capture.
func Statements(cfg Config) string {
	cfg.defaults()
	return cfg.createTable() + "; " + cfg.enableCDC() + ";"
}

// State is what the source holds of the heartbeat table.
type State struct {
	Exists, Captured bool
}

// Inspect reads whether the heartbeat table exists and is captured.
func Inspect(ctx context.Context, db *sql.DB, cfg Config) (State, error) {
	cfg.defaults()
	var tracked bool
	err := db.QueryRowContext(ctx, "SELECT is_tracked_by_cdc FROM sys.tables WHERE object_id = OBJECT_ID(@p1)", cfg.ident()).Scan(&tracked)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("heartbeat: look up %s: %w", cfg.ident(), err)
	}
	return State{Exists: true, Captured: tracked}, nil
}

// Ensure creates the heartbeat table and enables change data capture on it
// when missing. The error of a login that may not says the DBA's statements.
func Ensure(ctx context.Context, db *sql.DB, cfg Config) error {
	cfg.defaults()
	st, err := Inspect(ctx, db, cfg)
	if err != nil {
		return err
	}
	if !st.Exists {
		if _, err := db.ExecContext(ctx, cfg.createTable()); err != nil {
			return fmt.Errorf("heartbeat: create %s: %w (a DBA can run: %s)", cfg.ident(), err, Statements(cfg))
		}
		cfg.Logger.Info("heartbeat: created the heartbeat table", "table", cfg.ident())
	}
	if !st.Captured {
		if _, err := db.ExecContext(ctx, cfg.enableCDC()); err != nil {
			return fmt.Errorf("heartbeat: enable change data capture on %s: %w (a DBA can run: %s;)", cfg.ident(), err, cfg.enableCDC())
		}
		cfg.Logger.Info("heartbeat: enabled change data capture on the heartbeat table", "table", cfg.ident())
	}
	return nil
}

// Beat writes the producer's row once: the current time at the source.
func Beat(ctx context.Context, db *sql.DB, cfg Config) error {
	cfg.defaults()
	res, err := db.ExecContext(ctx, "UPDATE "+cfg.ident()+" SET beat_time = SYSUTCDATETIME() WHERE source_name = @p1", cfg.SourceName)
	if err != nil {
		return fmt.Errorf("heartbeat: update %s: %w", cfg.ident(), err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO "+cfg.ident()+" (source_name, beat_time) VALUES (@p1, SYSUTCDATETIME())", cfg.SourceName); err != nil {
		return fmt.Errorf("heartbeat: insert into %s: %w", cfg.ident(), err)
	}
	return nil
}

// Run beats every Interval until ctx ends. A failed beat is logged (the
// first of a run of failures at warn level) and tried again at the next tick.
func Run(ctx context.Context, db *sql.DB, cfg Config) {
	cfg.defaults()
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		if err := Beat(ctx, db, cfg); err != nil && ctx.Err() == nil {
			if !failing {
				cfg.Logger.Warn("heartbeat: cannot update the heartbeat table; latency is not measured until it works again", "err", err)
			}
			failing = true
		} else if failing {
			cfg.Logger.Info("heartbeat: updating the heartbeat table again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Is reports whether schema.table names the heartbeat table of cfg.
func Is(cfg Config, schema, table string) bool {
	cfg.defaults()
	return strings.EqualFold(schema, cfg.Schema) && strings.EqualFold(table, cfg.Table)
}

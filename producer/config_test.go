package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/config/configtest"
	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
)

// Malformed settings are refused before anything connects, in one line
// naming the variable and what is allowed, without repeating a password.
func TestMalformedSettingsAreRefused(t *testing.T) {
	base := map[string]string{
		"MSSQL_DSN":           "sqlserver://sa:S3cret_pw@127.0.0.1:1433?database=db",
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
	}
	configtest.CheckRefusals(t, base, "S3cret_pw", func() (any, func() error) { var c Config; return &c, c.validate }, []configtest.Refusal{
		{Name: "unparsable DSN", Key: "MSSQL_DSN", Value: "sqlserver://sa:S3cret_pw@127.0.0.1:notaport?database=db", Want: "MSSQL_DSN does not parse"},
		{Name: "negative duration", Key: "RETRY_WINDOW", Value: "-1m", Want: `RETRY_WINDOW "-1m": want a duration of at least 0s`},
		{Name: "negative size", Key: "MAX_BATCH_EVENTS", Value: "-5", Want: `MAX_BATCH_EVENTS "-5": want at least 0`},
		{Name: "unknown choice", Key: "STALE_POSITION", Value: "maybe", Want: `STALE_POSITION "maybe": want stop or resnapshot`},
		{Name: "unknown retention choice", Key: "RETENTION_LOSS", Value: "rebuild", Want: `RETENTION_LOSS "rebuild": want stop or resnapshot`},
		{Name: "no snapshot reader", Key: "SNAPSHOT_PARALLELISM", Value: "0", Want: `SNAPSHOT_PARALLELISM "0": want at least 1`},
		{Name: "empty batch bound", Key: "MAX_BATCH_BYTES", Value: "0", Want: `MAX_BATCH_BYTES "0": want at least 1`},
		{Name: "no poll interval", Key: "POLL_INTERVAL", Value: "0s", Want: `POLL_INTERVAL "0s": want a duration of at least 1ms`},
		{Name: "negative shortest poll interval", Key: "POLL_INTERVAL_MIN", Value: "-20ms", Want: `POLL_INTERVAL_MIN "-20ms": want a duration of at least 0s`},
		{Name: "sub-millisecond shortest poll interval", Key: "POLL_INTERVAL_MIN", Value: "500us", Want: `POLL_INTERVAL_MIN 500µs: want a duration of at least 1ms`},
		{Name: "shortest poll interval above the longest", Key: "POLL_INTERVAL_MIN", Value: "600ms",
			Want: "POLL_INTERVAL_MIN 600ms is above POLL_INTERVAL 500ms: the shortest wait between two polls cannot exceed the longest"},
		{Name: "unknown compression", Key: "KAFKA_COMPRESSION", Value: "brotli", Want: `KAFKA_COMPRESSION: compression "brotli": want one of none, gzip, snappy, lz4, zstd`},
		{Name: "negative source timeout", Key: "SOURCE_READ_TIMEOUT", Value: "-5m", Want: `SOURCE_READ_TIMEOUT "-5m": want a duration of at least 0s`},
	})
}

// The heartbeat table is captured whatever TABLES, INCLUDE_TABLES and
// EXCLUDE_TABLES say; without a heartbeat they alone decide.
func TestSourceConfigCapturesTheHeartbeatTable(t *testing.T) {
	hb := &heartbeat.Config{Schema: "dbo", Table: "dts_log_heart_beat"}
	tests := []struct {
		name       string
		cfg        Config
		hb         *heartbeat.Config
		wantTables []string
		selected   map[string]bool // schema.table → picked by Select (nil Select picks all)
	}{
		{"no selection", Config{HeartbeatTable: "dbo.dts_log_heart_beat"}, hb, nil, nil},
		{"TABLES", Config{Tables: []string{"dbo.a"}, HeartbeatTable: "dbo.dts_log_heart_beat"}, hb, []string{"dbo.a", "dbo.dts_log_heart_beat"}, nil},
		{"INCLUDE_TABLES", Config{IncludeTables: []string{"dbo.a"}, HeartbeatTable: "dbo.dts_log_heart_beat"}, hb, nil,
			map[string]bool{"dbo.a": true, "dbo.b": false, "dbo.dts_log_heart_beat": true}},
		{"EXCLUDE_TABLES naming it", Config{ExcludeTables: []string{"dbo.dts*"}, HeartbeatTable: "dbo.dts_log_heart_beat"}, hb, nil,
			map[string]bool{"dbo.a": true, "dbo.dts_log_heart_beat": true}},
		{"no heartbeat", Config{Tables: []string{"dbo.a"}, ExcludeTables: []string{"dbo.dts*"}, HeartbeatTable: "off"}, nil, []string{"dbo.a"},
			map[string]bool{"dbo.a": true, "dbo.dts_log_heart_beat": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := tt.cfg.sourceConfig("shop", tt.hb, nil)
			if !slices.Equal(sc.Tables, tt.wantTables) {
				t.Errorf("Tables = %q, want %q", sc.Tables, tt.wantTables)
			}
			for name, want := range tt.selected {
				schema, table, _ := strings.Cut(name, ".")
				if got := sc.Select == nil || sc.Select(schema, table); got != want {
					t.Errorf("Select(%s) = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// The snapshot settings reach the source reader.
func TestSourceConfigPassesSnapshotSettings(t *testing.T) {
	c := Config{SnapshotChunkRows: 500, SnapshotParallel: 3, HeartbeatTable: "off"}
	if sc := c.sourceConfig("shop", nil, nil); sc.SnapshotChunkRows != 500 || sc.SnapshotParallelism != 3 {
		t.Errorf("source config has SnapshotChunkRows %d and SnapshotParallelism %d, want 500 and 3", sc.SnapshotChunkRows, sc.SnapshotParallelism)
	}
}

// Both poll intervals reach the source reader.
func TestSourceConfigPassesPollIntervals(t *testing.T) {
	c := Config{PollInterval: 2 * time.Second, PollIntervalMin: 50 * time.Millisecond, HeartbeatTable: "off"}
	if sc := c.sourceConfig("shop", nil, nil); sc.PollInterval != 2*time.Second || sc.PollIntervalMin != 50*time.Millisecond {
		t.Errorf("source config has PollInterval %s and PollIntervalMin %s, want 2s and 50ms", sc.PollInterval, sc.PollIntervalMin)
	}
}

func TestTransactionalIDDefault(t *testing.T) {
	c := Config{SourceName: "eu"}
	if got := c.transactionalID("shop"); got != "mssql2adb-eu-shop" {
		t.Errorf("default TRANSACTIONAL_ID = %q", got)
	}
	c.TransactionalID = "mine"
	if got := c.transactionalID("shop"); got != "mine" {
		t.Errorf("TRANSACTIONAL_ID set: %q", got)
	}
}

// A POLL_INTERVAL below the default shortest wait, set before
// POLL_INTERVAL_MIN existed, is still accepted when POLL_INTERVAL_MIN is
// not set.
func TestShortPollIntervalAloneIsAccepted(t *testing.T) {
	env := map[string]string{
		"MSSQL_DSN":           "sqlserver://sa:pw@127.0.0.1:1433?database=db",
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
		"POLL_INTERVAL":       "10ms",
	}
	var c Config
	err := config.Load(context.Background(), &c, envconfig.MapLookuper(env))
	if err == nil {
		err = c.validate()
	}
	if err != nil {
		t.Fatalf("POLL_INTERVAL=10ms alone refused: %v", err)
	}
}

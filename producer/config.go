package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/publish"
	"github.com/mssql2adb/mssql2adb/internal/secure"
	"github.com/mssql2adb/mssql2adb/internal/selection"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Config is every setting of the producer, read from the environment.
type Config struct {
	MSSQLDSN          string        `env:"MSSQL_DSN,required" secret:"true" help:"SQL Server connection string with the source database, e.g. sqlserver://user:pass@host:1433?database=dtstestdata. The user needs db_owner on the database (CDC functions)."`
	KafkaBrokers      []string      `env:"KAFKA_BROKERS,required" help:"Comma-separated Kafka bootstrap brokers, e.g. kafka1:9092,kafka2:9092."`
	SchemaRegistryURL string        `env:"SCHEMA_REGISTRY_URL,required" help:"Confluent-compatible Schema Registry URL, e.g. http://registry:8081."`
	SourceName        string        `env:"SOURCE_NAME" help:"Name of this source (DTS's synchronization instance id): every event's source.name, the first part of __dts_data_source in merged tables, and part of the default TRANSACTIONAL_ID; default TOPIC_PREFIX."`
	TopicPrefix       string        `env:"TOPIC_PREFIX,default=mssql" help:"Change topics are named <TOPIC_PREFIX>.<database>.<schema>.<table>, with the characters Kafka refuses replaced (see Topics, keys and events). ASCII letters, digits, '.', '_' and '-', at most 200."`
	Tables            []string      `env:"TABLES" help:"Comma-separated schema.table names to capture, bracketed when a name holds a dot ([sales.eu].[Order Details]); empty captures every CDC-enabled table of the database."`
	IncludeTables     []string      `env:"INCLUDE_TABLES" help:"Comma-separated schema.table patterns (* and ? match within a part; database.schema.table works too) of the CDC-enabled tables to synchronize; empty selects every one (or those of TABLES). Tables enabled for CDC later are picked by the same patterns."`
	ExcludeTables     []string      `env:"EXCLUDE_TABLES" help:"Comma-separated schema.table patterns of tables not to synchronize; they win over INCLUDE_TABLES and TABLES."`
	TopicPartitions   int32         `env:"TOPIC_PARTITIONS,default=3" help:"Partitions of each change topic created by the producer (existing topics are left as they are)."`
	TopicReplication  int16         `env:"TOPIC_REPLICATION_FACTOR,default=-1" min:"-1" help:"Replication factor of created topics; -1 uses the broker's default."`
	TopicCleanup      string        `env:"TOPIC_CLEANUP_POLICY,default=compact" help:"cleanup.policy of created change topics: compact (a topic alone can rebuild a table) or delete."`
	MaxMessageBytes   int32         `env:"MAX_MESSAGE_BYTES,default=67108864" help:"Largest Kafka record the producer writes (a change event carries a row before and after, large values included); created topics get this max.message.bytes. Existing topics and the brokers' message.max.bytes must allow it too."`
	KafkaCompression  string        `env:"KAFKA_COMPRESSION,default=snappy" help:"Codec of the record batches written to Kafka: none, gzip, snappy, lz4 or zstd; consumers read any of them. snappy and lz4 cost little CPU on either side; zstd and gzip make topics smaller (brokers' disks, the network, a replay's reads) for more of the producer's CPU. none was no faster than snappy for either program in make bench."`
	StateTopic        string        `env:"STATE_TOPIC,default=_mssql2adb_state" help:"Compacted topic holding the producer's source position, written in the same transaction as the events."`
	TransactionalID   string        `env:"TRANSACTIONAL_ID" help:"Kafka transactional id; default mssql2adb-<SOURCE_NAME>-<database>. Keep it stable: it fences a second producer for the same source."`
	SnapshotChunkRows int           `env:"SNAPSHOT_CHUNK_ROWS,default=10000" help:"Rows per snapshot chunk (one Kafka transaction each); a restarted snapshot resumes after the last committed chunk."`
	SnapshotParallel  int           `env:"SNAPSHOT_PARALLELISM,default=4" min:"1" help:"Snapshot readers at once, each in its own SNAPSHOT transaction on its own connection: several tables, and key ranges of a large table with an integer first key column, are read in parallel. 1 reads the tables one after the other. Memory grows by about one chunk per reader."`
	PollInterval      time.Duration `env:"POLL_INTERVAL,default=500ms" min:"1ms" help:"Longest wait between two polls of the CDC change tables: how often they are polled while the source is quiet (an empty poll is two small queries)."`
	PollIntervalMin   time.Duration `env:"POLL_INTERVAL_MIN" help:"Shortest wait between two polls, at most POLL_INTERVAL: after a poll that found changes the next one follows at once, and the empty polls after it wait POLL_INTERVAL_MIN, then twice as long each time up to POLL_INTERVAL, so that changes are read soon after SQL Server's capture job writes them. Empty: 20ms, or POLL_INTERVAL when that is shorter. Equal to POLL_INTERVAL: a fixed interval."`
	MaxBatchEvents    int           `env:"MAX_BATCH_EVENTS,default=5000" help:"Upper bound of change events per Kafka transaction."`
	MaxBatchBytes     int64         `env:"MAX_BATCH_BYTES,default=16777216" min:"1" help:"Upper bound of the column value bytes of one Kafka transaction (snapshot rows, or change events' before and after images): a snapshot chunk ends early and the next ones ask for fewer rows, a stream batch closes (splitting a transaction if it must). One larger row or event makes a batch of its own. It bounds the producer's memory with large values (about a few times this, plus the Avro records)."`
	SchemaCheck       time.Duration `env:"SCHEMA_CHECK_INTERVAL,default=10s" help:"How often the producer looks for schema changes of the captured tables (ADD COLUMN and other DDL) and for tables newly enabled for CDC."`
	CaptureInstances  string        `env:"CAPTURE_INSTANCES,default=auto" help:"auto: after ADD COLUMN the producer creates the table's second capture instance itself, switches to it without losing or repeating a change, and drops the old one. manual: it logs the sys.sp_cdc_enable_table statement for a DBA to run and switches once the instance exists."`
	SyncFullData      string        `env:"SYNC_FULL_DATA,default=on" help:"on takes an initial snapshot of every table (DTS's full data synchronization); off streams only the changes committed after the producer first starts, for tables already loaded by other means (tables that join later are not snapshotted either)."`
	SyncIncremental   string        `env:"SYNC_INCREMENTAL,default=on" help:"on streams the changes after the snapshot (DTS's incremental synchronization); off exits (status 0) once the snapshot is done."`
	StalePosition     string        `env:"STALE_POSITION,default=stop" help:"What to do when the saved source position belongs to another life of the source database (dropped and recreated, or restored) or lies beyond its highest LSN: stop (say so and exit) or resnapshot (forget it and take a new snapshot of every table)."`
	RetentionLoss     string        `env:"RETENTION_LOSS,default=stop" help:"What to do when the CDC cleanup job removed changes of a table that the producer had not read yet (it was down or behind for longer than the retention): stop (say which table, its position and the capture instance's minimum LSN, and exit) or resnapshot (take a new snapshot of just those tables while the others stream on; consumers replace those tables' rows with the new snapshot's, so rows deleted meanwhile go too)."`
	HeartbeatTable    string        `env:"HEARTBEAT_TABLE,default=dbo.dts_log_heart_beat" help:"Heartbeat table in the source database (schema.table; off: none), as DTS's: created and enabled for CDC at start when the login may (otherwise the precheck gives a DBA the statements), one row per SOURCE_NAME updated every HEARTBEAT_INTERVAL. Its changes travel like a table's, so the consumer measures latency and the position moves while the tables are idle; the consumer never writes them into user tables."`
	HeartbeatInterval time.Duration `env:"HEARTBEAT_INTERVAL,default=1s" help:"How often the producer updates its heartbeat row."`
	PrecheckSkip      []string      `env:"PRECHECK_SKIP" help:"Comma-separated precheck items to let fail without refusing to start (see Precheck); a name that is no item is refused."`
	SourceReadTimeout time.Duration `env:"SOURCE_READ_TIMEOUT,default=5m" help:"How long SQL Server may leave a query unanswered (no bytes back) before its connection is abandoned and the read retried on a new one within RETRY_WINDOW: a server that hangs, or a network that died without a reset, is found out after this long instead of never. Far above what a snapshot chunk or a change query takes; raise it if counting a huge table's rows without statistics takes longer. 0: no bound. TCP keepalives (MSSQL_DSN's keepAlive, 30s) still find a peer that stopped answering at all."`
	RetryWindow       time.Duration `env:"RETRY_WINDOW,default=720m" help:"How long to keep retrying an unreachable SQL Server, Kafka or registry before giving up (DTS's default is 720 minutes)."`
	HTTPAddr          string        `env:"HTTP_ADDR,default=:9464" help:"Address of the /metrics, /healthz and /readyz endpoints; off disables them."`
	LogLevel          string        `env:"LOG_LEVEL,default=info" help:"debug, info, warn or error."`
	LogFormat         string        `env:"LOG_FORMAT,default=text" help:"text or json."`

	// Connection security, shared with the other program (internal/secure).
	Kafka    secure.Kafka
	Registry secure.Registry
	Shutdown config.Shutdown // SHUTDOWN_TIMEOUT
	Profile  config.Profile  // CPU_PROFILE
}

// database returns the database named in MSSQL_DSN, which the producer needs
// to name topics and query the catalog.
func (c *Config) database() (string, error) {
	u, err := url.Parse(c.MSSQLDSN)
	if err != nil || u.Scheme != "sqlserver" {
		// The ADO form "server=...;database=..." is accepted too.
		for _, part := range strings.Split(c.MSSQLDSN, ";") {
			k, v, ok := strings.Cut(part, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "database") {
				return strings.TrimSpace(v), nil
			}
		}
		return "", fmt.Errorf("MSSQL_DSN names no database: add ?database=<name> (sqlserver://...) or database=<name>; (ADO form)")
	}
	if db := u.Query().Get("database"); db != "" {
		return db, nil
	}
	return "", fmt.Errorf("MSSQL_DSN names no database: add ?database=<name> to sqlserver://%s", u.Host)
}

func (c *Config) validate() error {
	// Refused here, before anything connects; the DSN itself is never
	// repeated (it holds a password).
	if _, err := msdsn.Parse(c.MSSQLDSN); err != nil {
		return fmt.Errorf("MSSQL_DSN does not parse: %s; want sqlserver://user:password@host:1433?database=name or server=host;user id=user;password=...;database=name",
			strings.ReplaceAll(err.Error(), c.MSSQLDSN, "(the DSN)"))
	}
	if _, err := c.database(); err != nil {
		return err
	}
	if err := selection.Check("INCLUDE_TABLES", c.IncludeTables); err != nil {
		return err
	}
	if err := selection.Check("EXCLUDE_TABLES", c.ExcludeTables); err != nil {
		return err
	}
	if err := kafka.ValidateTopicPrefix(c.TopicPrefix); err != nil {
		return fmt.Errorf("TOPIC_PREFIX: %w", err)
	}
	if err := kafka.ValidateTopicName(c.StateTopic); err != nil {
		return fmt.Errorf("STATE_TOPIC: %w", err)
	}
	if c.TopicCleanup != "compact" && c.TopicCleanup != "delete" && c.TopicCleanup != "compact,delete" {
		return fmt.Errorf("TOPIC_CLEANUP_POLICY %q: want compact, delete or compact,delete", c.TopicCleanup)
	}
	if c.TopicPartitions < 1 {
		return fmt.Errorf("TOPIC_PARTITIONS %d: want at least 1", c.TopicPartitions)
	}
	if c.MaxMessageBytes < 1<<20 {
		return fmt.Errorf("MAX_MESSAGE_BYTES %d: want at least 1048576 (Kafka's default)", c.MaxMessageBytes)
	}
	if _, err := kafka.Compression(c.KafkaCompression); err != nil {
		return fmt.Errorf("KAFKA_COMPRESSION: %w", err)
	}
	if c.CaptureInstances != "auto" && c.CaptureInstances != "manual" {
		return fmt.Errorf("CAPTURE_INSTANCES %q: want auto or manual", c.CaptureInstances)
	}
	if c.SchemaCheck <= 0 {
		return fmt.Errorf("SCHEMA_CHECK_INTERVAL %s: want a positive duration", c.SchemaCheck)
	}
	if c.SourceName == "" {
		c.SourceName = c.TopicPrefix
	}
	for _, v := range []struct{ name, value string }{{"SYNC_FULL_DATA", c.SyncFullData}, {"SYNC_INCREMENTAL", c.SyncIncremental}} {
		if err := config.OneOf(v.name, v.value, "on", "off"); err != nil {
			return err
		}
	}
	if c.SyncFullData == "off" && c.SyncIncremental == "off" {
		return fmt.Errorf("SYNC_FULL_DATA and SYNC_INCREMENTAL are both off: there is nothing to synchronize")
	}
	if c.StalePosition != "stop" && c.StalePosition != "resnapshot" {
		return fmt.Errorf("STALE_POSITION %q: want stop or resnapshot", c.StalePosition)
	}
	if c.RetentionLoss != "stop" && c.RetentionLoss != "resnapshot" {
		return fmt.Errorf("RETENTION_LOSS %q: want stop or resnapshot", c.RetentionLoss)
	}
	if c.HeartbeatInterval <= 0 {
		return fmt.Errorf("HEARTBEAT_INTERVAL %s: want a positive duration", c.HeartbeatInterval)
	}
	if _, err := c.heartbeat(); err != nil {
		return err
	}
	// Not set (0), the source takes 20ms or POLL_INTERVAL when shorter: a
	// POLL_INTERVAL set below 20ms before POLL_INTERVAL_MIN existed stays
	// valid, and fixed.
	if c.PollIntervalMin != 0 && c.PollIntervalMin < time.Millisecond {
		return fmt.Errorf("POLL_INTERVAL_MIN %s: want a duration of at least 1ms, or nothing for the default", c.PollIntervalMin)
	}
	if c.PollIntervalMin > c.PollInterval {
		return fmt.Errorf("POLL_INTERVAL_MIN %s is above POLL_INTERVAL %s: the shortest wait between two polls cannot exceed the longest; lower POLL_INTERVAL_MIN or raise POLL_INTERVAL",
			c.PollIntervalMin, c.PollInterval)
	}
	if c.SnapshotChunkRows < 1 || c.MaxBatchEvents < 1 {
		return fmt.Errorf("SNAPSHOT_CHUNK_ROWS and MAX_BATCH_EVENTS must be at least 1")
	}
	return nil
}

// heartbeat is the heartbeat table's settings; nil when HEARTBEAT_TABLE=off.
func (c *Config) heartbeat() (*heartbeat.Config, error) {
	if c.HeartbeatTable == "off" {
		return nil, nil
	}
	schema, table, err := source.SplitTableName(c.HeartbeatTable)
	if err != nil {
		return nil, fmt.Errorf("HEARTBEAT_TABLE: %w", err)
	}
	return &heartbeat.Config{Schema: schema, Table: table, SourceName: c.SourceName, Interval: c.HeartbeatInterval}, nil
}

// selects is the source.Config.Select of INCLUDE_TABLES and EXCLUDE_TABLES;
// nil when neither is set.
func (c *Config) selects(database string) func(schema, table string) bool {
	if len(c.IncludeTables) == 0 && len(c.ExcludeTables) == 0 {
		return nil
	}
	return func(schema, table string) bool {
		return selection.Selected(c.IncludeTables, c.ExcludeTables, database, schema, table)
	}
}

// transactionalID is TRANSACTIONAL_ID, by default derived from the source:
// stable across restarts, so that a second producer of the same source is
// fenced.
func (c *Config) transactionalID(database string) string {
	if c.TransactionalID != "" {
		return c.TransactionalID
	}
	return "mssql2adb-" + c.SourceName + "-" + database
}

// topics is how the producer creates its topics.
func (c *Config) topics() publish.TopicSettings {
	return publish.TopicSettings{Prefix: c.TopicPrefix, StateTopic: c.StateTopic, Partitions: c.TopicPartitions,
		Replication: c.TopicReplication, Cleanup: c.TopicCleanup, MaxMessageBytes: c.MaxMessageBytes}
}

// sourceConfig is the source reader's configuration. hb is the heartbeat table
// when it is ready (nil: none): TABLES, INCLUDE_TABLES and EXCLUDE_TABLES
// pick user tables, and the heartbeat table is captured whatever they say.
func (c *Config) sourceConfig(database string, hb *heartbeat.Config, log *slog.Logger) source.Config {
	tables, selects := c.Tables, c.selects(database)
	if hb != nil {
		if len(c.Tables) > 0 {
			tables = append(slices.Clone(c.Tables), c.HeartbeatTable)
		}
		if pick := selects; pick != nil {
			selects = func(schema, table string) bool { return heartbeat.Is(*hb, schema, table) || pick(schema, table) }
		}
	}
	return source.Config{
		Database: database, Tables: tables, Select: selects, SnapshotChunkRows: c.SnapshotChunkRows, SnapshotParallelism: c.SnapshotParallel,
		PollInterval: c.PollInterval, PollIntervalMin: c.PollIntervalMin, MaxBatchEvents: c.MaxBatchEvents, MaxBatchBytes: c.MaxBatchBytes, Logger: log, Name: c.SourceName,
		NoSnapshot: c.SyncFullData == "off", NoStream: c.SyncIncremental == "off",
		SchemaCheckInterval: c.SchemaCheck, ManualCaptureInstances: c.CaptureInstances == "manual",
		ResnapshotLost: c.RetentionLoss == "resnapshot",
	}
}

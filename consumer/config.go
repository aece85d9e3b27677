package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/route"
	"github.com/mssql2adb/mssql2adb/internal/secure"
)

// Config is every setting of the consumer, read from the environment.
type Config struct {
	KafkaBrokers         []string      `env:"KAFKA_BROKERS,required" help:"Comma-separated Kafka bootstrap brokers, e.g. kafka1:9092,kafka2:9092."`
	SchemaRegistryURL    string        `env:"SCHEMA_REGISTRY_URL,required" help:"Confluent-compatible Schema Registry URL the producer registered its schemas with."`
	TargetDSN            string        `env:"TARGET_DSN,required" secret:"true" help:"PostgreSQL or AnalyticDB for PostgreSQL connection string, e.g. postgres://user:pass@host:5432/warehouse. The user needs CREATE on the database and COPY."`
	TopicPrefix          string        `env:"TOPIC_PREFIX,default=mssql" help:"Consume every topic named <TOPIC_PREFIX>.<database>.<schema>.<table> (the producer's TOPIC_PREFIX). ASCII letters, digits, '.', '_' and '-', at most 200."`
	GroupID              string        `env:"GROUP_ID" help:"Kafka consumer group; default mssql2adb-<TOPIC_PREFIX>. Consumers with the same group share the partitions; a new group replays the topics from the start."`
	TargetDialect        string        `env:"TARGET_DIALECT,default=auto" help:"postgres, adbpg (AnalyticDB for PostgreSQL / Greenplum) or auto (detected from version())."`
	MetaSchema           string        `env:"TARGET_META_SCHEMA,default=mssql2adb" help:"Target schema for the consumer's bookkeeping (Kafka offsets stored with the rows they produced)."`
	BatchMaxEvents       int           `env:"BATCH_MAX_EVENTS,default=20000" help:"Upper bound of events applied in one target transaction."`
	BatchMaxBytes        int           `env:"BATCH_MAX_BYTES,default=16777216" help:"Upper bound of the memory one batch holds: its Kafka records (key and value) plus the events decoded from them (estimated from the previous batch). A batch closes on BATCH_MAX_EVENTS, BATCH_MAX_BYTES or BATCH_MAX_WAIT, whichever comes first; one larger record makes a batch of its own. At most two batches are held (the one applied, the next one read and decoded meanwhile) and a fetch is capped at a quarter of it, so the consumer's memory follows from it: peak RSS about 30 MiB + 6 × BATCH_MAX_BYTES, whatever the rows (see Throughput)."`
	ApplyParallelism     int           `env:"APPLY_PARALLELISM,default=1" min:"1" help:"How many Kafka partitions of a batch are written to the target at once, each in a transaction of its own that stores only its partitions' offsets (exactly once each; a key's changes are all in one partition, so their order holds). 1 (the default) writes a batch in one transaction. More helps where the target has cores to spare beyond the consumer's (on 2 cores shared with PostgreSQL, 4 was slower than 1, see Throughput); the target connection pool grows to this plus 2 unless TARGET_DSN sets pool_max_conns."`
	BatchMaxWait         time.Duration `env:"BATCH_MAX_WAIT,default=500ms" help:"How long a batch may keep gathering events while the previous one is being applied. With no batch being applied, a batch goes to the target as soon as nothing more is buffered, so a quiet stream is not delayed by it."`
	SessionTimeout       time.Duration `env:"KAFKA_SESSION_TIMEOUT,default=10s" help:"Consumer group session timeout: how soon the partitions of a consumer that died are given to the others."`
	InstanceID           string        `env:"GROUP_INSTANCE_ID" help:"Static group membership id (Kafka's group.instance.id): give each consumer its own stable id, e.g. its pod name, and a restarted consumer takes its partitions back at once, without a rebalance. Empty: dynamic membership."`
	MappingFile          string        `env:"MAPPING_FILE" help:"Path of a YAML mapping file with per-table rules: target names, column names, merging shards into one table with __dts_data_source, operations, exclusions, and AnalyticDB table settings (table_type, primary_key, distribution_key, storage; see the README's Task options and AnalyticDB table settings)."`
	IncludeTables        []string      `env:"INCLUDE_TABLES" help:"Comma-separated database.schema.table patterns (or schema.table, in any database; * and ? match within a part) of the source tables to apply; empty applies every table of the topics."`
	ExcludeTables        []string      `env:"EXCLUDE_TABLES" help:"Comma-separated database.schema.table patterns of source tables not to apply; they win over INCLUDE_TABLES."`
	Operations           []string      `env:"OPERATIONS,default=insert,update,delete" help:"The changes applied: any of insert, update, delete (snapshot rows always are). Without delete the target keeps deleted rows; without update it keeps rows as first inserted."`
	QuoteNames           string        `env:"TARGET_QUOTE_NAMES,default=on" help:"on keeps target names as at the source, case and special characters included (\"Student\"); off folds them to lower case and refuses a name that would then need quotes (reserved word, leading digit, characters other than letters, digits, _ and $)."`
	SyncSchema           string        `env:"SYNC_SCHEMA,default=on" help:"on creates each target table on first sight (DTS's initial schema synchronization); off never creates one: a missing table stops the consumer naming it, and tables you created are written into as with EXISTING_TABLES=use."`
	ExistingTables       string        `env:"EXISTING_TABLES,default=intercept" help:"What to do with a target table that exists but was not created by the consumer: intercept (refuse to write into it, naming it; DTS's precheck and intercept) or use (write into it, DTS's ignore errors and proceed: it needs a primary key or unique index on the key columns, gets the column __source_lsn, and only the columns it has are synchronized, logged once)."`
	BadRecords           string        `env:"BAD_RECORDS,default=deadletter" help:"What to do with a record that can never be applied (not Schema Registry framed, an unknown schema id, truncated Avro, a value the target rejects): deadletter (write it to DEAD_LETTER_TOPIC with headers saying where it came from and why, and go on) or stop. A registry or target that does not answer is retried, never dead-lettered."`
	DeadLetterTopic      string        `env:"DEAD_LETTER_TOPIC" help:"Topic of dead-lettered records; default <TOPIC_PREFIX>._deadletter (created when missing)."`
	StripNUL             string        `env:"TARGET_STRIP_NUL,default=off" help:"on drops U+0000 characters from strings (SQL Server can store them, PostgreSQL text cannot); off treats such a value as one the target rejects (see BAD_RECORDS)."`
	StatementTimeout     time.Duration `env:"TARGET_STATEMENT_TIMEOUT,default=10m" help:"How long one attempt to apply a batch (its statements, COPY and commit, and any CREATE or ALTER TABLE it needs) may take before it is abandoned, its connection closed, and the batch retried on a new connection within RETRY_WINDOW: a target that stops answering without closing the connection (a server or network that died without a reset) is found out after this long, instead of when TCP gives up. Far above what a batch takes; raise it if one DDL on a large table takes longer. 0: no bound. It is also how long the server lets a transaction of the consumer wait for its next statement (idle_in_transaction_session_timeout, where the server has it) before ending it: a transaction left on a connection lost without a reset then ends, with the locks it holds, instead of holding the partitions' offsets for as long as the dead connection lives. Connections also send TCP keepalives (30s idle, then every 10s), and connecting waits at most TARGET_DSN's connect_timeout (30s when not set)."`
	StaleState           string        `env:"STALE_STATE,default=stop" help:"What to do when the offsets stored in the target do not belong to a topic as it is now (deleted and recreated, another Kafka cluster, records removed) or a table's rows come from another life of the source database (dropped and recreated, restored): stop (say so and exit, applying nothing) or rebuild (replace the tables the topic feeds with what it holds, in one transaction, then go on)."`
	DeletedKeysRetention time.Duration `env:"DELETED_KEYS_RETENTION,default=168h" help:"How long a deleted key is remembered in <TARGET_META_SCHEMA>.deleted_keys (0: for ever). A remembered key refuses the older events of its row that a replay into this target brings back; a replay of records older than this shows such a row again until it reaches the row's delete event, and ends with the row deleted all the same. Pruned once an hour (or a quarter of the retention, when shorter) by one consumer of the target at a time, so the table and the upsert's check against it stay the size of the deletes of this period."`
	ApplyAudit           string        `env:"APPLY_AUDIT,default=off" help:"on or off. On records one row per applied Kafka record in <TARGET_META_SCHEMA>.apply_audit, in the same transaction, to prove nothing is applied twice; for tests and investigations (the table grows without bound)."`
	HeartbeatTable       string        `env:"HEARTBEAT_TABLE,default=dbo.dts_log_heart_beat" help:"The producers' heartbeat table (schema.table, in any source database; off: none). Its rows never reach a user table: they go to <TARGET_META_SCHEMA>.heartbeat, one row per source, and each one applied sets mssql2adb_consumer_heartbeat_latency_seconds, the latency from source commit to target commit."`
	PrecheckSkip         []string      `env:"PRECHECK_SKIP" help:"Comma-separated precheck items to let fail without refusing to start (see Precheck); a name that is no item is refused."`
	RetryWindow          time.Duration `env:"RETRY_WINDOW,default=720m" help:"How long to keep retrying an unreachable Kafka, registry or target before giving up (DTS's default is 720 minutes)."`
	HTTPAddr             string        `env:"HTTP_ADDR,default=:9465" help:"Address of the /metrics, /healthz and /readyz endpoints; off disables them. Give each consumer on one host its own port."`
	LogLevel             string        `env:"LOG_LEVEL,default=info" help:"debug, info, warn or error."`
	LogFormat            string        `env:"LOG_FORMAT,default=text" help:"text or json."`

	// Connection security, shared with the other program (internal/secure).
	Kafka    secure.Kafka
	Registry secure.Registry
	Shutdown config.Shutdown // SHUTDOWN_TIMEOUT
	Profile  config.Profile  // CPU_PROFILE
}

func (c *Config) validate() error {
	// Refused before anything connects (pgx keeps the password out of its
	// errors).
	if _, err := pgxpool.ParseConfig(c.TargetDSN); err != nil {
		return fmt.Errorf("TARGET_DSN does not parse (postgres://user:pass@host:5432/db or key=value form): %w", err)
	}
	for _, s := range []struct {
		name, value string
		allowed     []string
	}{
		{"TARGET_DIALECT", c.TargetDialect, []string{"auto", "postgres", "adbpg"}},
		{"EXISTING_TABLES", c.ExistingTables, []string{"intercept", "use"}},
		{"SYNC_SCHEMA", c.SyncSchema, []string{"on", "off"}},
		{"BAD_RECORDS", c.BadRecords, []string{"deadletter", "stop"}},
		{"TARGET_STRIP_NUL", c.StripNUL, []string{"on", "off"}},
		{"TARGET_QUOTE_NAMES", c.QuoteNames, []string{"on", "off"}},
		{"STALE_STATE", c.StaleState, []string{"stop", "rebuild"}},
		{"APPLY_AUDIT", c.ApplyAudit, []string{"on", "off"}},
	} {
		if err := config.OneOf(s.name, s.value, s.allowed...); err != nil {
			return err
		}
	}
	if err := kafka.ValidateTopicPrefix(c.TopicPrefix); err != nil {
		return fmt.Errorf("TOPIC_PREFIX: %w", err)
	}
	if c.DeadLetterTopic == "" {
		c.DeadLetterTopic = c.TopicPrefix + "._deadletter"
	}
	if err := kafka.ValidateTopicName(c.DeadLetterTopic); err != nil {
		return fmt.Errorf("DEAD_LETTER_TOPIC: %w", err)
	}
	if c.HeartbeatTable != "off" {
		if s, t, ok := strings.Cut(c.HeartbeatTable, "."); !ok || s == "" || t == "" || strings.Contains(t, ".") {
			return fmt.Errorf("HEARTBEAT_TABLE %q: want schema.table (the producers' setting) or off", c.HeartbeatTable)
		}
	}
	if c.BatchMaxEvents < 1 {
		return fmt.Errorf("BATCH_MAX_EVENTS %d: want at least 1", c.BatchMaxEvents)
	}
	if c.GroupID == "" {
		c.GroupID = "mssql2adb-" + c.TopicPrefix
	}
	return nil
}

// router loads the task options: selection, names, merges, operations.
func (c *Config) router() (*route.Router, error) {
	rc := route.Config{Include: c.IncludeTables, Exclude: c.ExcludeTables, Operations: c.Operations, FoldNames: c.QuoteNames == "off"}
	if c.HeartbeatTable != "off" {
		schema, table, _ := strings.Cut(c.HeartbeatTable, ".") // checked by validate
		rc.Heartbeat, rc.HeartbeatTarget = [2]string{schema, table}, [2]string{c.MetaSchema, "heartbeat"}
	}
	if c.MappingFile != "" {
		f, err := route.LoadFile(c.MappingFile)
		if err != nil {
			return nil, fmt.Errorf("MAPPING_FILE: %w", err)
		}
		rc.File = f
	}
	return route.New(rc)
}

// groupOpts are the consumer's extra Kafka client options. New change
// topics (a table enabled later) and, after a member dies, topics it alone
// had discovered must be found quickly: the group assigns only topics its
// members have seen in metadata.
func (c *Config) groupOpts() []kgo.Opt {
	opts := []kgo.Opt{kgo.MetadataMaxAge(5 * time.Second), kgo.SessionTimeout(c.SessionTimeout)}
	if c.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(c.InstanceID))
	}
	return opts
}

// deadLetterTopic is where bad records go: DEAD_LETTER_TOPIC when
// BAD_RECORDS=deadletter, else none ("").
func (c *Config) deadLetterTopic() string {
	if c.BadRecords != "deadletter" {
		return ""
	}
	return c.DeadLetterTopic
}

package source

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// Config says what to read and how. The zero value of every field but
// Database is usable; defaults are filled by NewReader and Discover.
type Config struct {
	// Database is the source database (the DSN's database). Empty means the
	// connection's current database, DB_NAME().
	Database string
	// Tables is an optional include list of "schema.table" names; empty means
	// every CDC-enabled table. Names compare case-insensitively.
	Tables []string
	// Select, when set, further picks the tables to synchronize by schema
	// and table name (the producer's INCLUDE_TABLES and EXCLUDE_TABLES),
	// at start and for tables enabled for CDC later.
	Select func(schema, table string) bool
	// SnapshotChunkRows is the number of rows read per snapshot query and
	// emitted per snapshot batch (default 10000).
	SnapshotChunkRows int
	// SnapshotParallelism is how many snapshot readers run at once, each in
	// its own SNAPSHOT transaction on its own connection (default 1: one
	// reader, tables one after the other). Above 1, several tables are read
	// at once and a table of at least two chunks with an integer first key
	// column is split into up to this many ranges of that column.
	SnapshotParallelism int
	// PollInterval is the longest wait between two reads of the change
	// tables, reached when the source is quiet (default 500ms).
	// PollIntervalMin is the shortest (default 20ms, or PollInterval if that
	// is lower; at most PollInterval): after a read that found changes the
	// next one follows at once, and the empty reads after it wait
	// PollIntervalMin, then twice as long each time up to PollInterval. A
	// busy source is read soon after its capture job writes, a quiet one
	// costs SQL Server one cheap read per PollInterval.
	PollInterval, PollIntervalMin time.Duration
	// MaxBatchEvents bounds the events of one emitted batch (default 10000).
	// A source transaction is split across batches only when it alone has
	// more events than this.
	MaxBatchEvents int
	// MaxBatchBytes bounds the column value bytes of one emitted batch
	// (default 16 MiB; at least one row or event is always emitted): a
	// snapshot chunk ends early and the next ones ask for fewer rows, and
	// a stream batch closes (splitting a transaction, as MaxBatchEvents
	// does) once its events' before and after images reach it. It keeps the
	// producer's memory independent of value sizes.
	MaxBatchBytes int64
	// IdleCheckpoint is how often, while no captured table changes, an empty
	// batch is emitted to move the saved position forward (default 1 minute),
	// so that a restart does not fall behind the CDC retention window.
	IdleCheckpoint time.Duration
	// SchemaCheckInterval is how often, while streaming, the reader compares
	// the captured tables with the catalog (ADD COLUMN and other DDL) and
	// looks for tables newly enabled for CDC (default 10s).
	SchemaCheckInterval time.Duration
	// ManualCaptureInstances leaves capture instances to the DBA: after ADD
	// COLUMN the reader logs the sys.sp_cdc_enable_table statement to run and
	// switches once that instance exists, and it never drops an instance. By
	// default it creates the second instance itself and drops the old one
	// once it has read it up to the new one's start.
	ManualCaptureInstances bool
	// OnNewTable, if set, is called for a table that joins while the reader
	// runs (enabled for CDC later), before its snapshot: to create its topic.
	OnNewTable func(context.Context, *catalog.Table) error
	// NoSnapshot turns the initial snapshot off (DTS's full data
	// synchronization): a reader without a saved position streams the
	// changes committed after it starts. NoStream turns streaming off
	// (incremental synchronization): Run returns once the snapshot is done.
	NoSnapshot, NoStream bool
	// ResnapshotLost takes a new snapshot of a table whose changes the CDC
	// cleanup job removed before they were read, while the other tables
	// stream on (the producer's RETENTION_LOSS=resnapshot); the table's
	// events carry a new incarnation from then on (event.TableIncarnation)
	// so that consumers replace its rows. Otherwise, and always when
	// NoSnapshot is set, Run fails with a *RetentionError.
	ResnapshotLost bool
	// Name is the logical server name put in every event's Source.Name (the
	// topic prefix); Version is this program's version for Source.Version.
	Name    string
	Version string
	Logger  *slog.Logger
	// ProgressLogInterval is how often the snapshot's progress is logged
	// (one line: rows, rate, ETA); default 5s, negative never (a live
	// display shows it instead, see internal/progress).
	ProgressLogInterval time.Duration
}

// DefaultPollIntervalMin is Config.PollIntervalMin's default: short next to
// the emulator's and SQL Server's capture cycles under load, long enough
// that the reads after a change cost SQL Server little (a few small
// queries a second).
const DefaultPollIntervalMin = 20 * time.Millisecond

func (c Config) withDefaults() Config {
	if c.SnapshotChunkRows <= 0 {
		c.SnapshotChunkRows = 10000
	}
	if c.SnapshotParallelism <= 0 {
		c.SnapshotParallelism = 1
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.PollIntervalMin <= 0 {
		c.PollIntervalMin = DefaultPollIntervalMin
	}
	c.PollIntervalMin = min(c.PollIntervalMin, c.PollInterval)
	if c.MaxBatchEvents <= 0 {
		c.MaxBatchEvents = 10000
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 16 << 20
	}
	if c.SchemaCheckInterval <= 0 {
		c.SchemaCheckInterval = 10 * time.Second
	}
	if c.IdleCheckpoint <= 0 {
		c.IdleCheckpoint = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// chunkRows is the snapshot chunk size, never above MaxBatchEvents since a
// chunk is emitted as one batch.
func (c Config) chunkRows() int {
	return min(c.SnapshotChunkRows, c.MaxBatchEvents)
}

func (c Config) validate() error {
	for _, t := range c.Tables {
		if _, _, err := splitName(t); err != nil {
			return fmt.Errorf("source config: tables: %w", err)
		}
	}
	return nil
}

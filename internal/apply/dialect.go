package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Dialect is what differs between target engines. The DML the applier runs
// (COPY, DELETE … USING, INSERT … ON CONFLICT) is common to both; the DDL
// and locking are not.
type Dialect interface {
	// Name is "postgres" or "adbpg".
	Name() string
	// CreateTable is the CREATE TABLE statement for t, with its primary key
	// and the engine's storage clauses.
	CreateTable(t *TargetTable) string
	// AddColumn adds column c to t. The caller checks the column is missing
	// when the engine has no ADD COLUMN IF NOT EXISTS.
	AddColumn(t *TargetTable, c TargetColumn) string
	// CreateStaging creates the temporary staging table stage, dropped at commit.
	CreateStaging(stage string, t *TargetTable, cols []TargetColumn) string
	// Bookkeeping creates the offsets and deleted-keys tables in schema.
	Bookkeeping(schema string) []string
	// LockOffsets reports whether the offsets rows of a batch are locked with
	// SELECT … FOR UPDATE. Greenplum locks the whole table for it, which would
	// serialize every consumer, so adbpg relies on the position guard instead.
	LockOffsets() bool
}

// DialectByName returns the named dialect: "postgres" or "adbpg".
func DialectByName(name string) (Dialect, error) {
	switch strings.ToLower(name) {
	case "postgres", "postgresql":
		return Postgres{}, nil
	case "adbpg", "analyticdb", "greenplum":
		return ADBPG{}, nil
	}
	return nil, fmt.Errorf("target dialect %q: want postgres or adbpg", name)
}

// DetectDialect picks the dialect from the server's version(): adbpg when it
// names Greenplum or AnalyticDB, postgres otherwise.
func DetectDialect(ctx context.Context, pool *pgxpool.Pool) (Dialect, error) {
	var v string
	if err := pool.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return nil, fmt.Errorf("detect target dialect: read version(): %w", err)
	}
	return dialectFromVersion(v), nil
}

func dialectFromVersion(v string) Dialect {
	l := strings.ToLower(v)
	if strings.Contains(l, "greenplum") || strings.Contains(l, "analyticdb") {
		return ADBPG{}
	}
	return Postgres{}
}

// Postgres is the dialect of PostgreSQL 11 and later. It has no table
// types, distribution or append-optimized storage: it ignores
// TargetTable.Settings (the applier logs that once).
type Postgres struct{}

var _ Dialect = Postgres{}

func (Postgres) Name() string { return "postgres" }

func (Postgres) CreateTable(t *TargetTable) string { return createTable(t, "") }

func (Postgres) AddColumn(t *TargetTable, c TargetColumn) string {
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", t.Ident(), quote(c.Name), columnDef(c))
}

func (Postgres) CreateStaging(stage string, t *TargetTable, cols []TargetColumn) string {
	return createStaging(stage, cols, "")
}

func (Postgres) Bookkeeping(schema string) []string { return bookkeeping(schema, "", "", "") }

func (Postgres) LockOffsets() bool { return true }

// ADBPG is the dialect of AnalyticDB for PostgreSQL 6 (Greenplum 6, on
// PostgreSQL 9.4 with INSERT … ON CONFLICT for heap tables): tables are heap
// tables distributed by their primary key unless their TableSettings say
// otherwise (replicated, another distribution key, append-optimized), there is no ADD COLUMN IF NOT
// EXISTS, and distribution-key columns are never updated in place (the
// applier turns key changes into delete + insert for every dialect).
type ADBPG struct{}

var _ Dialect = ADBPG{}

func (ADBPG) Name() string { return "adbpg" }

func (ADBPG) CreateTable(t *TargetTable) string {
	return createTable(t, t.Settings.withClause()+t.Settings.distribution(t.Key))
}

func (ADBPG) AddColumn(t *TargetTable, c TargetColumn) string {
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t.Ident(), quote(c.Name), columnDef(c))
}

func (ADBPG) CreateStaging(stage string, t *TargetTable, cols []TargetColumn) string {
	// The staging table is spread like the target (a replicated target's
	// staging rows are spread by its key), so the set-based statements join
	// on each segment.
	if t.Settings.Type == Replicated {
		return createStaging(stage, cols, distributedBy(t.Key))
	}
	return createStaging(stage, cols, t.Settings.distribution(t.Key))
}

func (ADBPG) Bookkeeping(schema string) []string {
	return bookkeeping(schema, distributedBy([]string{"group_id", "topic", "partition"}),
		distributedBy([]string{"target_schema", "target_table", "key"}), distributedBy([]string{"target_schema", "target_table"}))
}

func (ADBPG) LockOffsets() bool { return false }

func distributedBy(cols []string) string {
	return " DISTRIBUTED BY (" + quoteList(cols) + ")"
}

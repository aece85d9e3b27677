package apply

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

func TestExistingTargetTables(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db.dbo.People"
	_, pool := newApplier(t)
	use, err := New(ctx, pool, Config{ExistingTables: ExistingUse, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	intercept, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// A table a user made: no primary key at first, a unique index later;
	// it lacks Bio and has a column of its own.
	if _, err := pool.Exec(ctx, `CREATE SCHEMA dbo; CREATE TABLE dbo."People" ("Id" integer NOT NULL, "Name" text, note text DEFAULT 'mine')`); err != nil {
		t.Fatal(err)
	}
	b := batch(topic, 0, ev(people(), event.OpRead, 1, nil, row(int64(1), "ann", "bio")))
	var ex *ExistingTableError
	if err := intercept.Apply(ctx, b); !errors.As(err, &ex) || !strings.Contains(err.Error(), "EXISTING_TABLES=use") {
		t.Fatalf("intercept: got %v, want an ExistingTableError with the way out", err)
	}
	if err := use.Apply(ctx, b); !errors.As(err, &ex) || !strings.Contains(err.Error(), "no primary key or unique index") {
		t.Fatalf("use without a unique key: got %v", err)
	}
	if _, err := pool.Exec(ctx, `CREATE UNIQUE INDEX people_id ON dbo."People" ("Id")`); err != nil {
		t.Fatal(err)
	}
	use2, err := New(ctx, pool, Config{ExistingTables: ExistingUse, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, use2, b)
	mustApply(t, use2, batch(topic, 1,
		ev(people(), event.OpUpdate, 2, row(int64(1), "ann", "bio"), row(int64(1), "ann2", "bio2")),
		ev(people(), event.OpCreate, 3, nil, row(int64(2), "bob", "b"))))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "note"); got != "1|ann2|mine\n2|bob|mine" {
		t.Fatalf("existing table after use:\n%s", got)
	}
	// Once the consumer added __source_lsn the table counts as its own.
	intercept2, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, intercept2, batch(topic, 3, ev(people(), event.OpDelete, 4, row(int64(2), "bob", "b"), nil)))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann2" {
		t.Fatalf("after a delete:\n%s", got)
	}
}

func TestSchemaSyncOff(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db.dbo.People"
	_, pool := newApplier(t)
	a, err := New(ctx, pool, Config{NoSchemaSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	b := batch(topic, 0, ev(people(), event.OpRead, 1, nil, row(int64(1), "ann", "bio")))
	var ex *ExistingTableError
	if err := a.Apply(ctx, b); !errors.As(err, &ex) || !strings.Contains(err.Error(), "SYNC_SCHEMA=off") {
		t.Fatalf("a missing table with schema synchronization off: %v", err)
	}
	// A table the user created (and loaded) is written into.
	if _, err := pool.Exec(ctx, `CREATE SCHEMA dbo; CREATE TABLE dbo."People" ("Id" integer PRIMARY KEY, "Name" text, "Bio" text);
		INSERT INTO dbo."People" VALUES (1, 'loaded', 'by hand')`); err != nil {
		t.Fatal(err)
	}
	mustApply(t, a, batch(topic, 0, ev(people(), event.OpUpdate, 5, row(int64(1), "loaded", "by hand"), row(int64(1), "ann", "bio"))))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"); got != "1|ann|bio" {
		t.Fatalf("after an update:\n%s", got)
	}
}

// failingIndexes is a transaction whose read of unique indexes fails, as
// it does when the target stops answering or the attempt's time is up.
type failingIndexes struct{ pgx.Tx }

func (f failingIndexes) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if strings.Contains(sql, "pg_index") {
		return nil, errors.New("timeout: context deadline exceeded")
	}
	return f.Tx.Query(ctx, sql, args...)
}

// A failed read of a target table's indexes is that failure, to retry, not
// a finding that the table has another key (which needs a person).
func TestUnreadableIndexesAreNoKeyFinding(t *testing.T) {
	ctx := context.Background()
	a, pool := newApplier(t)
	mustApply(t, a, batch("t", 0, ev(people(), event.OpRead, 1, nil, row(int64(1), "ann", "bio"))))
	fresh, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = fresh.existingTable(ctx, failingIndexes{tx}, "dbo", "People", people())
	var ete *ExistingTableError
	if err == nil || errors.As(err, &ete) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("got %v, want the read's own error, not an ExistingTableError", err)
	}
	if _, err := fresh.existingTable(ctx, tx, "dbo", "People", people()); err != nil {
		t.Fatalf("with the indexes readable: %v", err)
	}
}

package apply

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestPostgresIgnoresTableSettings: on PostgreSQL the AnalyticDB settings
// of a table are ignored, the table is created and written, and that is
// logged once for all tables.
func TestPostgresIgnoresTableSettings(t *testing.T) {
	ctx := context.Background()
	_, pool := newApplier(t)
	var logs bytes.Buffer
	a, err := New(ctx, pool, Config{Dialect: "postgres", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		TableSettings: func(schema, table string) TableSettings {
			return TableSettings{Type: Replicated, Storage: AOColumn, CompressType: "zstd"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	other := people()
	other.Name = "Others"
	mustApply(t, a, batch("mssql.db.dbo.People", 0, ev(people(), event.OpRead, 1, nil, row(int64(1), "ann", "bio"))))
	mustApply(t, a, batch("mssql.db.dbo.Others", 0, ev(other, event.OpRead, 2, nil, row(int64(2), "bob", "bio"))))
	if got := dump(t, pool, `"dbo"."Others"`, "Id", "Name"); got != "2|bob" {
		t.Fatalf("dbo.Others:\n%s", got)
	}
	if n := strings.Count(logs.String(), "the postgres dialect has no table types"); n != 1 {
		t.Errorf("the ignored settings were logged %d times, want once:\n%s", n, logs.String())
	}
}

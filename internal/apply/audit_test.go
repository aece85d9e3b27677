package apply

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

// TestAuditCountsEachProcessedRecordOnce checks Config.Audit: one row per
// record processed (superseded ones included), none for a redelivered
// batch, and for a partly redelivered batch only the new records.
func TestAuditCountsEachProcessedRecordOnce(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler), Audit: true})
	if err != nil {
		t.Fatal(err)
	}
	tbl := people()
	const topic = "p.db.dbo.People"
	first := batch(topic, 0,
		ev(tbl, event.OpRead, 1, nil, row(int64(1), "ann", "a")),
		ev(tbl, event.OpUpdate, 2, row(int64(1), "ann", "a"), row(int64(1), "anne", "a")), // supersedes offset 0
		ev(tbl, event.OpDelete, 3, row(int64(1), "anne", nil), nil),
	)
	mustApply(t, a, first)
	mustApply(t, a, first) // redelivered whole: skipped
	overlap := batch(topic, 2,
		ev(tbl, event.OpDelete, 3, row(int64(1), "anne", nil), nil), // offset 2 again
		ev(tbl, event.OpCreate, 4, nil, row(int64(2), "bob", nil)),
	)
	mustApply(t, a, overlap)

	tests := []struct {
		name, query string
		want        string
	}{
		{"rows per offset", `SELECT string_agg(kafka_offset || ':' || op || ':' || key || ':' || n, ' ' ORDER BY kafka_offset)
			FROM (SELECT kafka_offset, op, key, count(*) AS n FROM mssql2adb.apply_audit GROUP BY 1, 2, 3) s`, "0:r:1:1 1:u:1:1 2:d:1:1 3:c:2:1"},
		{"duplicates", `SELECT count(*)::text FROM (SELECT 1 FROM mssql2adb.apply_audit
			GROUP BY group_id, topic, partition, kafka_offset HAVING count(*) > 1) d`, "0"},
		{"target names", `SELECT string_agg(DISTINCT target_schema || '.' || target_table || '@' || topic, ',') FROM mssql2adb.apply_audit`, "dbo.People@" + topic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := pool.QueryRow(ctx, tt.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

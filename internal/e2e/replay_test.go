package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

// TestReplayRebuildsTargetFromTopicsAlone checks issue 5's replay promises:
// once the producer is stopped and the source database is gone, a new
// consumer group pointed at an empty target rebuilds every table from the
// topics alone, compacted (with the in-process broker), identical to the first target (row for row, the
// __source_lsn positions and the remembered deleted keys included); and a
// new group replaying the topics from the start into the first target
// leaves it unchanged.
func TestReplayRebuildsTargetFromTopicsAlone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createSampleTables()
	e.seed(1, 300)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	live := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on"))
	e.changes(10) // during the snapshot
	e.converge(convergeWithin, prod, live)
	for _, base := range []int{20, 30, 40} { // deletes, key changes, rollbacks
		e.changes(base)
	}
	// Rows whose key changed, changed again: compaction then keeps only
	// their last record, and the old key must still be gone on replay.
	e.exec(`UPDATE dbo.Student SET name = N'changed after its key' WHERE id IN (200020, 200030)`)
	e.converge(convergeWithin, prod, live)
	prod.kill(syscall.SIGTERM)
	live.kill(syscall.SIGTERM)

	// From here on nothing can read SQL Server: the source database is gone.
	if err := e.src.Close(); err != nil {
		t.Fatal(err)
	}
	master, err := sql.Open("sqlserver", mustDSN(t, shared.mssqlDSN, "master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if _, err := master.ExecContext(ctx, "DROP DATABASE "+e.name); err != nil {
		t.Fatalf("drop the source database: %v", err)
	}

	cl := kafkaClient(t)
	all, ends, err := e.committedRecords(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	waitApplied(t, e.target, e.name, ends, convergeWithin)
	first, firstDeleted := dumpTarget(t, e.target)
	// Replay from compacted topics, as a cluster keeps them: each key's last
	// record, and the tombstones of deleted keys.
	if shared.broker != nil {
		shared.broker.Cluster().Compact()
	} else {
		t.Log("KAFKA_BROKERS is set: replaying topics as that cluster compacted them")
	}
	recs, ends, err := e.committedRecords(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("change records: %d written, %d after compaction", len(all), len(recs))
	if shared.broker != nil && len(recs) >= len(all) {
		t.Fatalf("compaction removed none of the %d change records", len(all))
	}
	if n := strings.Count(first, "\n"); n < 1150 {
		t.Fatalf("the first target holds only %d lines; the test would prove little:\n%s", n, first)
	}

	t.Run("new group, empty target", func(t *testing.T) {
		dsn := pgtest.ForTest(t)
		target, err := pgxpool.New(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		group := e.name + "-replay"
		vars := append(e.consumerVars("APPLY_AUDIT=on"), "TARGET_DSN="+dsn, "GROUP_ID="+group, "MSSQL_DSN=sqlserver://nowhere.invalid")
		c := e.start(shared.consumerBin, "replay-consumer", vars)
		waitApplied(t, target, group, ends, convergeWithin)
		c.kill(syscall.SIGTERM)
		// Deleted keys are not compared: compaction removed the delete
		// events (their tombstones remain), so nothing needs remembering.
		if got, _ := dumpTarget(t, target); got != first {
			t.Fatalf("the replayed target differs from the first:\n%s", diffLines(first, got))
		}
		if p := audit(t, target, group, recs).problems(); p != "" {
			t.Fatalf("replay audit:\n%s", p)
		}
	})

	t.Run("new group, existing target", func(t *testing.T) {
		group := e.name + "-again"
		c := e.start(shared.consumerBin, "again-consumer", e.consumerVars("APPLY_AUDIT=on", "GROUP_ID="+group))
		waitApplied(t, e.target, group, ends, convergeWithin)
		c.kill(syscall.SIGTERM)
		if got, deleted := dumpTarget(t, e.target); got != first || deleted != firstDeleted {
			t.Fatalf("replaying every topic from the start changed the target:\n%s", diffLines(first+firstDeleted, got+deleted))
		}
		if p := audit(t, e.target, group, recs).problems(); p != "" {
			t.Fatalf("replay audit:\n%s", p)
		}
	})
}

// dumpTarget returns every user table of the target, every row as text with
// all its columns (__source_lsn included), in order, and apart the deleted
// keys the consumer remembers with their positions.
func dumpTarget(t *testing.T, pool *pgxpool.Pool) (content, deleted string) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema', 'mssql2adb')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgx.Identifier, error) {
		var s, n string
		err := r.Scan(&s, &n)
		return pgx.Identifier{s, n}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, id := range tables {
		queries = append(queries, fmt.Sprintf("SELECT %s || ' ' || t::text FROM %s AS t ORDER BY 1", quoteLiteral(id.Sanitize()), id.Sanitize()))
	}
	queries = append(queries, `SELECT 'deleted ' || target_schema || '.' || target_table || ' ' || key || ' ' || encode(__source_lsn, 'hex')
		FROM mssql2adb.deleted_keys ORDER BY 1`)
	var out []string
	for _, q := range queries {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		out = append(out, b.String())
	}
	return strings.Join(out[:len(out)-1], ""), out[len(out)-1]
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// diffLines lists the lines only one of want and got has, a few of each.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var only []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			only = append(only, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			only = append(only, "+ "+l)
		}
	}
	if len(only) > 20 {
		only = append(only[:20], fmt.Sprintf("… %d more", len(only)-20))
	}
	return strings.Join(only, "\n")
}

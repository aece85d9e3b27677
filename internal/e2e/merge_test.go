package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

// shardRows returns a shard's customer rows as the merged target should
// hold them: id|name|balance|__dts_data_source.
func shardRows(t *testing.T, db *sql.DB, source string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT id, name, CAST(balance AS nvarchar(20)) FROM testschema.customer1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int
		var name, balance string
		if err := rows.Scan(&id, &name, &balance); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d|%s|%s|%s", id, name, balance, source))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mergedRows(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id || '|' || name || '|' || balance || '|' || __dts_data_source FROM public.customer`)
	if err != nil {
		return []string{"(" + err.Error() + ")"}
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestMergedShards is DTS's "merge multi tables": two shard databases whose
// testschema.customer1 tables reuse the same keys, each with its own
// producer, merged by two consumers into public.customer told apart by
// __dts_data_source, under a workload of inserts, updates, deletes and key
// changes with a kill -9 of every process along the way; then replayed into
// a fresh target.
func TestMergedShards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	master, err := sql.Open("sqlserver", mustDSN(t, shared.mssqlDSN, "master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	mapping := filepath.Join(e.dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte(fmt.Sprintf(`tables:
  - source: %s_shard?.testschema.customer1
    target_schema: public
    target_table: customer
    merge: true
`, e.name)), 0o644); err != nil {
		t.Fatal(err)
	}
	type shard struct {
		name, dsn, source string
		db                *sql.DB
		prod              *process
		vars              []string
	}
	var shards []*shard
	for i := 1; i <= 2; i++ {
		s := &shard{name: fmt.Sprintf("%s_shard%d", e.name, i)}
		for _, q := range []string{"CREATE DATABASE " + s.name, "ALTER DATABASE " + s.name + " SET ALLOW_SNAPSHOT_ISOLATION ON"} {
			if _, err := master.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s.dsn = mustDSN(t, shared.mssqlDSN, s.name)
		s.source = "dts_e2e:" + s.name + ".testschema.customer1"
		if s.db, err = sql.Open("sqlserver", s.dsn); err != nil {
			t.Fatal(err)
		}
		defer s.db.Close()
		var values []string
		for id := 1; id <= 300; id++ {
			values = append(values, fmt.Sprintf("(%d, N'shard %d customer %d', %d.%02d)", id, i, id, id, i))
		}
		for _, q := range []string{
			"CREATE SCHEMA testschema",
			"CREATE TABLE testschema.customer1 (id int NOT NULL PRIMARY KEY, name nvarchar(60) NOT NULL, balance decimal(12,2) NOT NULL)",
			"INSERT INTO testschema.customer1 VALUES " + strings.Join(values[:150], ", "),
			"INSERT INTO testschema.customer1 VALUES " + strings.Join(values[150:], ", "),
			"EXEC sys.sp_cdc_enable_db",
			"EXEC sys.sp_cdc_enable_table @source_schema = N'testschema', @source_name = N'customer1', @role_name = NULL",
		} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", s.name, q, err)
			}
		}
		s.vars = append(e.producerVars(), "MSSQL_DSN="+s.dsn, "SOURCE_NAME=dts_e2e")
		s.prod = e.start(shared.producerBin, "producer-"+s.name, s.vars)
		shards = append(shards, s)
	}
	cvars := e.consumerVars("MAPPING_FILE="+mapping, "APPLY_AUDIT=on")
	cons := []*process{e.start(shared.consumerBin, "consumer-1", cvars), e.start(shared.consumerBin, "consumer-2", cvars)}

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	work := func(s *shard, n int) {
		for range n {
			id := 1 + r.IntN(400)
			var q string
			switch r.IntN(5) {
			case 0:
				q = fmt.Sprintf("INSERT INTO testschema.customer1 SELECT %d, N'new %d', 1.00 WHERE NOT EXISTS (SELECT 1 FROM testschema.customer1 WHERE id = %d)", id, id, id)
			case 1, 2:
				q = fmt.Sprintf("UPDATE testschema.customer1 SET balance = balance + 1.25, name = N'updated %d' WHERE id = %d", r.IntN(1000), id)
			case 3:
				q = fmt.Sprintf("DELETE FROM testschema.customer1 WHERE id = %d", id)
			case 4:
				to := 1000 + r.IntN(100000)
				q = fmt.Sprintf("UPDATE testschema.customer1 SET id = %d WHERE id = %d AND NOT EXISTS (SELECT 1 FROM testschema.customer1 WHERE id = %d)", to, id, to)
			}
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", s.name, q, err)
			}
		}
	}
	want := func() []string {
		var all []string
		for _, s := range shards {
			all = append(all, shardRows(t, s.db, s.source)...)
		}
		slices.Sort(all)
		return all
	}
	converge := func(target *pgxpool.Pool, procs ...*process) {
		t.Helper()
		deadline := time.Now().Add(convergeWithin)
		for {
			for _, p := range procs {
				if p.exited() {
					t.Fatalf("%s exited (%v); log:\n%s", p.name, p.err, p.output())
				}
			}
			w, got := want(), mergedRows(t, target)
			slices.Sort(got)
			if slices.Equal(w, got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the merged table did not become the union of the shards: %s", diffLines(strings.Join(w, "\n")+"\n", strings.Join(got, "\n")+"\n"))
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	// Changes during the snapshot, then a kill -9 of every process in turn.
	for _, s := range shards {
		work(s, 40)
	}
	for i, s := range shards {
		s.prod.kill(syscall.SIGKILL)
		work(s, 40)
		s.prod = e.start(shared.producerBin, "producer-"+s.name+"-again", s.vars)
		cons[i].kill(syscall.SIGKILL)
		work(shards[1-i], 40)
		cons[i] = e.start(shared.consumerBin, fmt.Sprintf("consumer-%d-again", i+1), cvars)
	}
	procs := append([]*process{shards[0].prod, shards[1].prod}, cons...)
	converge(e.target, procs...)
	if rows := mergedRows(t, e.target); len(rows) < 500 {
		t.Fatalf("the merged table has only %d rows; the test proves little", len(rows))
	}
	var dups int
	if err := e.target.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM mssql2adb.apply_audit GROUP BY topic, partition, kafka_offset HAVING count(*) > 1) d`).Scan(&dups); err != nil || dups != 0 {
		t.Fatalf("records applied more than once: %d (%v)", dups, err)
	}

	// An ADD COLUMN on one shard: the merged table gains a nullable column
	// that the other shard's rows leave NULL, and both shards go on.
	for _, q := range []string{"ALTER TABLE testschema.customer1 ADD email nvarchar(80) NULL",
		"UPDATE testschema.customer1 SET email = N'a' + CAST(id AS nvarchar(10)) + N'@example.com' WHERE id <= 50"} {
		if _, err := shards[0].db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %s: %v", shards[0].name, q, err)
		}
	}
	var withEmail int
	if err := shards[0].db.QueryRowContext(ctx, "SELECT count(*) FROM testschema.customer1 WHERE email IS NOT NULL").Scan(&withEmail); err != nil || withEmail == 0 {
		t.Fatalf("rows with an email in %s: %d (%v)", shards[0].name, withEmail, err)
	}
	work(shards[1], 20)
	e.waitTarget(fmt.Sprintf(`SELECT count(email) || ' ' || count(email) FILTER (WHERE __dts_data_source = '%s' AND email = 'a' || "id" || '@example.com') FROM public.customer`, shards[0].source),
		fmt.Sprintf("%d %d", withEmail, withEmail), procs...)
	converge(e.target, procs...)

	t.Run("replay into a fresh target", func(t *testing.T) {
		dsn := pgtest.ForTest(t)
		target, err := pgxpool.New(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		c := e.start(shared.consumerBin, "replay-consumer", append(e.consumerVars("MAPPING_FILE="+mapping), "TARGET_DSN="+dsn, "GROUP_ID="+e.name+"-replay"))
		converge(target, c)
	})
}

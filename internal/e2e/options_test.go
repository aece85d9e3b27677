package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// targetLines runs q on the target and returns its rows, one line each.
func (e *env) targetLines(q string) string {
	e.t.Helper()
	rows, err := e.target.Query(context.Background(), q)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// waitTarget waits until q returns want on the target.
func (e *env) waitTarget(q, want string, procs ...*process) {
	e.t.Helper()
	deadline := time.Now().Add(convergeWithin)
	for {
		got := e.targetLines(q)
		if got == want {
			return
		}
		for _, p := range procs {
			if p.exited() {
				e.t.Fatalf("%s exited (%v); log:\n%s", p.name, p.err, p.output())
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s\ngot:\n%s\nwant:\n%s", q, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTaskOptions: a table left out, a table renamed with a renamed column
// and without deletes (its deleted rows stay), selection by pattern, and
// names folded to lower case without quotes.
func TestTaskOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 20)
	mapping := filepath.Join(e.dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte(fmt.Sprintf(`tables:
  - source: %[1]s.dbo.customer
    target_schema: crm
    target_table: Clients
    operations: [insert, update]
    columns: {balance: Saldo}
  - source: %[1]s.dbo.enrol*
    exclude: true
`, e.name)), 0o644); err != nil {
		t.Fatal(err)
	}
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("MAPPING_FILE="+mapping, "TARGET_QUOTE_NAMES=off"))
	e.waitTarget(`SELECT count(*)::text FROM crm.clients`, "20", prod, cons) // the snapshot
	e.exec("DELETE FROM dbo.customer WHERE id <= 5", "UPDATE dbo.customer SET balance = 99.5 WHERE id = 6",
		"DELETE FROM dbo.Student WHERE id <= 5", "INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (500, N'new', NULL, 1, SYSUTCDATETIME())")
	// Deletes are not synchronized for customer: all 20 seeded rows stay,
	// the update and the insert arrive, under folded names.
	e.waitTarget(`SELECT count(*) || ' ' || sum(CASE WHEN id = 6 THEN saldo END) || ' ' || max(id) FROM crm.clients`, "21 99.50 500", prod, cons)
	// Student is synchronized with every operation, its name folded.
	e.waitTarget(`SELECT count(*) || ' ' || min(id) FROM dbo.student`, "15 6", prod, cons)
	// enrolment is left out altogether, and nothing is quoted.
	if got := e.targetLines(`SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY table_schema, table_name) FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'mssql2adb')`); got != "crm.clients,dbo.student" {
		t.Fatalf("target tables %q, want crm.clients and dbo.student only", got)
	}
	if got := e.targetLines(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'crm' AND table_name = 'clients'`); got != "id,name,city,saldo,updated_at,__source_lsn" {
		t.Fatalf("crm.clients columns %q", got)
	}
}

// TestTaskOptionsAtStart, through the programs: the producer captures only
// the tables its INCLUDE_TABLES and EXCLUDE_TABLES pick; a target table the
// consumer did not create stops it by default (EXISTING_TABLES=intercept)
// and is written into with EXISTING_TABLES=use, though it has only a unique
// index and a column of its own; a mapping file that maps a column a table
// lacks is refused when the consumer starts, before it reads a record.
func TestTaskOptionsAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 10)
	if _, err := e.target.Exec(context.Background(), `CREATE SCHEMA dbo;
		CREATE TABLE dbo."Student" (id int NOT NULL, name varchar(50), age smallint, note text);
		CREATE UNIQUE INDEX student_id ON dbo."Student" (id)`); err != nil {
		t.Fatal(err)
	}
	prod := e.start(shared.producerBin, "producer", e.producerVars("INCLUDE_TABLES=dbo.*", "EXCLUDE_TABLES=*.enrol*"))

	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	out, err := cons.wait(t, convergeWithin)
	if err == nil || !strings.Contains(out, `target table "dbo"."Student" exists and was not created by this program (EXISTING_TABLES=intercept`) {
		t.Fatalf("consumer with a foreign target table: exit %v; log:\n%s", err, out)
	}
	if got := e.targetLines(`SELECT count(*)::text FROM dbo."Student"`); got != "0" {
		t.Fatalf("the intercepted table holds %s rows", got)
	}

	mapping := filepath.Join(e.dir, "bad-mapping.yaml")
	if err := os.WriteFile(mapping, []byte(fmt.Sprintf("tables:\n  - source: %s.dbo.customer\n    columns: {nosuch: x}\n", e.name)), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := e.start(shared.consumerBin, "consumer-bad-mapping", e.consumerVars("MAPPING_FILE="+mapping, "GROUP_ID="+e.name+"-bad", "EXISTING_TABLES=use"))
	out, err = bad.wait(t, convergeWithin)
	if err == nil || !strings.Contains(out, `the mapping file maps column "nosuch", which the table does not have (its columns: id, name, city, balance, updated_at)`) {
		t.Fatalf("consumer with a mapping of a missing column: exit %v; log:\n%s", err, out)
	}
	if strings.Contains(out, "retrying") {
		t.Errorf("a mapping error was retried; log:\n%s", out)
	}
	// No bookkeeping at all is as good as none for that group: the refusal
	// may come before the consumer creates its schema.
	if e.targetLines(`SELECT (to_regclass('mssql2adb.consumer_offsets') IS NOT NULL)::text`) == "true" {
		if got := e.targetLines(fmt.Sprintf(`SELECT count(*)::text FROM mssql2adb.consumer_offsets WHERE group_id = '%s-bad'`, e.name)); got != "0" {
			t.Errorf("the consumer with a bad mapping applied records (%s offsets stored) before refusing it", got)
		}
	}

	cons = e.start(shared.consumerBin, "consumer-use", e.consumerVars("EXISTING_TABLES=use"))
	e.waitTarget(`SELECT count(*) || ' ' || count(name) || ' ' || count(note) FROM dbo."Student"`, "10 10 0", prod, cons)
	e.waitTarget(`SELECT count(*)::text FROM dbo.customer`, "10", prod, cons)
	e.exec("UPDATE dbo.Student SET name = N'renamed' WHERE id = 3", "DELETE FROM dbo.Student WHERE id = 4")
	e.waitTarget(`SELECT count(*) || ' ' || min(name) FROM dbo."Student" WHERE id IN (3, 4)`, "1 renamed", prod, cons)
	if got := e.targetLines(`SELECT count(*)::text FROM information_schema.tables WHERE table_name = 'enrolment'`); got != "0" {
		t.Errorf("dbo.enrolment, excluded by the producer, reached the target")
	}
	if !strings.Contains(cons.output(), "left_out_source_columns=enrolled") {
		t.Errorf("the consumer did not say which source columns the existing table leaves out; log:\n%s", cons.output())
	}
}

// TestPhases, through the programs: "a target already loaded" (schema and
// full data synchronization off) streams only the changes made after the
// producer starts into the tables the user created; "a one-off copy"
// (incremental synchronization off) takes the snapshot and exits with
// status 0.
func TestPhases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 10)
	var load []string
	for i := 1; i <= 5; i++ {
		load = append(load, fmt.Sprintf("(%d, 'loaded %d', 10.00, '2024-01-01')", i, i))
	}
	if _, err := e.target.Exec(context.Background(), `CREATE SCHEMA dbo;
		CREATE TABLE dbo.customer (id int PRIMARY KEY, name varchar(50) NOT NULL, city varchar(30), balance numeric(18,2) NOT NULL, updated_at timestamp(3) NOT NULL);
		INSERT INTO dbo.customer (id, name, balance, updated_at) VALUES `+strings.Join(load, ", ")); err != nil {
		t.Fatal(err)
	}
	prod := e.start(shared.producerBin, "producer", e.producerVars("INCLUDE_TABLES=dbo.customer", "SYNC_FULL_DATA=off"))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("SYNC_SCHEMA=off"))
	deadline := time.Now().Add(convergeWithin)
	for !strings.Contains(prod.output(), "streaming changes") {
		if prod.exited() || time.Now().After(deadline) {
			t.Fatalf("the producer did not start streaming; log:\n%s", prod.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.exec("UPDATE dbo.customer SET city = N'Bern' WHERE id = 2",
		"INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (50, N'new', NULL, 1, SYSUTCDATETIME())")
	// Rows 6-10 were never loaded and never snapshotted: they stay missing.
	e.waitTarget(`SELECT string_agg(id || ':' || name || ':' || coalesce(city, '-'), ',' ORDER BY id) FROM dbo.customer`,
		"1:loaded 1:-,2:customer 2:Bern,3:loaded 3:-,4:loaded 4:-,5:loaded 5:-,50:new:-", prod, cons)
	if got := e.targetLines(`SELECT count(*)::text FROM information_schema.tables WHERE table_schema = 'dbo'`); got != "1" {
		t.Errorf("with SYNC_SCHEMA=off the consumer created tables: %s in schema dbo, want only the user's", got)
	}

	copyPrefix := e.name + "copy"
	once := e.start(shared.producerBin, "producer-copy", e.producerVars("TOPIC_PREFIX="+copyPrefix, "STATE_TOPIC=_state_"+copyPrefix,
		"TRANSACTIONAL_ID="+copyPrefix, "INCLUDE_TABLES=dbo.Student", "SYNC_INCREMENTAL=off"))
	if out, err := once.wait(t, convergeWithin); err != nil {
		t.Fatalf("producer with SYNC_INCREMENTAL=off: %v; log:\n%s", err, out)
	}
	c2 := e.start(shared.consumerBin, "consumer-copy", e.consumerVars("TOPIC_PREFIX="+copyPrefix, "GROUP_ID="+copyPrefix))
	e.waitTarget(`SELECT count(*)::text FROM dbo."Student"`, "10", c2)
}

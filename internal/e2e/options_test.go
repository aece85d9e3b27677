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

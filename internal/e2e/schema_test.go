package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

// schemaCheck makes the producer look for DDL every second rather than
// every 10s (SCHEMA_CHECK_INTERVAL's default), to keep the tests short.
const schemaCheck = "SCHEMA_CHECK_INTERVAL=1s"

// waitTargetColumns waits until the target table has the columns: the
// consumer adds them when it sees the first event that carries them.
func (e *env) waitTargetColumns(table string, cols ...string) {
	e.t.Helper()
	deadline := time.Now().Add(convergeWithin)
	for {
		var n int
		err := e.target.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = 'dbo' AND table_name = $1 AND column_name = ANY($2)`, table, cols).Scan(&n)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == len(cols) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("target dbo.%s has %d of the columns %v after %s", table, n, cols, convergeWithin)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// instances lists the source's capture instances, in the database collation's order
// (case-insensitive by default).
func (e *env) instances() string {
	e.t.Helper()
	// The producer's heartbeat table has its own instance, never switched.
	rows, err := e.src.Query(`SELECT capture_instance FROM cdc.change_tables
		WHERE source_object_id <> ISNULL(OBJECT_ID(N'dbo.dts_log_heart_beat'), 0) ORDER BY capture_instance`)
	if err != nil {
		e.t.Fatal(err)
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
	return strings.Join(out, ",")
}

func (e *env) waitInstances(want string) {
	e.t.Helper()
	deadline := time.Now().Add(convergeWithin)
	for got := e.instances(); got != want; got = e.instances() {
		if time.Now().After(deadline) {
			e.t.Fatalf("capture instances %q, want %q", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAddColumnEndToEnd: ADD COLUMN on a running pipeline with two
// consumers, nothing done by hand: a nullable column, then several in one
// ALTER with defaults the existing rows must get, then an ALTER inside a
// transaction that writes rows before and after it; each time the target
// ends equal to the source. A new consumer group then replays the topics
// across the changes into a fresh target, which must equal the source too.
func TestAddColumnEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 150)
	prod := e.start(shared.producerBin, "producer", e.producerVars(schemaCheck))
	c1 := e.start(shared.consumerBin, "consumer-1", e.consumerVars())
	c2 := e.start(shared.consumerBin, "consumer-2", e.consumerVars())
	e.converge(convergeWithin, prod, c1, c2)

	// A nullable column.
	e.exec(`ALTER TABLE dbo.customer ADD email nvarchar(100) NULL`,
		`UPDATE dbo.customer SET email = N'c' + CAST(id AS nvarchar(10)) + N'@example.com' WHERE id % 3 = 0`)
	e.waitInstances("dbo_customer_v2,dbo_enrolment,dbo_Student")
	e.exec(`INSERT INTO dbo.customer (id, name, city, balance, updated_at, email) VALUES (5000, N'with email', NULL, 1, SYSUTCDATETIME(), N'x@example.com')`)
	e.changes(10)
	e.waitTargetColumns("customer", "email")
	e.converge(convergeWithin, prod, c1, c2)

	// Several columns in one ALTER: existing rows get the NOT NULL column's
	// default and the WITH VALUES one's, and NULL in the plain nullable one,
	// without any change row at the source.
	e.exec(`ALTER TABLE dbo.Student ADD credits int NOT NULL CONSTRAINT df_student_credits DEFAULT (30),
		house nvarchar(20) NULL CONSTRAINT df_student_house DEFAULT (N'none') WITH VALUES,
		nickname nvarchar(20) NULL`)
	e.waitInstances("dbo_customer_v2,dbo_enrolment,dbo_Student_v2")
	e.exec(`INSERT INTO dbo.Student (id, name, age, enrolled, credits, nickname) VALUES (7000, N'new student', 20, NULL, 12, N'nick')`,
		`UPDATE dbo.Student SET house = N'Gryffindor' WHERE id = 5`)
	e.waitTargetColumns("Student", "credits", "house", "nickname")
	e.converge(convergeWithin, prod, c1, c2)

	// ALTER inside a transaction with DML before and after it: the rows
	// written after it reach the old capture instance only, without the new
	// column; the producer reads them again when it switches.
	ctx := context.Background()
	tx, err := e.src.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO dbo.enrolment (student_id, course, grade) VALUES (1, N'before', 1.5)`,
		`ALTER TABLE dbo.enrolment ADD room int NOT NULL CONSTRAINT df_enrolment_room DEFAULT (101)`,
		`INSERT INTO dbo.enrolment (student_id, course, grade, room) VALUES (1, N'after', 2.5, 7)`,
		`UPDATE dbo.enrolment SET room = 8, grade = 3.5 WHERE student_id = 2 AND course = N'math'`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e.changes(20)
	e.waitInstances("dbo_customer_v2,dbo_enrolment_v2,dbo_Student_v2")
	e.changes(30)
	e.waitTargetColumns("enrolment", "room")
	e.converge(convergeWithin, prod, c1, c2)
	prod.waitLog(t, "source: switched capture instance", time.Second)

	// Replay across the changes: a new group into an empty target.
	dsn := pgtest.ForTest(t)
	fresh, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fresh.Close)
	replay := e.start(shared.consumerBin, "replay-consumer", append(e.consumerVars(), "TARGET_DSN="+dsn, "GROUP_ID="+e.name+"-replay"))
	e.target = fresh
	e.converge(convergeWithin, prod, replay)
	for _, c := range []*process{c1, c2, replay} {
		c.kill(syscall.SIGTERM)
	}
}

// TestTableEnabledWhileRunning: a table enabled for CDC after the producer
// started is found, snapshotted and streamed without a restart.
func TestTableEnabledWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 50)
	prod := e.start(shared.producerBin, "producer", e.producerVars(schemaCheck))
	c := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, c)

	var rows []string
	for i := 1; i <= 250; i++ {
		rows = append(rows, fmt.Sprintf("(%d, N'product %d', %d.99)", i, i, i))
	}
	e.exec(`CREATE TABLE dbo.product (id int NOT NULL PRIMARY KEY, name nvarchar(50) NOT NULL, price decimal(10,2) NULL)`,
		`INSERT INTO dbo.product (id, name, price) VALUES `+strings.Join(rows[:200], ", "),
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'product', @role_name = NULL`,
		`INSERT INTO dbo.product (id, name, price) VALUES `+strings.Join(rows[200:], ", "),
		`UPDATE dbo.product SET price = NULL WHERE id % 10 = 0`,
		`DELETE FROM dbo.product WHERE id % 7 = 0`)
	e.changes(10)
	prod.waitLog(t, "source: table enabled for CDC joins", convergeWithin)
	e.converge(convergeWithin, prod, c)
	e.exec(`UPDATE dbo.product SET name = N'renamed' WHERE id = 1`)
	e.converge(convergeWithin, prod, c)
}

// TestDroppedColumnReported: DROP COLUMN on a captured table stops that
// table with a log line saying what to do; the other tables keep flowing.
func TestDroppedColumnReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 50)
	prod := e.start(shared.producerBin, "producer", e.producerVars(schemaCheck))
	c := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, c)

	e.exec(`ALTER TABLE dbo.Student DROP COLUMN age`)
	prod.waitLog(t, "table stopped: column age was dropped or renamed; the pipeline cannot follow this change", convergeWithin)
	e.exec(`INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (9000, N'after the drop', NULL, 1, SYSUTCDATETIME())`)
	deadline := time.Now().Add(convergeWithin)
	for {
		var n int
		if err := e.target.QueryRow(context.Background(), `SELECT count(*) FROM dbo.customer WHERE id = 9000`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if prod.exited() || time.Now().After(deadline) {
			t.Fatalf("the insert into dbo.customer did not reach the target; producer log:\n%s", prod.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Status tells the operator which table stopped, and why.
	if tb := e.consumerStatus(t)["dbo.Student"]; tb.Phase != "stopped" || !strings.Contains(tb.Stopped, "column age was dropped") {
		t.Errorf("status of the stopped dbo.Student: %+v", tb)
	}
	if tb := e.consumerStatus(t)["dbo.customer"]; tb.Phase != "streaming" {
		t.Errorf("status of dbo.customer: %+v", tb)
	}
	// The target table of the stopped one is left as it was.
	var cols int
	if err := e.target.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns WHERE table_name = 'Student' AND column_name = 'age'`).Scan(&cols); err != nil || cols != 1 {
		t.Errorf("target dbo.Student lost its column age: %d %v", cols, err)
	}
}

// TestAddColumnDuringSnapshot: the ALTER lands while the initial snapshot
// is being read.
func TestAddColumnDuringSnapshot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 1500)
	prod := e.start(shared.producerBin, "producer", e.producerVars(schemaCheck))
	c := e.start(shared.consumerBin, "consumer", e.consumerVars())
	prod.waitLog(t, "source: snapshot started", convergeWithin)
	e.exec(`ALTER TABLE dbo.customer ADD tier smallint NOT NULL CONSTRAINT df_customer_tier DEFAULT (3)`,
		`UPDATE dbo.customer SET tier = 1 WHERE id <= 10`,
		`INSERT INTO dbo.customer (id, name, city, balance, updated_at, tier) VALUES (9001, N'during the snapshot', NULL, 0, SYSUTCDATETIME(), 2)`)
	e.changes(10)
	e.waitInstances("dbo_customer_v2,dbo_enrolment,dbo_Student")
	e.waitTargetColumns("customer", "tier")
	e.converge(convergeWithin, prod, c)
}

// TestProducerKilledDuringSwitch: the producer dies (kill -9) after an ADD
// COLUMN and before it switched capture instances; the new instance is
// created meanwhile (here by a DBA, as CAPTURE_INSTANCES=manual asks). The
// producer started again reads the old instance up to the new one's start,
// then the new one, and drops the old one.
func TestProducerKilledDuringSwitch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars(schemaCheck, "CAPTURE_INSTANCES=manual"))
	c := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, c)
	e.exec(`ALTER TABLE dbo.Student ADD mentor int NULL`,
		`UPDATE dbo.Student SET mentor = id + 1 WHERE id <= 20`)
	prod.waitLog(t, "@capture_instance = N'dbo_Student_v2'", convergeWithin)
	e.changes(10)
	prod.kill(syscall.SIGKILL)
	e.exec(`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Student', @role_name = NULL, @capture_instance = N'dbo_Student_v2'`,
		`UPDATE dbo.Student SET mentor = 99 WHERE id = 30`)
	e.changes(20)
	prod = e.start(shared.producerBin, "producer", e.producerVars(schemaCheck))
	prod.waitLog(t, "source: resuming a capture instance switch", convergeWithin)
	e.waitInstances("dbo_customer,dbo_enrolment,dbo_Student_v2")
	e.waitTargetColumns("Student", "mentor")
	e.converge(convergeWithin, prod, c)
}

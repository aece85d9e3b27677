package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

const convergeWithin = 90 * time.Second

func (e *env) createSampleTables() {
	e.exec(
		`CREATE TABLE dbo.customer (id int NOT NULL PRIMARY KEY, name nvarchar(50) NOT NULL, city nvarchar(30) NULL,
			balance decimal(18,2) NOT NULL, updated_at datetime2(3) NOT NULL)`,
		`CREATE TABLE dbo.Student (id int NOT NULL PRIMARY KEY, name nvarchar(50) NOT NULL, age tinyint NULL, enrolled date NULL)`,
		`CREATE TABLE dbo.enrolment (student_id int NOT NULL, course nvarchar(20) NOT NULL, grade decimal(4,1) NULL,
			CONSTRAINT pk_enrolment PRIMARY KEY (student_id, course))`,
		`EXEC sys.sp_cdc_enable_db`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customer', @role_name = NULL`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Student', @role_name = NULL`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'enrolment', @role_name = NULL`,
	)
}

func (e *env) seed(from, to int) {
	var c, s, en []string
	for i := from; i <= to; i++ {
		c = append(c, fmt.Sprintf("(%d, N'customer %d', N'Zürich', %d.%02d, '2024-03-0%dT10:11:12.%03d')", i, i, i*7, i%100, 1+i%9, i%1000))
		s = append(s, fmt.Sprintf("(%d, N'student %d 😀', %d, '2023-09-%02d')", i, i, 18+i%7, 1+i%28))
		en = append(en, fmt.Sprintf("(%d, N'math', %d.5), (%d, N'Art', NULL)", i, i%10, i))
	}
	for lo := 0; lo < len(c); lo += 100 {
		hi := min(lo+100, len(c))
		e.exec(
			"INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES "+strings.Join(c[lo:hi], ", "),
			"INSERT INTO dbo.Student (id, name, age, enrolled) VALUES "+strings.Join(s[lo:hi], ", "),
			"INSERT INTO dbo.enrolment (student_id, course, grade) VALUES "+strings.Join(en[lo:hi], ", "),
		)
	}
}

// changes applies a mix of inserts, updates, deletes, a primary-key change
// and a rolled-back transaction, touching ids around base.
func (e *env) changes(base int) {
	e.exec(
		fmt.Sprintf("INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (%d, N'new %d', NULL, -1.25, SYSUTCDATETIME())", 100000+base, base),
		fmt.Sprintf("UPDATE dbo.customer SET balance = balance + 10.01, city = N'Kraków' WHERE id = %d", base+1),
		fmt.Sprintf("DELETE FROM dbo.customer WHERE id = %d", base+2),
		fmt.Sprintf("UPDATE dbo.Student SET id = %d WHERE id = %d", 200000+base, base+3),
		fmt.Sprintf("UPDATE dbo.enrolment SET grade = NULL WHERE student_id = %d AND course = N'math'", base+4),
		fmt.Sprintf("DELETE FROM dbo.enrolment WHERE student_id = %d", base+5),
		// One batch each: a pooled connection is reset (sp_reset_connection)
		// between two Execs, so a transaction cannot span them.
		"BEGIN TRAN; "+
			fmt.Sprintf("INSERT INTO dbo.Student (id, name, age, enrolled) VALUES (%d, N'two-statement txn', 30, NULL); ", 300000+base)+
			fmt.Sprintf("UPDATE dbo.customer SET name = N'renamed in txn' WHERE id = %d; ", base+6)+
			"COMMIT",
		"BEGIN TRAN; "+fmt.Sprintf("DELETE FROM dbo.customer WHERE id = %d; ", base+7)+"ROLLBACK",
	)
}

// TestSnapshotStreamRestartAndTwoConsumers is the walking skeleton's main
// path: snapshot under a live workload, streaming, each program restarted,
// and two consumers of one group sharing the partitions.
func TestSnapshotStreamRestartAndTwoConsumers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 250)

	prod := e.start(shared.producerBin, "producer", e.producerVars())
	c1 := e.start(shared.consumerBin, "consumer-1", e.consumerVars())
	c2 := e.start(shared.consumerBin, "consumer-2", e.consumerVars())
	e.changes(10) // while the snapshot runs
	e.converge(convergeWithin, prod, c1, c2)

	e.changes(20) // streaming
	e.converge(convergeWithin, prod, c1, c2)

	// Producer restart: changes made while it is down arrive after it resumes.
	prod.kill(syscall.SIGTERM)
	e.changes(30)
	prod = e.start(shared.producerBin, "producer", e.producerVars())
	e.converge(convergeWithin, prod, c1, c2)

	// A consumer dies hard: the other takes its partitions over.
	c1.kill(syscall.SIGKILL)
	e.changes(40)
	e.converge(convergeWithin, prod, c2)

	// It comes back and the group rebalances again.
	c1 = e.start(shared.consumerBin, "consumer-1", e.consumerVars())
	e.changes(50)
	e.converge(convergeWithin, prod, c1, c2)
}

// TestProducerRefusesWhatItCannotCapture checks the clear errors for a
// source that cannot be captured as it is.
func TestProducerRefusesWhatItCannotCapture(t *testing.T) {
	t.Parallel()
	t.Run("database without CDC", func(t *testing.T) {
		e := newEnv(t)
		e.exec(`CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY)`)
		out, err := e.start(shared.producerBin, "producer", e.producerVars()).wait(t, time.Minute)
		if err == nil || !strings.Contains(out, "sys.sp_cdc_enable_db") {
			t.Fatalf("want a failure that says to run sys.sp_cdc_enable_db; err=%v, output:\n%s", err, out)
		}
	})
	t.Run("captured table without primary key", func(t *testing.T) {
		e := newEnv(t)
		e.exec(`CREATE TABLE dbo.nokey (id int NOT NULL, v nvarchar(10) NULL)`,
			`EXEC sys.sp_cdc_enable_db`,
			`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'nokey', @role_name = NULL`)
		out, err := e.start(shared.producerBin, "producer", e.producerVars()).wait(t, time.Minute)
		if err == nil || !strings.Contains(out, "dbo.nokey") || !strings.Contains(strings.ToLower(out), "primary key") {
			t.Fatalf("want a failure naming dbo.nokey and its missing primary key; err=%v, output:\n%s", err, out)
		}
	})
	t.Run("missing setting", func(t *testing.T) {
		e := newEnv(t)
		out, err := e.start(shared.producerBin, "producer", e.vars()).wait(t, time.Minute)
		if err == nil || !strings.Contains(out, "MSSQL_DSN is required") {
			t.Fatalf("want a failure naming MSSQL_DSN; err=%v, output:\n%s", err, out)
		}
	})
}

// TestUnreachableServicesAreRetriedThenReported checks that each program
// retries a dependency that does not answer, logs each retry, and gives up
// after RETRY_WINDOW with an error naming the dependency.
func TestUnreachableServicesAreRetriedThenReported(t *testing.T) {
	t.Parallel()
	dead := freePort(t) // nothing listens there any more
	tests := []struct {
		name, bin string
		vars      func(e *env) []string
		want      string
	}{
		{"producer, SQL Server", shared.producerBin, func(e *env) []string {
			return append(e.producerVars("RETRY_WINDOW=2s"), "MSSQL_DSN=sqlserver://sa:x@"+dead+"?database=nowhere")
		}, "SQL Server"},
		{"producer, Kafka", shared.producerBin, func(e *env) []string {
			e.createSampleTables()
			return append(e.producerVars("RETRY_WINDOW=2s"), "KAFKA_BROKERS="+dead)
		}, dead},
		{"producer, schema registry", shared.producerBin, func(e *env) []string {
			e.createSampleTables()
			return append(e.producerVars("RETRY_WINDOW=2s"), "SCHEMA_REGISTRY_URL=http://"+dead)
		}, "SCHEMA_REGISTRY_URL"},
		{"consumer, Kafka", shared.consumerBin, func(e *env) []string {
			return append(e.consumerVars("RETRY_WINDOW=2s"), "KAFKA_BROKERS="+dead)
		}, "KAFKA_BROKERS"},
		{"consumer, PostgreSQL", shared.consumerBin, func(e *env) []string {
			return append(e.consumerVars("RETRY_WINDOW=2s"), "TARGET_DSN=postgres://postgres@"+dead+"/x")
		}, "TARGET_DSN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			out, err := e.start(tt.bin, "program", tt.vars(e)).wait(t, 2*time.Minute)
			if err == nil || !strings.Contains(out, tt.want) || !strings.Contains(out, "retry") {
				t.Fatalf("want a logged retry, then a failure naming %q; err=%v, output:\n%s", tt.want, err, out)
			}
		})
	}
}

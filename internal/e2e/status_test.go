package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/status"
)

// consumerStatus runs `consumer status --json` with the test's settings.
func (e *env) consumerStatus(t *testing.T) map[string]status.Table {
	t.Helper()
	cmd := exec.Command(shared.consumerBin, "status", "--json")
	cmd.Env = append(minimalEnv(), e.consumerVars()...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("consumer status: %v\n%s", err, out)
	}
	var tables []status.Table
	if err := json.Unmarshal(out, &tables); err != nil {
		t.Fatalf("consumer status --json: %v\n%s", err, out)
	}
	byTable := map[string]status.Table{}
	for _, tb := range tables {
		byTable[tb.Source[strings.IndexByte(tb.Source, '.')+1:]] = tb
	}
	return byTable
}

// TestStatus: with nothing running, `consumer status` tells each table's
// phase, position, records and the group's lag, counting transaction
// markers as no lag.
func TestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 50)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
	time.Sleep(500 * time.Millisecond) // the last batch's offsets
	cons.kill(syscall.SIGTERM)
	st := e.consumerStatus(t)
	for _, name := range []string{"dbo.customer", "dbo.Student", "dbo.enrolment"} {
		tb, ok := st[name]
		if !ok {
			t.Fatalf("no status for %s: %+v", name, st)
		}
		if tb.Phase != "streaming" || tb.LagRecords != 0 || !tb.LagExact || tb.Target != name || tb.KafkaRecords == 0 || tb.SourcePosition == "" ||
			tb.AppliedEvents == 0 || tb.AppliedEvents > tb.KafkaRecords {
			t.Errorf("%s caught up: %+v", name, tb)
		}
	}
	// Three committed updates of one table, one transaction each, wait.
	e.exec("UPDATE dbo.customer SET city = N'a' WHERE id = 20", "UPDATE dbo.customer SET city = N'b' WHERE id = 21", "UPDATE dbo.customer SET city = N'c' WHERE id = 22")
	deadline := time.Now().Add(convergeWithin)
	for {
		tb := e.consumerStatus(t)["dbo.customer"]
		if tb.LagRecords == 3 && tb.LagExact && tb.LagSeconds > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbo.customer with three updates not applied: %+v", tb)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A record no consumer can decode is dead-lettered; status counts it
	// against its topic and shows its error.
	cl := kafkaClient(t)
	topic := e.name + "." + e.name + ".dbo.enrolment"
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: []byte("not Avro")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cons = e.start(shared.consumerBin, "consumer", e.consumerVars())
	deadline = time.Now().Add(convergeWithin)
	for {
		tb := e.consumerStatus(t)["dbo.enrolment"]
		if tb.DeadLettered == 1 && strings.Contains(tb.LastError, "malformed record") && tb.LastErrorTime != "" {
			break
		}
		if time.Now().After(deadline) || cons.exited() {
			t.Fatalf("dbo.enrolment with a dead-lettered record: %+v\nconsumer log:\n%s", tb, cons.output())
		}
		time.Sleep(300 * time.Millisecond)
	}
	if tb := e.consumerStatus(t)["dbo.customer"]; tb.SourceTime == "" || tb.DeadLettered != 0 {
		t.Errorf("dbo.customer: want its position's commit time and no dead letters: %+v", tb)
	}
	cons.kill(syscall.SIGTERM)
	// The table form names the columns an operator reads.
	cmd := exec.Command(shared.consumerBin, "status")
	cmd.Env = append(minimalEnv(), e.consumerVars()...)
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "LAG SECONDS") || !strings.Contains(string(out), "streaming") ||
		!strings.Contains(string(out), "last error") {
		t.Fatalf("consumer status: %v\n%s", err, out)
	}
	t.Logf("consumer status:\n%s", out)
}

package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// The CDC cleanup job removes changes of one table that the producer, down
// meanwhile, never read, deletes among them. By default the producer
// refuses to go on and says which table and what to do; with
// RETENTION_LOSS=resnapshot it snapshots that table again while the
// others stream on, and the consumer (default settings) replaces the
// table's rows with the new snapshot's: the deleted rows go too.
func TestRetentionLossResnapshotsTheTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 100)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
	prod.kill(syscall.SIGTERM)

	// While the producer is down: customer loses rows and gains others,
	// Student changes too; then the cleanup job removes customer's changes.
	e.exec("DELETE FROM dbo.customer WHERE id BETWEEN 40 AND 59",
		"UPDATE dbo.customer SET city = N'Genève' WHERE id BETWEEN 60 AND 69")
	e.changes(70)
	e.waitChangeRows("dbo_customer", "__$operation = 1", 21)
	e.exec(`DECLARE @l binary(10) = sys.fn_cdc_get_max_lsn();
EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_customer', @low_water_mark = @l, @threshold = 5000;`)

	prod = e.start(shared.producerBin, "producer-stop", e.producerVars())
	stops(t, prod, "dbo_customer", "RETENTION_LOSS=resnapshot")

	prod = e.start(shared.producerBin, "producer-resnapshot", e.producerVars("RETENTION_LOSS=resnapshot"))
	prod.waitLog(t, "CDC cleanup removed changes of a table that were never read", time.Minute)
	e.changes(80)
	e.converge(convergeWithin, prod, cons)
	if n := lines(prod.output(), "taking a new snapshot of it", "customer"); n != 1 {
		t.Errorf("the producer logged the new snapshot of customer %d times, want once:\n%s", n, prod.output())
	}
	if n := lines(prod.output(), "taking a new snapshot of it", "Student"); n != 0 {
		t.Errorf("the producer snapshotted Student again, whose changes were all there:\n%s", prod.output())
	}
	if lines(cons.output(), "RETENTION_LOSS=resnapshot", "replacing the rows") < 1 {
		t.Errorf("the consumer did not say it replaced customer's rows:\n%s", cons.output())
	}
	e.changes(90)
	e.converge(convergeWithin, prod, cons)
}

// waitChangeRows waits until the capture job has copied at least n rows
// matching where into capture instance's change table.
func (e *env) waitChangeRows(instance, where string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var got int
		err := e.src.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM cdc."+instance+"_CT WHERE "+where).Scan(&got)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("cdc.%s_CT holds %d rows where %s (err %v), want %d", instance, got, where, err, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

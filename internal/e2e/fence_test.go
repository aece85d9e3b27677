package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondProducerFencesFirst starts a second producer for the same source
// (hence the same transactional id) while the first runs: the first must
// stop with a message saying why and what to do, the second carries on from
// the last committed position, and no change reaches the target twice.
func TestSecondProducerFencesFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 200)
	first := e.start(shared.producerBin, "producer-1", e.producerVars())
	c := e.start(shared.consumerBin, "consumer", e.consumerVars("APPLY_AUDIT=on"))
	e.changes(10)
	e.converge(convergeWithin, first, c)

	second := e.start(shared.producerBin, "producer-2", e.producerVars())
	// The second registers its transactional id before it reads the
	// position and streams; changes made after that, both producers see,
	// and only the second may write.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(second.output(), "source: streaming changes"); {
		if second.exited() || time.Now().After(deadline) {
			t.Fatalf("the second producer exited (%v); log:\n%s", second.err, second.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.changes(20)
	out, err := first.wait(t, time.Minute)
	want := fmt.Sprintf("another producer with transactional id %q is running", "mssql2adb-"+e.name+"-"+e.name)
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("the first producer should stop saying %q; err=%v, log:\n%s", want, err, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, want) {
			t.Logf("the first producer stopped: %s", l)
		}
	}
	e.changes(30)
	e.converge(convergeWithin, second, c)

	second.kill(syscall.SIGTERM)
	rep := e.auditCommitted(t, kafkaClient(t))
	if rep.records < 800 {
		t.Fatalf("only %d change records: the test proved little", rep.records)
	}
}

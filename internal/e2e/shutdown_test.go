package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown sends SIGTERM to a producer in the middle of its
// snapshot and to a consumer applying it: each stops cleanly (status 0)
// within SHUTDOWN_TIMEOUT, saying so, and the restarted pair converges, so
// the batch each abandoned is written again exactly once.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 600)
	vars := []string{"SHUTDOWN_TIMEOUT=15s"}
	prod := e.start(shared.producerBin, "producer", e.producerVars(vars...))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars(vars...))
	waitForLog(t, prod, "source: snapshot started", time.Minute)
	waitForLog(t, cons, "sink: partitions assigned", time.Minute)

	for _, p := range []*process{prod, cons} {
		start := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// Within the timeout plus process start-up slack; a hang would
		// exit 1 after the timeout instead.
		out, err := p.wait(t, 40*time.Second)
		if err != nil {
			t.Fatalf("%s after SIGTERM: exit %v after %s, want 0; log:\n%s", p.name, err, time.Since(start).Round(time.Millisecond), out)
		}
		if !strings.Contains(out, "terminated: stopping (SHUTDOWN_TIMEOUT 15s)") {
			t.Errorf("%s does not say it is stopping; log:\n%s", p.name, out)
		}
		t.Logf("%s stopped %s after SIGTERM", p.name, time.Since(start).Round(time.Millisecond))
	}

	prod = e.start(shared.producerBin, "producer-2", e.producerVars(vars...))
	cons = e.start(shared.consumerBin, "consumer-2", e.consumerVars(vars...))
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
}

// waitForLog waits until p's log contains s.
func waitForLog(t *testing.T, p *process, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(p.output(), s) {
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("%s never logged %q (exited: %v); log:\n%s", p.name, s, p.exited(), p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

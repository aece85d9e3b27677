package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/devstack"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
	"github.com/mssql2adb/mssql2adb/internal/registry"
)

// TestDemoTwiceAgainstOneTarget runs the demo twice, each time on a new
// embedded stack (a new SQL Server, Kafka cluster and registry) but against
// the same target database, as `make demo` twice with TARGET_DSN set does:
// the second run must say it rebuilds the tables of the first and end with
// every table matching, never with rows of both runs.
func TestDemoTwiceAgainstOneTarget(t *testing.T) {
	t.Parallel()
	if shared.broker == nil || os.Getenv("MSSQL_DSN") != "" {
		t.Skip("runs the demo on embedded stacks of its own")
	}
	dir := t.TempDir()
	demoBin := filepath.Join(dir, "demo")
	if out, err := exec.Command("go", "build", "-o", demoBin, "../cmd/demo").CombinedOutput(); err != nil {
		t.Fatalf("build the demo: %v\n%s", err, out)
	}
	target := pgtest.ForTest(t)
	for run := 1; run <= 2; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		b, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", 3)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := registry.New(ctx, registry.Config{Brokers: b.Addrs(), Topic: devstack.RegistryTopic})
		if err == nil {
			err = reg.Start(ctx, "127.0.0.1:0")
		}
		if err != nil {
			t.Fatal(err)
		}
		emu, err := mssqlemu.Start(ctx, mssqlemu.Config{Addr: "127.0.0.1:0", SAPassword: "Demo_Passw0rd"})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(demoBin, "--bin", filepath.Dir(shared.producerBin), "--logs", t.TempDir(),
			"--customers", "3000", "--students", "300", "--duration", "4s", "--timeout", "2m")
		cmd.Env = append(minimalEnv(), "MSSQL_DSN="+emu.DSN("master"), "KAFKA_BROKERS="+strings.Join(b.Addrs(), ","),
			"SCHEMA_REGISTRY_URL=http://"+reg.Addr(), "TARGET_DSN="+target)
		out, err := cmd.CombinedOutput()
		_ = emu.Close()
		_ = reg.Close()
		b.Close()
		cancel()
		if err != nil || !strings.Contains(string(out), "every table matches") {
			t.Fatalf("demo run %d: %v\n%s", run, err, out)
		}
		if said := strings.Contains(string(out), "from an earlier run"); said != (run == 2) {
			t.Fatalf("demo run %d: says it rebuilds an earlier run's tables: %v; output:\n%s", run, said, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "earlier run") || strings.Contains(l, "MATCH") {
				t.Logf("run %d: %s", run, strings.TrimSpace(l))
			}
		}
	}
}

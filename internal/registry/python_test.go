package registry

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// debianPython is the interpreter Debian's python3-confluent-kafka is
// installed for.
const debianPython = "/usr/bin/python3"

// TestConfluentPythonClient drives the registry with Confluent's own
// Python client. It is skipped when python3-confluent-kafka (and
// python3-requests, which it imports) are not installed.
func TestConfluentPythonClient(t *testing.T) {
	if _, err := os.Stat(debianPython); err != nil {
		t.Skipf("%s not found; skipping the confluent-kafka-python check", debianPython)
	}
	probe := exec.CommandContext(t.Context(), debianPython, "-c", "from confluent_kafka.schema_registry import SchemaRegistryClient")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("confluent_kafka.schema_registry not importable (apt-get install python3-confluent-kafka python3-requests): %v: %s", err, bytes.TrimSpace(out))
	}
	reg, _ := startRegistry(t, Config{})
	// The deadline only guards against a hang.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianPython, "testdata/confluent_client.py", reg.URL())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "OK" {
		t.Fatalf("confluent client: %v\n%s", err, out)
	}
}

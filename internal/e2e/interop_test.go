package e2e

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestIndependentClientsReadOurTopics reads a change topic with librdkafka,
// Confluent's registry client and Apache Avro (Python), which share no code
// with ours: the wire format, the envelope and the transactions must be what
// the Kafka ecosystem expects.
func TestIndependentClientsReadOurTopics(t *testing.T) {
	t.Parallel()
	if err := exec.Command("/usr/bin/python3", "-c", "import confluent_kafka, avro, requests").Run(); err != nil {
		t.Skip("python3-confluent-kafka, python3-avro or python3-requests is not installed (make deps installs them)")
	}
	e := newEnv(t)
	e.exec(`CREATE TABLE dbo.interop (id int NOT NULL PRIMARY KEY, name nvarchar(20) NOT NULL, amount decimal(10,2) NULL)`,
		`EXEC sys.sp_cdc_enable_db`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'interop', @role_name = NULL`,
		`INSERT INTO dbo.interop (id, name, amount) VALUES (1, N'Zoë', 12.50), (2, N'李雷', NULL)`)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	defer prod.kill(9)
	prod.waitLog(t, "snapshot done", time.Minute)
	e.exec(`UPDATE dbo.interop SET amount = 99.99 WHERE id = 1`, `DELETE FROM dbo.interop WHERE id = 2`)

	topic := e.name + "." + e.name + ".dbo.interop"
	cmd := exec.Command("/usr/bin/python3", "testdata/read_topic.py", shared.brokers, shared.registryURL, topic, "5", "60")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python reader: %v\n%s\n%s\nproducer log:\n%s", err, out, stderr, prod.output())
	}
	type record struct {
		Partition int
		Offset    int64
		Key       map[string]any
		Value     map[string]any
	}
	var recs []record
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		recs = append(recs, r)
	}
	// Per key, in partition order: 1 → r, u; 2 → r, d, tombstone.
	byKey := map[float64][]record{}
	for _, r := range recs {
		id := r.Key["id"].(float64)
		byKey[id] = append(byKey[id], r)
	}
	for _, rs := range byKey {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Offset < rs[j].Offset })
	}
	ops := func(rs []record) string {
		var s []string
		for _, r := range rs {
			if r.Value == nil {
				s = append(s, "tombstone")
				continue
			}
			s = append(s, r.Value["op"].(string))
		}
		return strings.Join(s, ",")
	}
	if got := ops(byKey[1]); got != "r,u" {
		t.Errorf("key 1: ops %s, want r,u", got)
	}
	if got := ops(byKey[2]); got != "r,d,tombstone" {
		t.Errorf("key 2: ops %s, want r,d,tombstone", got)
	}
	if len(byKey[1]) == 2 {
		u := byKey[1][1].Value
		after, before := u["after"].(map[string]any), u["before"].(map[string]any)
		if after["name"] != "Zoë" || after["amount"] != "99.99" || before["amount"] != "12.50" {
			t.Errorf("update decoded as before=%v after=%v", before, after)
		}
		src := u["source"].(map[string]any)
		if src["connector"] != "sqlserver" || src["table"] != "interop" || src["schema"] != "dbo" || src["commit_lsn"] == nil {
			t.Errorf("source block = %v", src)
		}
	}
	if len(byKey[2]) >= 1 {
		if after := byKey[2][0].Value["after"].(map[string]any); after["name"] != "李雷" || after["amount"] != nil {
			t.Errorf("snapshot row 2 decoded as %v", after)
		}
	}
}

// waitLog waits until the process's log contains s.
func (p *process) waitLog(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(p.output(), s) {
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("%s never logged %q; log:\n%s", p.name, s, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape returns the value of the sample whose line starts with series
// (name and labels) on the /metrics page at addr; ok is false when absent.
func scrape(t *testing.T, addr, series string) (float64, bool) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false // not listening yet
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestHeartbeatLatencyWhileIdle: with the default heartbeat table and no
// change to the one user table after its snapshot, the consumer's
// heartbeat metrics keep moving, heartbeat rows land in the bookkeeping
// schema only, and the user table holds just its own rows.
func TestHeartbeatLatencyWhileIdle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec("EXEC sys.sp_cdc_enable_db",
		"CREATE TABLE dbo.item (id int PRIMARY KEY, name nvarchar(20))",
		"INSERT INTO dbo.item VALUES (1, N'one'), (2, N'two')",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'item', @role_name = NULL")
	addr := freePort(t)
	prod := e.start(shared.producerBin, "producer", e.producerVars("HEARTBEAT_INTERVAL=200ms"))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars("HTTP_ADDR="+addr))
	e.converge(2*time.Minute, prod, cons)

	series := `mssql2adb_consumer_heartbeat_source_commit_timestamp_seconds{source="` + e.name + `:` + e.name + `"}`
	latency := `mssql2adb_consumer_heartbeat_latency_seconds{source="` + e.name + `:` + e.name + `"}`
	var first float64
	deadline := time.Now().Add(2 * time.Minute)
	for seen := 0; seen < 3; {
		if prod.exited() || cons.exited() {
			t.Fatalf("a process exited; producer log:\n%s\nconsumer log:\n%s", prod.output(), cons.output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not move three times while the tables were idle (first %v); consumer log:\n%s", series, first, cons.output())
		}
		v, ok := scrape(t, addr, series)
		switch {
		case !ok:
		case first == 0:
			first = v
		case v > first:
			first, seen = v, seen+1
			if l, ok := scrape(t, addr, latency); !ok || l < 0 {
				t.Fatalf("%s = %v (present %v), want a latency >= 0", latency, l, ok)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx := context.Background()
	var items, beats int
	if err := e.target.QueryRow(ctx, `SELECT count(*) FROM dbo.item`).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if err := e.target.QueryRow(ctx, `SELECT count(*) FROM mssql2adb.heartbeat`).Scan(&beats); err != nil {
		t.Fatal(err)
	}
	if items != 2 || beats != 1 {
		t.Errorf("target holds %d item rows and %d heartbeat rows, want 2 and 1", items, beats)
	}
	var stray int
	if err := e.target.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'dts_log_heart_beat'`).Scan(&stray); err != nil || stray != 0 {
		t.Errorf("a heartbeat table among the user tables: %d (%v)", stray, err)
	}
}

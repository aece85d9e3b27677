package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mssql2adb/mssql2adb/internal/source"
)

// producerStatus reads the per-table snapshot gauges as the producer
// exports them and renders them as the producer's progress display does.
func TestProducerStatusShowsTableProgress(t *testing.T) {
	reg := prometheus.NewRegistry()
	source.RegisterMetrics(reg, func() source.Progress {
		return source.Progress{Phase: "snapshot", SnapshotRowsDone: 300, SnapshotRowsTotal: 1000, Tables: []source.TableProgress{
			{Table: "dbo.customer", RowsDone: 300, RowsTotal: 1000}}}
	})
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	sum, lines := producerStatus(strings.TrimPrefix(srv.URL, "http://"))
	if !strings.Contains(sum, "snapshot 300/1000 rows") {
		t.Errorf("summary %q", sum)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "dbo.customer") || !strings.Contains(lines[0], "300 / 1,000") {
		t.Errorf("progress lines %q, want dbo.customer's and the total", lines)
	}
}

package source

import "github.com/prometheus/client_golang/prometheus"

// RegisterMetrics exports a reader's progress (from progress, normally
// (*Reader).Progress) on reg: snapshot rows done and total, streamed events,
// the last commit's time, stopped tables, and each table's snapshot rows
// done and total. (Resumptions after failures are the capture loop's:
// mssql2adb_producer_retries_total.)
func RegisterMetrics(reg prometheus.Registerer, progress func() Progress) {
	gauge := func(name, help string, f func(p Progress) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mssql2adb_producer_" + name, Help: help},
			func() float64 { return f(progress()) }))
	}
	gauge("snapshot_rows_done", "Snapshot rows written to Kafka.", func(p Progress) float64 { return float64(p.SnapshotRowsDone) })
	gauge("snapshot_rows_total", "Estimated snapshot rows of the tables to read.", func(p Progress) float64 { return float64(p.SnapshotRowsTotal) })
	gauge("snapshot_tables_done", "Tables whose snapshot is complete.", func(p Progress) float64 { return float64(p.SnapshotTablesDone) })
	gauge("stream_events", "Change events read from the CDC change tables.", func(p Progress) float64 { return float64(p.StreamEvents) })
	gauge("tables_stopped", "Tables no longer read because of DDL the pipeline cannot follow or CDC disabled (the log says what to do).",
		func(p Progress) float64 { return float64(p.TablesStopped) })
	gauge("streaming", "1 once the snapshot is done and changes are streamed.", func(p Progress) float64 {
		if p.Phase == "streaming" {
			return 1
		}
		return 0
	})
	gauge("last_commit_timestamp_seconds", "Source commit time of the last change read.", func(p Progress) float64 {
		if p.LastCommitTime.IsZero() {
			return 0
		}
		return float64(p.LastCommitTime.UnixNano()) / 1e9
	})
	reg.MustRegister(tableCollector{progress: progress,
		done:  prometheus.NewDesc("mssql2adb_producer_snapshot_table_rows_done", "Snapshot rows written to Kafka, per table (schema.table).", []string{"table"}, nil),
		total: prometheus.NewDesc("mssql2adb_producer_snapshot_table_rows_total", "Estimated snapshot rows, per table (schema.table).", []string{"table"}, nil)})
}

// tableCollector exports the snapshot's per-table progress.
type tableCollector struct {
	progress    func() Progress
	done, total *prometheus.Desc
}

func (c tableCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.done; ch <- c.total }

func (c tableCollector) Collect(ch chan<- prometheus.Metric) {
	for _, t := range c.progress().Tables {
		ch <- prometheus.MustNewConstMetric(c.done, prometheus.GaugeValue, float64(t.RowsDone), t.Table)
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(t.RowsTotal), t.Table)
	}
}

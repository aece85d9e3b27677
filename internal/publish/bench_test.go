package publish

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/benchkit"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

type discardWriter struct{ records int }

func (w *discardWriter) WriteBatch(_ context.Context, recs []*kgo.Record, _ *kgo.Record) error {
	w.records += len(recs)
	return nil
}

// BenchmarkPublish measures the producer's path before Kafka: a batch of
// 1,000 events of benchTable encoded to Avro (Schema Registry wire format)
// and made into Kafka records with the position, metrics counted.
func BenchmarkPublish(b *testing.B) {
	for _, op := range []event.Op{event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete} {
		b.Run(op.String(), func(b *testing.B) {
			reg := srfake.New()
			b.Cleanup(reg.Close)
			cl, err := sr.NewClient(sr.URLs(reg.URL()))
			if err != nil {
				b.Fatal(err)
			}
			tbl := benchkit.Table()
			commit, _ := lsn.Parse("0000002a:000001a0:0001")
			const n = 1000
			events := make([]*event.Event, n)
			for i := range events {
				e := &event.Event{Table: tbl, Op: op, TsMs: 1700000000123, Source: event.Source{Version: "1.0.0", Connector: "sqlserver",
					Name: "bench", TsMs: 1700000000123, Snapshot: "false", Db: tbl.Database, Schema: tbl.Schema, Table: tbl.Name,
					ChangeLSN: commit, CommitLSN: commit, EventSerialNo: 1}}
				switch op {
				case event.OpDelete:
					e.Before = benchkit.Row(i)
				case event.OpUpdate:
					e.Before, e.After = benchkit.Row(i), benchkit.Row(i)
					e.After[2] = "renamed"
				default:
					e.After = benchkit.Row(i)
				}
				events[i] = e
			}
			w := &discardWriter{}
			r := New(Config{TopicPrefix: "bench", StateTopic: "state", StateKey: "src"}, avro.NewCodec(cl, "bench"), w,
				NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
			pos := map[string]string{"lsn": commit.String()}
			ctx := context.Background()
			if err := r.Publish(ctx, events, pos); err != nil { // registers the schemas
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			done := benchkit.ReportCPU(b, n, "event")
			for b.Loop() {
				if err := r.Publish(ctx, events, pos); err != nil {
					b.Fatal(err)
				}
			}
			done()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

package relay

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/cputime"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// benchTable is the 10-column table of issue 12's measurements: int,
// bigint, two nvarchar, decimal, float, bit, date, datetime2 and
// uniqueidentifier.
func benchTable() *catalog.Table {
	return &catalog.Table{Database: "bench", Schema: "dbo", Name: "orders", CaptureInstance: "dbo_orders",
		Columns: []catalog.Column{
			{Name: "id", Type: "int", Precision: 10},
			{Name: "customer_id", Type: "bigint", Precision: 19, Nullable: true},
			{Name: "name", Type: "nvarchar", Length: 100, Nullable: true},
			{Name: "note", Type: "nvarchar", Length: 400, Nullable: true},
			{Name: "amount", Type: "decimal", Precision: 18, Scale: 2, Nullable: true},
			{Name: "score", Type: "float", Precision: 53, Nullable: true},
			{Name: "active", Type: "bit", Precision: 1, Nullable: true},
			{Name: "born", Type: "date", Nullable: true},
			{Name: "updated_at", Type: "datetime2", Scale: 7, Nullable: true},
			{Name: "ref", Type: "uniqueidentifier", Nullable: true},
		},
		PrimaryKey: []string{"id"}}
}

func benchRow(i int) event.Row {
	return event.Row{int64(i), int64(i * 7), fmt.Sprintf("customer %d", i), "a note of some forty characters or so....",
		big.NewRat(int64(i)*100+25, 100), float64(i) / 3, i%2 == 0, time.Date(1990, 1, 1+i%28, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 5, 6, 7, 8, 9, 123456700, time.UTC), "6F9619FF-8B86-D011-B42D-00C04FC964FF"}
}

type discardWriter struct{ records int }

func (w *discardWriter) WriteBatch(_ context.Context, recs []*kgo.Record, _ *kgo.Record) error {
	w.records += len(recs)
	return nil
}

// BenchmarkHandle measures the producer's path before Kafka: a batch of
// 1,000 events of benchTable encoded to Avro (Schema Registry wire format)
// and made into Kafka records with the position, metrics counted.
func BenchmarkHandle(b *testing.B) {
	for _, op := range []event.Op{event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete} {
		b.Run(op.String(), func(b *testing.B) {
			reg := srfake.New()
			b.Cleanup(reg.Close)
			cl, err := sr.NewClient(sr.URLs(reg.URL()))
			if err != nil {
				b.Fatal(err)
			}
			tbl := benchTable()
			commit, _ := lsn.Parse("0000002a:000001a0:0001")
			const n = 1000
			events := make([]*event.Event, n)
			for i := range events {
				e := &event.Event{Table: tbl, Op: op, TsMs: 1700000000123, Source: event.Source{Version: "1.0.0", Connector: "sqlserver",
					Name: "bench", TsMs: 1700000000123, Snapshot: "false", Db: tbl.Database, Schema: tbl.Schema, Table: tbl.Name,
					ChangeLSN: commit, CommitLSN: commit, EventSerialNo: 1}}
				switch op {
				case event.OpDelete:
					e.Before = benchRow(i)
				case event.OpUpdate:
					e.Before, e.After = benchRow(i), benchRow(i)
					e.After[2] = "renamed"
				default:
					e.After = benchRow(i)
				}
				events[i] = e
			}
			w := &discardWriter{}
			r := New(Config{TopicPrefix: "bench", StateTopic: "state", StateKey: "src"}, avro.NewCodec(cl, "bench"), w,
				NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
			pos := map[string]string{"lsn": commit.String()}
			ctx := context.Background()
			if err := r.Handle(ctx, events, pos); err != nil { // registers the schemas
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			done := cputime.Report(b, n, "event")
			for b.Loop() {
				if err := r.Handle(ctx, events, pos); err != nil {
					b.Fatal(err)
				}
			}
			done()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

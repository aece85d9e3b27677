package sink

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The lag gauge does not count the commit marker that follows the last
// record of a transaction: caught up reads 0, not 1.
func TestLagSkipsTransactionMarkers(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	for _, tc := range []struct {
		name          string
		last, lso     int64
		transactional bool
		want          float64
	}{
		{"caught up after a transaction", 9, 11, true, 0},
		{"two records and a marker behind", 9, 14, true, 3},
		{"caught up, no transactions", 9, 10, false, 0},
		{"four records behind, no transactions", 9, 14, false, 4},
	} {
		rec := &kgo.Record{Offset: tc.last, Attrs: kgo.NewRecordAttrs(kgo.RecordAttrsOpts{Transactional: tc.transactional})}
		m.fetched(kgo.FetchTopicPartition{Topic: "t", FetchPartition: kgo.FetchPartition{Partition: 0, LastStableOffset: tc.lso, Records: []*kgo.Record{rec}}})
		var got dto.Metric
		if err := m.lag.WithLabelValues("t", "0").Write(&got); err != nil {
			t.Fatal(err)
		}
		if got.GetGauge().GetValue() != tc.want {
			t.Errorf("%s: lag %v, want %v", tc.name, got.GetGauge().GetValue(), tc.want)
		}
	}
}

package publish

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

type fakeEnc struct{ fail bool }

func (f fakeEnc) Encode(_ context.Context, topic string, e *event.Event) ([]byte, []byte, error) {
	if f.fail {
		return nil, nil, errors.New("boom")
	}
	k, _ := e.Key()
	kb, _ := json.Marshal(k)
	return kb, []byte(topic + ":" + e.Op.String()), nil
}

type fakeWriter struct {
	records []*kgo.Record
	state   *kgo.Record
	calls   int
}

func (f *fakeWriter) WriteBatch(_ context.Context, recs []*kgo.Record, state *kgo.Record) error {
	f.calls++
	f.records, f.state = recs, state
	return nil
}

func TestPublishWritesEventsTombstonesAndPositionTogether(t *testing.T) {
	tbl := &catalog.Table{Database: "dtstestdata", Schema: "dbo", Name: "customer",
		Columns: []catalog.Column{{Name: "id", Type: "int"}, {Name: "name", Type: "nvarchar", Length: 10}}, PrimaryKey: []string{"id"}}
	w := &fakeWriter{}
	r := New(Config{TopicPrefix: "mssql", StateTopic: "state", StateKey: "src"}, fakeEnc{}, w, NewMetrics(prometheus.NewRegistry()), slog.Default())
	events := []*event.Event{
		{Table: tbl, Op: event.OpCreate, After: event.Row{int64(1), "a"}},
		{Table: tbl, Op: event.OpDelete, Before: event.Row{int64(2), "b"}},
	}
	if err := r.Publish(context.Background(), events, map[string]string{"lsn": "x"}); err != nil {
		t.Fatal(err)
	}
	if w.calls != 1 || len(w.records) != 3 {
		t.Fatalf("want one transaction with 3 records (insert, delete, tombstone), got %d calls, %d records", w.calls, len(w.records))
	}
	if w.records[0].Topic != "mssql.dtstestdata.dbo.customer" {
		t.Errorf("topic = %q", w.records[0].Topic)
	}
	if tomb := w.records[2]; tomb.Value != nil || string(tomb.Key) != string(w.records[1].Key) {
		t.Errorf("delete must be followed by a tombstone with the same key, got key %s value %q", tomb.Key, tomb.Value)
	}
	if string(w.state.Key) != "src" || w.state.Topic != "state" || string(w.state.Value) != `{"lsn":"x"}` {
		t.Errorf("state record = %+v", w.state)
	}
}

func TestPublishWritesNothingWhenEncodingFails(t *testing.T) {
	tbl := &catalog.Table{Database: "d", Schema: "s", Name: "t", Columns: []catalog.Column{{Name: "id", Type: "int"}}, PrimaryKey: []string{"id"}}
	w := &fakeWriter{}
	r := New(Config{TopicPrefix: "p", StateTopic: "state", StateKey: "k"}, fakeEnc{fail: true}, w, nil, slog.Default())
	err := r.Publish(context.Background(), []*event.Event{{Table: tbl, Op: event.OpCreate, After: event.Row{int64(1)}}}, 1)
	if err == nil || w.calls != 0 {
		t.Fatalf("err = %v, calls = %d: a failed encode must write nothing", err, w.calls)
	}
}

func TestPublishTombstonesTheOldKeyOfAKeyChange(t *testing.T) {
	tbl := &catalog.Table{Database: "d", Schema: "dbo", Name: "t",
		Columns: []catalog.Column{{Name: "id", Type: "int"}, {Name: "v", Type: "nvarchar", Length: 10}}, PrimaryKey: []string{"id"}}
	tests := []struct {
		name   string
		before event.Row
		want   []string // key:value of each record; value "-" is a tombstone
	}{
		{"same key", event.Row{int64(1), "a"}, []string{"[1]:p.d.dbo.t:u"}},
		{"key change", event.Row{int64(9), "a"}, []string{"[1]:p.d.dbo.t:u", "[9]:-"}},
		{"no before image", nil, []string{"[1]:p.d.dbo.t:u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWriter{}
			r := New(Config{TopicPrefix: "p", StateTopic: "state", StateKey: "k"}, fakeEnc{}, w, nil, slog.Default())
			e := &event.Event{Table: tbl, Op: event.OpUpdate, Before: tt.before, After: event.Row{int64(1), "b"}}
			if err := r.Publish(context.Background(), []*event.Event{e}, 1); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rec := range w.records {
				v := string(rec.Value)
				if rec.Value == nil {
					v = "-"
				}
				got = append(got, string(rec.Key)+":"+v)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("records %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPublishCountsEventsByTableAndOperation: the events counter adds up
// runs of one table and operation as well as single events.
func TestPublishCountsEventsByTableAndOperation(t *testing.T) {
	mk := func(name string) *catalog.Table {
		return &catalog.Table{Database: "d", Schema: "dbo", Name: name,
			Columns: []catalog.Column{{Name: "id", Type: "int"}}, PrimaryKey: []string{"id"}}
	}
	a, b := mk("a"), mk("b")
	reg := prometheus.NewRegistry()
	r := New(Config{TopicPrefix: "p", StateTopic: "state", StateKey: "k"}, fakeEnc{}, &fakeWriter{}, NewMetrics(reg), slog.Default())
	ev := func(t *catalog.Table, op event.Op) *event.Event {
		e := &event.Event{Table: t, Op: op, After: event.Row{int64(1)}}
		if op == event.OpDelete {
			e.Before, e.After = e.After, nil
		}
		return e
	}
	for _, batch := range [][]*event.Event{
		{ev(a, event.OpCreate), ev(a, event.OpCreate), ev(b, event.OpDelete), ev(a, event.OpCreate)},
		{ev(b, event.OpDelete), ev(a, event.OpUpdate)},
	} {
		if err := r.Publish(context.Background(), batch, 1); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{"d.dbo.a c": 3, "d.dbo.b d": 2, "d.dbo.a u": 1}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mssql2adb_producer_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["table"]+" "+labels["op"]] = m.GetCounter().GetValue()
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events counted %v, want %v", got, want)
	}
}

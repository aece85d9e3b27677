package avro

import (
	"context"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// FuzzDecode feeds arbitrary keys and values to Decode: it must return an
// event or an error, never panic, hang or allocate without bound.
func FuzzDecode(f *testing.F) {
	ctx := context.Background()
	_, cl, _ := newRegistry(f)
	tbl := allTypesTable()
	enc := NewCodec(cl, testPrefix)
	for _, tc := range allTypesCases() {
		row := append(event.Row{}, tc.in...)
		row[tbl.ColumnIndex("vbmax")] = []byte{1, 2, 3} // keep seeds small
		row[tbl.ColumnIndex("vmax")] = event.Unchanged
		key, value, err := enc.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpUpdate, Before: row, After: row, Source: testSource()})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(key, value)
		f.Add(key, []byte(nil))
	}
	f.Add([]byte{0, 0, 0, 0, 1}, []byte{0, 0, 0, 0, 2, 2, 2})
	dec := NewCodec(cl, testPrefix)
	f.Fuzz(func(t *testing.T, key, value []byte) {
		e, err := dec.Decode(ctx, testTopic, key, value)
		if err == nil && (e == nil || e.Table == nil) {
			t.Fatalf("no error and no event")
		}
	})
}

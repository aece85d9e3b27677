package avro

import (
	"context"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// With DecodeBefore, a before image keeps the columns asked for, exactly,
// and leaves the others nil, whatever their type and value (every type,
// nulls, edge values); the after image and the envelope are untouched.
func TestDecodeBeforeKeepsOnlyAskedColumns(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	enc := NewCodec(cl, testPrefix)
	tbl := allTypesTable()
	var asked []*catalog.Table
	// Every other column, the key (column 0) among them.
	keep := make([]bool, len(tbl.Columns))
	for i := range keep {
		keep[i] = i%2 == 0
	}
	dec := NewCodec(cl, testPrefix, DecodeBefore(func(t *catalog.Table) []bool { asked = append(asked, t); return keep }))
	for _, tc := range allTypesCases() {
		for _, op := range []event.Op{event.OpUpdate, event.OpDelete} {
			e := &event.Event{Table: tbl, Op: op, Before: tc.in, Source: testSource(), TsMs: 1700000000999}
			wantBefore := make(event.Row, len(tc.want))
			for i := range wantBefore {
				if keep[i] {
					wantBefore[i] = tc.want[i]
				}
			}
			var wantAfter event.Row
			if op == event.OpUpdate {
				e.After, wantAfter = tc.in, tc.want
			}
			key, value, err := enc.Encode(ctx, testTopic, e)
			if err != nil {
				t.Fatalf("%s %s: encode: %v", tc.name, op, err)
			}
			got, err := dec.Decode(ctx, testTopic, key, value)
			if err != nil {
				t.Fatalf("%s %s: decode: %v", tc.name, op, err)
			}
			if got.Op != op || got.TsMs != e.TsMs || got.Source != e.Source {
				t.Errorf("%s %s: got op %s ts %d source %+v", tc.name, op, got.Op, got.TsMs, got.Source)
			}
			diffRows(t, tc.name+" "+op.String()+" before", tbl, got.Before, wantBefore)
			diffRows(t, tc.name+" "+op.String()+" after", tbl, got.After, wantAfter)
		}
	}
	if len(asked) != 1 {
		t.Errorf("asked which columns to keep %d times, want once per value schema", len(asked))
	}

	// A cut record still fails where a skipped column is cut.
	e := &event.Event{Table: tbl, Op: event.OpDelete, Before: allTypesCases()[0].in, Source: testSource()}
	key, value, err := enc.Encode(ctx, testTopic, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{len(value) / 3, len(value) / 2, len(value) - 20} {
		if _, err := dec.Decode(ctx, testTopic, key, value[:n]); err == nil {
			t.Errorf("a record cut at %d of %d bytes decoded", n, len(value))
		}
	}
}

package avro

import (
	"context"
	"testing"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

func withColumn(c catalog.Column) *catalog.Table {
	t := compositeKeyTable()
	c.Ordinal = len(t.Columns) + 1
	t.Columns = append(t.Columns, c)
	return t
}

func TestAddColumnIsBackwardCompatible(t *testing.T) {
	parse := func(tbl *catalog.Table) havro.Schema {
		t.Helper()
		vs, err := ValueSchema(testPrefix, tbl)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseSchema(vs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := parse(compositeKeyTable())
	tests := []struct {
		name       string
		added      catalog.Column
		compatible bool
	}{
		{"nullable int", catalog.Column{Name: "added", Type: "int", Nullable: true}, true},
		{"nullable decimal", catalog.Column{Name: "price", Type: "decimal", Precision: 12, Scale: 2, Nullable: true}, true},
		{"nullable datetimeoffset", catalog.Column{Name: "at", Type: "datetimeoffset", Scale: 7, Nullable: true}, true},
		// A NOT NULL column has no default: old records cannot be read.
		{"not null int", catalog.Column{Name: "added", Type: "int"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := parse(withColumn(tc.added))
			err := havro.NewSchemaCompatibility().Compatible(cur, old) // reader new, writer old: BACKWARD
			if (err == nil) != tc.compatible {
				t.Fatalf("compatible = %v (%v), want %v", err == nil, err, tc.compatible)
			}
		})
	}
}

func TestDecodeOldRecordIntoNewShape(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	old := compositeKeyTable()
	cur := withColumn(catalog.Column{Name: "added", Type: "int", Nullable: true})
	row := event.Row{int64(7), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("-1.25"), nil}

	enc := NewCodec(cl, testPrefix)
	key, value, err := enc.Encode(ctx, "t", &event.Event{Table: old, Op: event.OpCreate, After: row})
	if err != nil {
		t.Fatal(err)
	}
	// The table gains a column; new events use the new schema.
	if _, _, err := enc.Encode(ctx, "t", &event.Event{Table: cur, Op: event.OpCreate, After: append(append(event.Row{}, row...), int64(5))}); err != nil {
		t.Fatal(err)
	}

	got, err := NewCodec(cl, testPrefix).Decode(ctx, "t", key, value)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Table.Columns) != len(old.Columns) {
		t.Fatalf("decoded with %d columns, want the writer's %d", len(got.Table.Columns), len(old.Columns))
	}
	conformed, err := Conform(got, cur)
	if err != nil {
		t.Fatal(err)
	}
	diffRows(t, "after", cur, conformed.After, append(append(event.Row{}, row...), nil))

	// An independent reader (hamba, with Avro schema resolution) reads the
	// old record with the new schema and fills the new field with null.
	oldText, _ := ValueSchema(testPrefix, old)
	curText, _ := ValueSchema(testPrefix, cur)
	ws, _ := parseSchema(oldText)
	rs, _ := parseSchema(curText)
	resolved, err := havro.NewSchemaCompatibility().Resolve(rs, ws)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := havro.Unmarshal(resolved, value[5:], &m); err != nil {
		t.Fatalf("hamba cannot read the old record with the new schema: %v", err)
	}
	union, _ := m["after"].(map[string]any) // hamba names the union branch
	after, ok := union["srv1.inventory.sales.order_lines.Value"].(map[string]any)
	if !ok {
		t.Fatalf("after is %T", m["after"])
	}
	if v, ok := after["added"]; !ok || v != nil {
		t.Errorf("added = %v (present %v), want null", v, ok)
	}
	if after["line"] != 7 {
		t.Errorf("line = %v (%T)", after["line"], after["line"])
	}
}

func TestAddedNotNullColumnIsOptionalWithFill(t *testing.T) {
	added := catalog.Column{Name: "cost_center", Type: "int", Optional: true, Fill: "42", HasFill: true}
	old, err := ValueSchema(testPrefix, compositeKeyTable())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := ValueSchema(testPrefix, withColumn(added))
	if err != nil {
		t.Fatal(err)
	}
	oldS, err := parseSchema(old)
	if err != nil {
		t.Fatal(err)
	}
	curS, err := parseSchema(cur)
	if err != nil {
		t.Fatal(err)
	}
	// NOT NULL at the source, but older events have no value: BACKWARD
	// compatibility needs an optional field.
	if err := havro.NewSchemaCompatibility().Compatible(curS, oldS); err != nil {
		t.Fatalf("added NOT NULL column: not BACKWARD compatible: %v", err)
	}
	key, err := KeySchema(testPrefix, withColumn(added))
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := KeySchema(testPrefix, compositeKeyTable())
	if key != oldKey {
		t.Errorf("key schema changed with ADD COLUMN:\n%s\n%s", oldKey, key)
	}
	// The table read back from the schema keeps Optional and Fill.
	got, err := TableFromSchemas(key, cur)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Columns[got.ColumnIndex("cost_center")]
	if !c.Optional || !c.HasFill || c.Fill != "42" || c.Nullable {
		t.Errorf("column read back: %+v", c)
	}
}

package avro

import (
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// TableFromSchemas rebuilds the catalog.Table that KeySchema and ValueSchema
// were generated from, exactly: names, types, lengths, precisions, scales,
// collations, nullability, identity, primary key and capture instance. The
// consumer uses it to create a faithful target table without asking SQL
// Server. keySchema may be empty; when given, it must agree with the value
// schema's primary key. Schemas not written by this package are refused.
func TableFromSchemas(keySchema, valueSchema string) (*catalog.Table, error) {
	vl, err := parseValueLayout(valueSchema)
	if err != nil {
		return nil, err
	}
	if keySchema != "" {
		if _, err := parseKeyLayout(keySchema, vl.table, vl.plans); err != nil {
			return nil, err
		}
	}
	return vl.table, nil
}

// valueLayout is a parsed value (envelope) schema of ours.
type valueLayout struct {
	table    *catalog.Table
	plans    []colPlan
	envelope *havro.RecordSchema
	fields   []envField // how to read each of envelope's fields
	// source holds the source block's strings last read, by field index:
	// they repeat from event to event, and reusing them spares decoding
	// an allocation per field and event.
	source atomic.Pointer[[]string]
	// beforeKeep marks the columns of before images to decode; nil: all.
	beforeKeep []bool
}

// keyLayout is a parsed key schema of ours: the plans of the key columns in
// key order, and their indexes in the table.
type keyLayout struct {
	plans []colPlan
	idx   []int
}

func parseSchema(text string) (havro.Schema, error) {
	// A private cache: hamba's default one is global and would mix up the
	// successive versions of a table's records.
	return havro.ParseWithCache(text, "", &havro.SchemaCache{})
}

func parseValueLayout(text string) (*valueLayout, error) {
	s, err := parseSchema(text)
	if err != nil {
		return nil, fmt.Errorf("value schema is not valid Avro: %w", err)
	}
	env, ok := s.(*havro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("value schema is a %s, not an envelope record", s.Type())
	}
	row, err := envelopeRow(env)
	if err != nil {
		return nil, err
	}
	t, err := tableFromRow(row)
	if err != nil {
		return nil, fmt.Errorf("value schema %s: %w", env.FullName(), err)
	}
	plans, err := planTable(t)
	if err != nil {
		return nil, err
	}
	for i, f := range row.Fields() {
		if err := checkFieldType(f.Type(), plans[i]); err != nil {
			return nil, fmt.Errorf("value schema %s field %q: %w", env.FullName(), f.Name(), err)
		}
	}
	return &valueLayout{table: t, plans: plans, envelope: env, fields: planEnvelope(env)}, nil
}

// envelopeRow finds the row record of an envelope through its before and
// after fields, each a union of null and that same record.
func envelopeRow(env *havro.RecordSchema) (*havro.RecordSchema, error) {
	var row *havro.RecordSchema
	for _, f := range env.Fields() {
		if f.Name() != fieldBefore && f.Name() != fieldAfter {
			continue
		}
		u, ok := f.Type().(*havro.UnionSchema)
		if !ok || len(u.Types()) != 2 || u.Types()[0].Type() != havro.Null {
			return nil, fmt.Errorf("envelope %s: field %s is not a union of null and the row record", env.FullName(), f.Name())
		}
		rec, ok := deref(u.Types()[1]).(*havro.RecordSchema)
		if !ok || (row != nil && rec.FullName() != row.FullName()) {
			return nil, fmt.Errorf("envelope %s: field %s does not hold the row record", env.FullName(), f.Name())
		}
		row = rec
	}
	if row == nil {
		return nil, fmt.Errorf("record %s has neither an after nor a before field: not a change-event envelope", env.FullName())
	}
	return row, nil
}

func deref(s havro.Schema) havro.Schema {
	if r, ok := s.(*havro.RefSchema); ok {
		return r.Schema()
	}
	return s
}

// tableFromRow reads the table description from the row record's properties.
func tableFromRow(row *havro.RecordSchema) (*catalog.Table, error) {
	props := row.Props()
	t := &catalog.Table{}
	var err error
	if t.Database, err = propString(props, propDatabase, true); err != nil {
		return nil, err
	}
	if t.Schema, err = propString(props, propSchema, true); err != nil {
		return nil, err
	}
	if t.Name, err = propString(props, propTable, true); err != nil {
		return nil, err
	}
	if t.CaptureInstance, err = propString(props, propCaptureInstance, false); err != nil {
		return nil, err
	}
	pk, ok := props[propPrimaryKey].([]any)
	if !ok {
		return nil, fmt.Errorf("record %s lacks the %s property: not a mssql2adb schema", row.FullName(), propPrimaryKey)
	}
	for _, k := range pk {
		s, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("record %s: %s holds a non-string %v", row.FullName(), propPrimaryKey, k)
		}
		t.PrimaryKey = append(t.PrimaryKey, s)
	}
	for _, f := range row.Fields() {
		c, err := columnFromField(f)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name(), err)
		}
		t.Columns = append(t.Columns, c)
	}
	if _, err := t.KeyIndexes(); err != nil {
		return nil, err
	}
	return t, nil
}

func columnFromField(f *havro.Field) (catalog.Column, error) {
	p := f.Props()
	c := catalog.Column{Name: f.Name()}
	var err error
	if n, err := propString(p, propName, false); err != nil {
		return c, err
	} else if n != "" {
		c.Name = n
	}
	if c.Type, err = propString(p, propType, true); err != nil {
		return c, err
	}
	if c.Ordinal, err = propInt(p, propOrdinal); err != nil {
		return c, err
	}
	if c.Length, err = propInt(p, propLength); err != nil {
		return c, err
	}
	if c.Precision, err = propInt(p, propPrecision); err != nil {
		return c, err
	}
	if c.Scale, err = propInt(p, propScale); err != nil {
		return c, err
	}
	if c.Collation, err = propString(p, propCollation, false); err != nil {
		return c, err
	}
	if c.Nullable, err = propBool(p, propNullable); err != nil {
		return c, err
	}
	if c.Identity, err = propBool(p, propIdentity); err != nil {
		return c, err
	}
	if c.Optional, err = propBool(p, propOptional); err != nil {
		return c, err
	}
	if _, c.HasFill = p[propFill]; c.HasFill {
		if c.Fill, err = propString(p, propFill, true); err != nil {
			return c, err
		}
	}
	return c, nil
}

func propString(props map[string]any, name string, required bool) (string, error) {
	v, ok := props[name]
	if !ok {
		if required {
			return "", fmt.Errorf("property %s is missing: not a mssql2adb schema", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("property %s is a %T, want a string", name, v)
	}
	return s, nil
}

func propInt(props map[string]any, name string) (int, error) {
	v, ok := props[name]
	if !ok {
		return 0, nil
	}
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			return 0, fmt.Errorf("property %s is %v, want an integer", name, n)
		}
		return int(n), nil
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("property %s: %w", name, err)
		}
		return int(i), nil
	}
	return 0, fmt.Errorf("property %s is a %T, want an integer", name, v)
}

func propBool(props map[string]any, name string) (bool, error) {
	v, ok := props[name]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("property %s is a %T, want a boolean", name, v)
	}
	return b, nil
}

// checkFieldType verifies that a field's Avro type is the one the column's
// mapping produces, so the value codec can read it without looking again.
func checkFieldType(s havro.Schema, p colPlan) error {
	if p.nullable {
		u, ok := s.(*havro.UnionSchema)
		if !ok || len(u.Types()) != 2 || u.Types()[0].Type() != havro.Null {
			return fmt.Errorf("want a union of null and the value type for %s", p.col.TypeString())
		}
		s = u.Types()[1]
	}
	want, logical := primitiveOf(p.kind)
	ps, ok := s.(*havro.PrimitiveSchema)
	if !ok || ps.Type() != want {
		return fmt.Errorf("type is %s, want %s for %s", s.Type(), want, p.col.TypeString())
	}
	var got havro.LogicalType
	if ls := ps.Logical(); ls != nil {
		got = ls.Type()
	}
	if got != logical {
		return fmt.Errorf("logical type is %q, want %q for %s", got, logical, p.col.TypeString())
	}
	if p.kind == kindDecimal {
		d, ok := ps.Logical().(*havro.DecimalLogicalSchema)
		if !ok || d.Precision() != p.precision || d.Scale() != p.scale {
			return fmt.Errorf("decimal logical type does not say (%d,%d) for %s", p.precision, p.scale, p.col.TypeString())
		}
	}
	return nil
}

// primitiveOf is the Avro primitive and logical type of a kind.
func primitiveOf(k kind) (havro.Type, havro.LogicalType) {
	switch k {
	case kindBoolean:
		return havro.Boolean, ""
	case kindInt:
		return havro.Int, ""
	case kindLong:
		return havro.Long, ""
	case kindDecimal:
		return havro.Bytes, havro.Decimal
	case kindDouble:
		return havro.Double, ""
	case kindFloat:
		return havro.Float, ""
	case kindString, kindZoned:
		return havro.String, ""
	case kindBytes:
		return havro.Bytes, ""
	case kindUUID:
		return havro.String, havro.UUID
	case kindDate:
		return havro.Int, havro.Date
	case kindTime:
		return havro.Long, havro.TimeMicros
	case kindTimestamp:
		return havro.Long, havro.LocalTimestampMicros
	}
	return havro.Null, ""
}

// parseKeyLayout parses a key schema and checks it against the table.
func parseKeyLayout(text string, t *catalog.Table, plans []colPlan) (*keyLayout, error) {
	s, err := parseSchema(text)
	if err != nil {
		return nil, fmt.Errorf("key schema is not valid Avro: %w", err)
	}
	rec, ok := s.(*havro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("key schema is a %s, not a record", s.Type())
	}
	idx, err := t.KeyIndexes()
	if err != nil {
		return nil, err
	}
	if len(rec.Fields()) != len(idx) {
		return nil, fmt.Errorf("key schema %s has %d fields, but the primary key of %s has %d columns", rec.FullName(), len(rec.Fields()), t.QualifiedName(), len(idx))
	}
	kl := &keyLayout{idx: idx}
	for i, f := range rec.Fields() {
		p := plans[idx[i]]
		c, err := columnFromField(f)
		if err != nil {
			return nil, fmt.Errorf("key schema %s field %q: %w", rec.FullName(), f.Name(), err)
		}
		if c != p.col {
			return nil, fmt.Errorf("key schema %s field %q describes %s %s, but primary-key column %d of %s is %s %s",
				rec.FullName(), f.Name(), c.Name, c.TypeString(), i+1, t.QualifiedName(), p.col.Name, p.col.TypeString())
		}
		if err := checkFieldType(f.Type(), p); err != nil {
			return nil, fmt.Errorf("key schema %s field %q: %w", rec.FullName(), f.Name(), err)
		}
		kl.plans = append(kl.plans, p)
	}
	return kl, nil
}

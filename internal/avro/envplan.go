package avro

import (
	"fmt"
	"unicode/utf8"

	havro "github.com/hamba/avro/v2"
)

// envField is how decodeEnvelope reads one field of a writer's envelope,
// worked out once per schema: walking the schema (and going through
// hamba's generic decoder for each number) for every record cost as much
// as decoding the row itself in make bench's profile.
type envField struct {
	name   string
	schema havro.Schema
	s      scalar     // op and ts_ms, when a string or long
	source []srcField // the source block's fields, when it is a record
}

// srcField is one field of the source block.
type srcField struct {
	name   string
	id     sourceField
	schema havro.Schema
	s      scalar
}

type scalarKind uint8

const (
	scalarOther scalarKind = iota
	scalarString
	scalarLong
)

// scalar is a string or a long, alone or in a two-branch union with null
// (either order: Debezium writes some as ["string", "null"]).
type scalar struct {
	kind  scalarKind
	union bool
	null  int // the null branch's index, in a union
}

func scalarOf(s havro.Schema) scalar {
	switch t := deref(s).(type) {
	case *havro.PrimitiveSchema:
		switch t.Type() {
		case havro.String:
			return scalar{kind: scalarString}
		case havro.Long:
			return scalar{kind: scalarLong}
		}
	case *havro.UnionSchema:
		ts := t.Types()
		if len(ts) != 2 {
			return scalar{}
		}
		for null := range 2 {
			if deref(ts[null]).Type() != havro.Null {
				continue
			}
			switch deref(ts[1-null]).Type() {
			case havro.String:
				return scalar{kind: scalarString, union: true, null: null}
			case havro.Long:
				return scalar{kind: scalarLong, union: true, null: null}
			}
		}
	}
	return scalar{}
}

// isNull reads a union's branch index and reports whether it is null.
func (p scalar) isNull(r *reader) (bool, error) {
	if !p.union {
		return false, nil
	}
	i, err := r.unionIndex(2)
	return i == p.null, err
}

// str reads a string field as bytes of the record, checked as UTF-8: nil
// for null, empty but not nil for "".
func (p scalar) str(r *reader) ([]byte, error) {
	if null, err := p.isNull(r); null || err != nil {
		return nil, err
	}
	b, err := r.bytes()
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("at byte %d: string is not valid UTF-8", r.off-len(b))
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// long reads a long field; null gives 0.
func (p scalar) long(r *reader) (int64, error) {
	if null, err := p.isNull(r); null || err != nil {
		return 0, err
	}
	return r.long()
}

// planEnvelope works out how to read each field of env.
func planEnvelope(env *havro.RecordSchema) []envField {
	var fields []envField
	for _, f := range env.Fields() {
		ef := envField{name: f.Name(), schema: f.Type(), s: scalarOf(f.Type())}
		if rec, ok := deref(f.Type()).(*havro.RecordSchema); ok && f.Name() == fieldSource {
			for _, sf := range rec.Fields() {
				ef.source = append(ef.source, srcField{name: sf.Name(), id: sourceFieldOf(sf.Name()), schema: sf.Type(), s: scalarOf(sf.Type())})
			}
		}
		fields = append(fields, ef)
	}
	return fields
}

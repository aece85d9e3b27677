package avro

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// columnError names the table, column and value that could not be encoded.
func columnError(t *catalog.Table, p *colPlan, v any, err error) error {
	return fmt.Errorf("table %s column %q (%s), value %s: %w", t.QualifiedName(), p.col.Name, p.col.TypeString(), valueText(v), err)
}

// valueText shows a value in an error message, shortened.
func valueText(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return "NULL"
	case *big.Rat:
		s = ratText(v)
	case []byte:
		s = fmt.Sprintf("0x%X", v[:min(len(v), 16)])
		if len(v) > 16 {
			s += fmt.Sprintf("… (%d bytes)", len(v))
		}
		return s
	default:
		s = fmt.Sprintf("%v", v)
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// ratText writes r in decimal when it has a finite expansion.
func ratText(r *big.Rat) string {
	for digits := 0; digits <= 80; digits++ {
		s := r.FloatString(digits)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.RatString()
}

// encodeKey writes the key record of row (a full row of t).
func encodeKey(w *writer, t *catalog.Table, plans []colPlan, idx []int, row event.Row) error {
	for _, j := range idx {
		v := row[j]
		if event.IsUnchanged(v) {
			return columnError(t, &plans[j], nil, errors.New("a primary-key column cannot be Unchanged"))
		}
		if err := encodeColumn(w, &plans[j], v); err != nil {
			return columnError(t, &plans[j], v, err)
		}
	}
	return nil
}

// encodeRow writes a nullable row (Before or After). Unchanged values are
// written as null; for After their names are returned, for the unchanged field.
func encodeRow(w *writer, t *catalog.Table, plans []colPlan, row event.Row, what string) ([]string, error) {
	if row == nil {
		w.unionIndex(0)
		return nil, nil
	}
	if len(row) != len(plans) {
		return nil, fmt.Errorf("table %s: %s row has %d values for %d columns", t.QualifiedName(), what, len(row), len(plans))
	}
	w.unionIndex(1)
	var unchanged []string
	for i := range plans {
		p := &plans[i]
		v := row[i]
		if event.IsUnchanged(v) {
			if !p.col.IsLOB() {
				return nil, columnError(t, p, nil, errors.New("only large-value columns (text, ntext, image, xml, (max) types) can be Unchanged"))
			}
			unchanged = append(unchanged, p.col.Name)
			w.unionIndex(0) // LOB columns are always nullable in Avro
			continue
		}
		if err := encodeColumn(w, p, v); err != nil {
			return nil, columnError(t, p, v, err)
		}
	}
	return unchanged, nil
}

// encodeEnvelope writes the value record of e in the layout ValueSchema
// generates: before, after, source, op, ts_ms, transaction, unchanged.
func encodeEnvelope(w *writer, plans []colPlan, e *event.Event) error {
	t := e.Table
	switch e.Op {
	case event.OpRead, event.OpCreate, event.OpUpdate:
		if e.After == nil {
			return fmt.Errorf("table %s: %q event without an after row", t.QualifiedName(), e.Op)
		}
	case event.OpDelete:
		if e.Before == nil {
			return fmt.Errorf("table %s: delete event without a before row", t.QualifiedName())
		}
	default:
		return fmt.Errorf("table %s: unknown operation %q", t.QualifiedName(), e.Op)
	}
	if _, err := encodeRow(w, t, plans, e.Before, "before"); err != nil {
		return err
	}
	unchanged, err := encodeRow(w, t, plans, e.After, "after")
	if err != nil {
		return err
	}
	encodeSource(w, &e.Source)
	w.str(e.Op.String())
	w.unionIndex(1)
	w.long(e.TsMs)
	w.unionIndex(0) // transaction: not tracked
	if len(unchanged) == 0 {
		w.unionIndex(0)
	} else {
		w.unionIndex(1)
		w.long(int64(len(unchanged)))
		for _, n := range unchanged {
			w.str(n)
		}
		w.long(0)
	}
	return nil
}

// encodeSource writes the source block in schemas/source.avsc's field order,
// by hand: it runs once per event, and hamba's reflection would cost more
// than the rest of a small row. TestSourceEncoderMatchesSchemaFile fails
// when the schema file and this order disagree.
func encodeSource(w *writer, s *event.Source) {
	w.str(s.Version)
	w.str(s.Connector)
	w.str(s.Name)
	w.long(s.TsMs)
	snap := s.Snapshot
	if snap == "" {
		snap = "false"
	}
	w.unionIndex(0) // ["string", "null"]
	w.str(snap)
	w.str(s.Db)
	w.unionIndex(0) // sequence: null
	w.str(s.Schema)
	w.str(s.Table)
	writeLSN(w, s.ChangeLSN)
	writeLSN(w, s.CommitLSN)
	w.unionIndex(1)
	w.long(s.EventSerialNo)
	if s.Incarnation == "" {
		w.unionIndex(0)
	} else {
		w.unionIndex(1)
		w.str(s.Incarnation)
	}
}

func writeLSN(w *writer, l lsn.LSN) {
	if l.IsZero() {
		w.unionIndex(0)
		return
	}
	w.unionIndex(1)
	// l.String() without its allocation: 0000002a:000001a8:0003.
	var h [20]byte
	hex.Encode(h[:], l[:])
	w.long(22)
	w.b = append(append(append(append(append(w.b, h[0:8]...), ':'), h[8:16]...), ':'), h[16:20]...)
}

// decodeRow reads a row record of the table's layout.
func decodeRow(r *reader, plans []colPlan) (event.Row, error) {
	row := make(event.Row, len(plans))
	for i := range plans {
		v, err := decodeColumn(r, &plans[i])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", plans[i].col.Name, err)
		}
		row[i] = v
	}
	return row, nil
}

// decodeEnvelope reads a value record of layout vl, walking the writer's
// envelope fields by name so that fields it does not know are skipped.
func decodeEnvelope(r *reader, vl *valueLayout) (*event.Event, error) {
	e := &event.Event{Table: vl.table}
	var unchanged []string
	for i := range vl.fields {
		f := &vl.fields[i]
		var err error
		switch f.name {
		case fieldBefore:
			e.Before, err = decodeNullableRow(r, vl.plans, vl.beforeKeep)
		case fieldAfter:
			e.After, err = decodeNullableRow(r, vl.plans, nil)
		case fieldSource:
			if f.source == nil {
				err = fmt.Errorf("source is a %s, not a record", f.schema.Type())
			} else {
				err = decodeSource(r, f.source, &e.Source, &vl.source)
			}
		case fieldOp:
			err = decodeOp(r, f, e)
		case fieldTsMs:
			if f.s.kind == scalarLong {
				e.TsMs, err = f.s.long(r)
			} else {
				e.TsMs, err = readLong(r, f.schema)
			}
		case fieldUnchanged:
			unchanged, err = decodeUnchanged(r, f.schema)
		default: // transaction and fields added later: read past them
			err = skip(r, f.schema, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.name, err)
		}
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("%d bytes left after the record", r.remaining())
	}
	for _, name := range unchanged {
		i := vl.table.ColumnIndex(name)
		if i < 0 || e.After == nil || e.After[i] != nil || !vl.table.Columns[i].IsLOB() {
			return nil, fmt.Errorf("unchanged names %q, which is not a null large-value column of after", name)
		}
		e.After[i] = event.Unchanged
	}
	switch {
	case e.Op == event.OpDelete && e.Before == nil:
		return nil, errors.New("delete event without a before row")
	case e.Op != event.OpDelete && e.After == nil:
		return nil, fmt.Errorf("%q event without an after row", e.Op)
	}
	return e, nil
}

// decodeOp reads the op field: a string of ours by hand, anything else by hamba.
func decodeOp(r *reader, f *envField, e *event.Event) error {
	if f.s.kind == scalarString && !f.s.union {
		b, err := f.s.str(r)
		if err != nil {
			return err
		}
		if len(b) == 1 {
			switch b[0] {
			case 'r', 'c', 'u', 'd':
				e.Op = event.Op(b[0])
				return nil
			}
		}
		return fmt.Errorf("operation %q is not one of r, c, u, d", b)
	}
	return decodeOtherOp(r, f, e)
}

// decodeOtherOp reads an op field of a type not written by hand, by hamba
// (apart from decodeOp: the string it decodes into lives on the heap).
func decodeOtherOp(r *reader, f *envField, e *event.Event) error {
	var op string
	if err := readVal(r, f.schema, &op); err != nil {
		return err
	}
	switch op {
	case "r", "c", "u", "d":
		e.Op = event.Op(op[0])
		return nil
	}
	return fmt.Errorf("operation %q is not one of r, c, u, d", op)
}

// decodeUnchanged reads the unchanged field, a nullable array of column
// names: null (by far the most frequent) by hand, the array by hamba.
func decodeUnchanged(r *reader, schema havro.Schema) ([]string, error) {
	if u, ok := deref(schema).(*havro.UnionSchema); ok && len(u.Types()) == 2 && deref(u.Types()[0]).Type() == havro.Null {
		i, err := r.unionIndex(2)
		if err != nil || i == 0 {
			return nil, err
		}
		var names []string
		err = readVal(r, u.Types()[1], &names) // before returning names: Go leaves the order of a return's operands open
		return names, err
	}
	var names *[]string
	if err := readVal(r, schema, &names); err != nil || names == nil {
		return nil, err
	}
	return *names, nil
}

// decodeNullableRow reads a before or after image: the columns keep marks,
// or all of them when keep is nil; the others are read past and left nil.
func decodeNullableRow(r *reader, plans []colPlan, keep []bool) (event.Row, error) {
	// parseValueLayout checked that before and after are [null, row record].
	i, err := r.unionIndex(2)
	if err != nil || i == 0 {
		return nil, err
	}
	if keep == nil {
		return decodeRow(r, plans)
	}
	row := make(event.Row, len(plans))
	for i := range plans {
		if !keep[i] {
			if err := skipColumn(r, &plans[i]); err != nil {
				return nil, fmt.Errorf("column %q: %w", plans[i].col.Name, err)
			}
			continue
		}
		v, err := decodeColumn(r, &plans[i])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", plans[i].col.Name, err)
		}
		row[i] = v
	}
	return row, nil
}

// decodeSource reads the source block straight into s, reusing the strings
// of the previous event when they are the same (most are); fields it does
// not know are skipped.
func decodeSource(r *reader, fields []srcField, s *event.Source, seen *atomic.Pointer[[]string]) error {
	var last []string
	if p := seen.Load(); p != nil && len(*p) == len(fields) {
		last = *p
	}
	var now []string // the strings read, when one differs from last
	for i := range fields {
		f := &fields[i]
		switch {
		case f.s.kind == scalarString && (f.id == srcChangeLSN || f.id == srcCommitLSN):
			// Parsed from the record's bytes: no string is kept, and the
			// change LSN, new at every event, does not renew the strings
			// remembered for the other fields.
			b, err := f.s.str(r)
			if err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
			if err := setSourceLSN(s, f, b); err != nil {
				return err
			}
		case f.s.kind == scalarString:
			b, err := f.s.str(r)
			if err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
			str := ""
			if b != nil {
				if last != nil && last[i] == string(b) {
					str = last[i]
				} else {
					str = string(b)
				}
			}
			if now == nil && (last == nil || last[i] != str) {
				now = make([]string, len(fields))
				copy(now, last)
			}
			if now != nil {
				now[i] = str
			}
			setSourceString(s, f, str)
		case f.s.kind == scalarLong:
			n, err := f.s.long(r)
			if err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
			setSourceLong(s, f, n)
		default:
			if err := skip(r, f.schema, 1); err != nil {
				return fmt.Errorf("field %s: %w", f.name, err)
			}
		}
	}
	if now != nil {
		remembered := now // only this copy escapes, and only when stored
		seen.Store(&remembered)
	}
	return nil
}

// sourceField names a field of the source block this codec knows, found
// once per schema (sourceFieldOf), so that decoding switches on a number,
// not on the field's name, for every field of every event.
type sourceField uint8

const (
	srcOther sourceField = iota
	srcVersion
	srcConnector
	srcName
	srcSnapshot
	srcDb
	srcSchema
	srcTable
	srcIncarnation
	srcChangeLSN
	srcCommitLSN
	srcTsMs
	srcSerialNo
)

func sourceFieldOf(name string) sourceField {
	switch name {
	case "version":
		return srcVersion
	case "connector":
		return srcConnector
	case "name":
		return srcName
	case "snapshot":
		return srcSnapshot
	case "db":
		return srcDb
	case "schema":
		return srcSchema
	case "table":
		return srcTable
	case "db_incarnation":
		return srcIncarnation
	case "change_lsn":
		return srcChangeLSN
	case "commit_lsn":
		return srcCommitLSN
	case "ts_ms":
		return srcTsMs
	case "event_serial_no":
		return srcSerialNo
	}
	return srcOther
}

// setSourceString sets the source block's string field f to str; fields
// it does not know are left out, and the LSNs are setSourceLSN's.
func setSourceString(s *event.Source, f *srcField, str string) {
	switch f.id {
	case srcVersion:
		s.Version = str
	case srcConnector:
		s.Connector = str
	case srcName:
		s.Name = str
	case srcSnapshot:
		s.Snapshot = str
	case srcDb:
		s.Db = str
	case srcSchema:
		s.Schema = str
	case srcTable:
		s.Table = str
	case srcIncarnation:
		s.Incarnation = str
	}
}

// setSourceLSN sets the source block's LSN field f from its text b (nil or
// empty: not set).
func setSourceLSN(s *event.Source, f *srcField, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	l, err := lsn.ParseBytes(b)
	if err != nil {
		return fmt.Errorf("source %s: %w", f.name, err)
	}
	if f.id == srcChangeLSN {
		s.ChangeLSN = l
	} else {
		s.CommitLSN = l
	}
	return nil
}

// setSourceLong sets the source block's long field f to n; fields it does
// not know are left out.
func setSourceLong(s *event.Source, f *srcField, n int64) {
	switch f.id {
	case srcTsMs:
		s.TsMs = n
	case srcSerialNo:
		s.EventSerialNo = n
	}
}

package avro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/schemas"
)

// Property names carried in generated schemas. Field properties describe the
// exact source column; record properties describe the table.
const (
	propName      = "mssql.name" // only when the Avro field name differs
	propType      = "mssql.type"
	propOrdinal   = "mssql.ordinal"
	propLength    = "mssql.length"
	propPrecision = "mssql.precision"
	propScale     = "mssql.scale"
	propCollation = "mssql.collation"
	propNullable  = "mssql.nullable"
	propIdentity  = "mssql.identity"
	propOptional  = "mssql.optional" // a column added after the table was first synchronized
	propFill      = "mssql.fill"     // the value rows existing when it was added got

	propDatabase        = "mssql.database"
	propSchema          = "mssql.schema"
	propTable           = "mssql.table"
	propPrimaryKey      = "mssql.primary_key"
	propCaptureInstance = "mssql.capture_instance"
)

// Envelope field names, Debezium's plus our unchanged.
const (
	fieldBefore      = "before"
	fieldAfter       = "after"
	fieldSource      = "source"
	fieldOp          = "op"
	fieldTsMs        = "ts_ms"
	fieldTransaction = "transaction"
	fieldUnchanged   = "unchanged"
)

// unchangedDoc documents the envelope's unchanged field in the schema itself.
const unchangedDoc = "Names (source column names) of large-value columns that this update did not change and whose value SQL Server's change table does not hold; each is null in after and the target keeps its current value. Null when there are none."

// KeySchema returns the Avro schema of a table's message keys: record
// <prefix>.<db>.<schema>.<table>.Key with the primary-key columns in key
// order. The text is canonical: the same table gives the same bytes every
// time, so the registry returns the same id across restarts.
func KeySchema(prefix string, t *catalog.Table) (string, error) {
	ns, plans, names, err := schemaParts(prefix, t)
	if err != nil {
		return "", err
	}
	idx, err := t.KeyIndexes()
	if err != nil {
		return "", err
	}
	fields := make([]any, len(idx))
	for i, j := range idx {
		fields[i] = columnField(names[j], plans[j])
	}
	var b bytes.Buffer
	writeJSON(&b, jsonObj{
		{"type", "record"},
		{"name", "Key"},
		{"namespace", ns},
		{"fields", fields},
		{"connect.name", ns + ".Key"},
	})
	return b.String(), nil
}

// schemaParts is what both of a table's schemas are built from: the
// namespace, each column's type plan and each column's Avro field name.
func schemaParts(prefix string, t *catalog.Table) (ns string, plans []colPlan, names []string, err error) {
	if ns, err = namespaceOf(prefix, t); err != nil {
		return "", nil, nil, err
	}
	if plans, err = planTable(t); err != nil {
		return "", nil, nil, err
	}
	if names, err = fieldNames(t); err != nil {
		return "", nil, nil, err
	}
	return ns, plans, names, nil
}

// ValueSchema returns the Avro schema of a table's message values: record
// <prefix>.<db>.<schema>.<table>.Envelope with Debezium's fields before,
// after (both the nullable record ...Value, one field per column in source
// ordinal order), source (io.debezium.connector.sqlserver.Source), op, ts_ms
// and transaction, plus our optional unchanged (see the package doc). The
// text is canonical, as KeySchema's.
func ValueSchema(prefix string, t *catalog.Table) (string, error) {
	ns, plans, names, err := schemaParts(prefix, t)
	if err != nil {
		return "", err
	}
	if _, err := t.KeyIndexes(); err != nil {
		return "", err
	}
	source, err := compactSource()
	if err != nil {
		return "", err
	}
	fields := make([]any, len(plans))
	for i, p := range plans {
		fields[i] = columnField(names[i], p)
	}
	value := jsonObj{
		{"type", "record"},
		{"name", "Value"},
		{"namespace", ns},
		{"fields", fields},
		{"connect.name", ns + ".Value"},
		{propDatabase, t.Database},
		{propSchema, t.Schema},
		{propTable, t.Name},
		{propPrimaryKey, append([]string{}, t.PrimaryKey...)},
		{propCaptureInstance, t.CaptureInstance},
	}
	transaction := jsonObj{
		{"type", "record"},
		{"name", "block"},
		{"namespace", "event"},
		{"fields", []any{
			jsonObj{{"name", "id"}, {"type", "string"}},
			jsonObj{{"name", "total_order"}, {"type", "long"}},
			jsonObj{{"name", "data_collection_order"}, {"type", "long"}},
		}},
		{"connect.version", 1},
		{"connect.name", "event.block"},
	}
	envelope := jsonObj{
		{"type", "record"},
		{"name", "Envelope"},
		{"namespace", ns},
		{"fields", []any{
			jsonObj{{"name", fieldBefore}, {"type", []any{"null", value}}, {"default", nil}},
			jsonObj{{"name", fieldAfter}, {"type", []any{"null", ns + ".Value"}}, {"default", nil}},
			jsonObj{{"name", fieldSource}, {"type", rawJSON(source)}},
			jsonObj{{"name", fieldOp}, {"type", "string"}},
			jsonObj{{"name", fieldTsMs}, {"type", []any{"null", "long"}}, {"default", nil}},
			jsonObj{{"name", fieldTransaction}, {"type", []any{"null", transaction}}, {"default", nil}},
			jsonObj{{"name", fieldUnchanged}, {"type", []any{"null", jsonObj{{"type", "array"}, {"items", "string"}}}}, {"default", nil}, {"doc", unchangedDoc}},
		}},
		{"connect.version", 1},
		{"connect.name", ns + ".Envelope"},
	}
	var b bytes.Buffer
	writeJSON(&b, envelope)
	return b.String(), nil
}

// compactSource returns the embedded source block without insignificant
// white space (json.Compact keeps key order, so the result is stable).
func compactSource() (string, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(schemas.Source)); err != nil {
		return "", fmt.Errorf("schemas/source.avsc is not valid JSON: %w", err)
	}
	return b.String(), nil
}

// columnField is the Avro field of one column: its type (a union with null
// when avroNullable) and the properties that describe the source column.
func columnField(name string, p colPlan) jsonObj {
	var typ any = avroType(p)
	f := jsonObj{{"name", name}}
	if p.nullable {
		f = append(f, jsonKV{"type", []any{"null", typ}}, jsonKV{"default", nil})
	} else {
		f = append(f, jsonKV{"type", typ})
	}
	c := p.col
	if name != c.Name {
		f = append(f, jsonKV{propName, c.Name})
	}
	f = append(f, jsonKV{propType, c.Type}, jsonKV{propOrdinal, c.Ordinal})
	if c.Length != 0 {
		f = append(f, jsonKV{propLength, c.Length})
	}
	if c.Precision != 0 {
		f = append(f, jsonKV{propPrecision, c.Precision})
	}
	if c.Scale != 0 {
		f = append(f, jsonKV{propScale, c.Scale})
	}
	if c.Collation != "" {
		f = append(f, jsonKV{propCollation, c.Collation})
	}
	f = append(f, jsonKV{propNullable, c.Nullable})
	if c.Identity {
		f = append(f, jsonKV{propIdentity, true})
	}
	if c.Optional {
		f = append(f, jsonKV{propOptional, true})
	}
	if c.HasFill {
		f = append(f, jsonKV{propFill, c.Fill})
	}
	return f
}

// avroType is the Avro type of a column's non-null values.
func avroType(p colPlan) any {
	withConnect := func(o jsonObj) jsonObj {
		if p.m.ConnectName != "" {
			o = append(o, jsonKV{"connect.version", 1}, jsonKV{"connect.name", p.m.ConnectName})
		}
		return o
	}
	switch p.kind {
	case kindBoolean:
		return "boolean"
	case kindInt:
		return "int"
	case kindLong:
		return "long"
	case kindDouble:
		return "double"
	case kindFloat:
		return "float"
	case kindBytes:
		return "bytes"
	case kindString:
		if p.m.ConnectName == "" {
			return "string"
		}
		return withConnect(jsonObj{{"type", "string"}})
	case kindDecimal:
		return jsonObj{
			{"type", "bytes"},
			{"logicalType", "decimal"},
			{"precision", p.precision},
			{"scale", p.scale},
			{"connect.version", 1},
			{"connect.parameters", jsonObj{
				{"scale", strconv.Itoa(p.scale)},
				{"connect.decimal.precision", strconv.Itoa(p.precision)},
			}},
			{"connect.name", connectDecimal},
		}
	case kindUUID:
		return jsonObj{{"type", "string"}, {"logicalType", "uuid"}}
	case kindDate:
		return withConnect(jsonObj{{"type", "int"}, {"logicalType", "date"}})
	case kindTime:
		return withConnect(jsonObj{{"type", "long"}, {"logicalType", "time-micros"}})
	case kindTimestamp:
		return withConnect(jsonObj{{"type", "long"}, {"logicalType", "local-timestamp-micros"}})
	case kindZoned:
		return withConnect(jsonObj{{"type", "string"}})
	}
	return "null" // unreachable: planColumn only returns known kinds
}

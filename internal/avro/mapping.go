package avro

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// kind is how a column's value travels in Avro. Every SQL Server type maps to
// exactly one kind, through typeMappings.
type kind uint8

const (
	kindBoolean   kind = iota + 1 // boolean
	kindInt                       // int, range-checked against the SQL type
	kindLong                      // long
	kindDecimal                   // bytes, logicalType decimal
	kindDouble                    // double
	kindFloat                     // float
	kindString                    // string
	kindBytes                     // bytes
	kindUUID                      // string, logicalType uuid
	kindDate                      // int, logicalType date
	kindTime                      // long, logicalType time-micros
	kindTimestamp                 // long, logicalType local-timestamp-micros
	kindZoned                     // string, ISO-8601 with offset
)

// typeMapping is one row of the SQL Server → Avro type table. The same rows
// drive the schema generator, the value codec and the documentation table
// (TYPES.md, rendered by a test), so they cannot drift apart.
type typeMapping struct {
	SQLTypes []string
	kind     kind
	// Avro is the Avro type as the documentation shows it.
	Avro string
	// GoType is the Go type of the value in event.Row.
	GoType string
	// ConnectName is the Kafka Connect / Debezium semantic type name written
	// as "connect.name" on the Avro type, empty when Debezium uses none.
	ConnectName string
	// Note says what is lost or changed on the way, if anything.
	Note string
	// min and max bound kindInt values.
	min, max int64
	// precision and scale, when non-zero, fix the decimal's precision and
	// scale whatever the column says (money, smallmoney).
	precision, scale int
}

// typeMappings returns the SQL Server → Avro type table, in documentation
// order. It is a function, not a variable, so that no code can change it.
func typeMappings() []typeMapping {
	return []typeMapping{
		{SQLTypes: []string{"bit"}, kind: kindBoolean, Avro: "boolean", GoType: "bool"},
		{SQLTypes: []string{"tinyint"}, kind: kindInt, Avro: "int", GoType: "int64", Note: "0 to 255", min: 0, max: 255},
		{SQLTypes: []string{"smallint"}, kind: kindInt, Avro: "int", GoType: "int64", min: math.MinInt16, max: math.MaxInt16},
		{SQLTypes: []string{"int"}, kind: kindInt, Avro: "int", GoType: "int64", min: math.MinInt32, max: math.MaxInt32},
		{SQLTypes: []string{"bigint"}, kind: kindLong, Avro: "long", GoType: "int64", min: math.MinInt64, max: math.MaxInt64},
		{SQLTypes: []string{"decimal", "numeric"}, kind: kindDecimal, Avro: "bytes, decimal(p,s)", GoType: "*big.Rat",
			ConnectName: connectDecimal, Note: "exact; a value with more than s decimals or more than p digits is refused, never rounded"},
		{SQLTypes: []string{"money"}, kind: kindDecimal, Avro: "bytes, decimal(19,4)", GoType: "*big.Rat",
			ConnectName: connectDecimal, precision: 19, scale: 4},
		{SQLTypes: []string{"smallmoney"}, kind: kindDecimal, Avro: "bytes, decimal(10,4)", GoType: "*big.Rat",
			ConnectName: connectDecimal, precision: 10, scale: 4},
		{SQLTypes: []string{"float"}, kind: kindDouble, Avro: "double", GoType: "float64"},
		{SQLTypes: []string{"real"}, kind: kindFloat, Avro: "float", GoType: "float32"},
		{SQLTypes: []string{"char", "varchar", "nchar", "nvarchar", "text", "ntext"}, kind: kindString, Avro: "string", GoType: "string",
			Note: "UTF-8 whatever the source collation; the collation is kept in mssql.collation"},
		{SQLTypes: []string{"xml"}, kind: kindString, Avro: "string", GoType: "string", ConnectName: "io.debezium.data.Xml"},
		{SQLTypes: []string{"binary", "varbinary", "image"}, kind: kindBytes, Avro: "bytes", GoType: "[]byte"},
		{SQLTypes: []string{"uniqueidentifier"}, kind: kindUUID, Avro: "string, uuid", GoType: "string",
			Note: "SQL Server's upper-case text form, 6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{SQLTypes: []string{"date"}, kind: kindDate, Avro: "int, date", GoType: "time.Time (midnight UTC)",
			ConnectName: "io.debezium.time.Date", Note: "days since 1970-01-01; 0001-01-01 to 9999-12-31"},
		{SQLTypes: []string{"time"}, kind: kindTime, Avro: "long, time-micros", GoType: "time.Duration",
			ConnectName: "io.debezium.time.MicroTime",
			Note:        "time(7): the 7th digit is rounded half up to the microsecond (.1234565 → .123457), but never past 23:59:59.999999"},
		{SQLTypes: []string{"datetime", "smalldatetime", "datetime2"}, kind: kindTimestamp, Avro: "long, local-timestamp-micros", GoType: "time.Time (UTC, wall clock)",
			ConnectName: "io.debezium.time.MicroTimestamp",
			Note:        "wall clock, no zone; datetime's 1/300 s (.003 is .0033333) and datetime2(7)'s 100 ns are rounded half up to the microsecond, but never past 9999-12-31 23:59:59.999999"},
		{SQLTypes: []string{"datetimeoffset"}, kind: kindZoned, Avro: "string", GoType: "time.Time (fixed zone)",
			ConnectName: "io.debezium.time.ZonedTimestamp",
			Note:        "ISO-8601 with the source offset and the column's full precision: 2024-05-01T10:20:30.1234567+05:30"},
	}
}

// connectDecimal is Kafka Connect's logical decimal name, which Debezium uses
// with decimal.handling.mode=precise.
const connectDecimal = "org.apache.kafka.connect.data.Decimal"

// mappingFor returns the mapping row of a SQL Server type name.
func mappingFor(sqlType string) (typeMapping, bool) {
	t := strings.ToLower(sqlType)
	for _, m := range typeMappings() {
		for _, s := range m.SQLTypes {
			if s == t {
				return m, true
			}
		}
	}
	return typeMapping{}, false
}

// colPlan is everything the codec needs to know about one column.
type colPlan struct {
	col      catalog.Column
	m        typeMapping
	kind     kind
	nullable bool // the Avro type is a union with null
	// precision and scale of a decimal column's Avro logical type.
	precision, scale int
	// pow10Scale and pow10Precision are 10^scale and 10^precision, for
	// decimals; read-only once built.
	pow10Scale, pow10Precision *big.Int
}

// planColumn maps one column, or says why it cannot be synchronized.
func planColumn(t *catalog.Table, c catalog.Column) (colPlan, error) {
	m, ok := mappingFor(c.Type)
	if !ok {
		return colPlan{}, fmt.Errorf("table %s column %q: SQL Server type %q has no Avro mapping; exclude the column or the table", t.QualifiedName(), c.Name, c.Type)
	}
	p := colPlan{col: c, m: m, kind: m.kind, nullable: avroNullable(c)}
	if m.kind == kindDecimal {
		p.precision, p.scale = c.Precision, c.Scale
		if m.precision != 0 {
			p.precision, p.scale = m.precision, m.scale
		}
		if p.precision < 1 || p.precision > 38 || p.scale < 0 || p.scale > p.precision {
			return colPlan{}, fmt.Errorf("table %s column %q: %s has an impossible precision/scale (%d,%d)", t.QualifiedName(), c.Name, c.Type, p.precision, p.scale)
		}
		ten := big.NewInt(10)
		p.pow10Scale = new(big.Int).Exp(ten, big.NewInt(int64(p.scale)), nil)
		p.pow10Precision = new(big.Int).Exp(ten, big.NewInt(int64(p.precision)), nil)
	}
	return p, nil
}

// avroNullable reports whether a column's Avro type is a union with null:
// when the column is nullable, and always for large-value columns, whose
// value SQL Server's change tables may omit (see the unchanged field), and
// for a column added later, so that the new schema can read older events
// (BACKWARD compatibility).
func avroNullable(c catalog.Column) bool { return c.Nullable || c.IsLOB() || c.Optional }

// planTable maps every column of t, in order.
func planTable(t *catalog.Table) ([]colPlan, error) {
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s has no captured columns", t.QualifiedName())
	}
	ps := make([]colPlan, len(t.Columns))
	for i, c := range t.Columns {
		p, err := planColumn(t, c)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// TypesMarkdown renders the type mapping table as Markdown, for the README.
func TypesMarkdown() string {
	var b strings.Builder
	b.WriteString("| SQL Server | Avro | Go value (event.Row) | connect.name | Notes |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, m := range typeMappings() {
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", strings.Join(m.SQLTypes, ", "), m.Avro, m.GoType, m.ConnectName, m.Note)
	}
	b.WriteString("\nA nullable column's type is `[\"null\", T]` with default null; so is every large-value column " +
		"(text, ntext, image, xml, the (max) types), whose value an update may leave out (see the envelope's `unchanged` field). " +
		"Each field also carries the exact source type in `mssql.*` properties. Other types (sql_variant, hierarchyid, " +
		"geometry, geography, timestamp/rowversion, CLR types) are not synchronized.\n")
	return b.String()
}

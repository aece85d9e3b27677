package avro

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// avroName turns a SQL Server identifier into a valid Avro name
// ([A-Za-z_][A-Za-z0-9_]*), the way Debezium's schema.name.adjustment.mode
// avro_unicode does, so that distinct identifiers stay distinct:
//
//   - letters A-Z, a-z, digits and '_' are kept;
//   - every other character becomes _uXXXX, its UTF-16 code unit in lower-case
//     hex (a character outside the BMP becomes two, one per surrogate):
//     "Order Date" → "Order_u0020Date", "名字" → "_u540d_u5b57";
//   - a leading digit gets a '_' in front: "2fa" → "_2fa";
//   - the empty identifier becomes "_".
//
// The exact source name always travels in the schema too ("mssql.name" on a
// field whose name changed, "mssql.database"/"mssql.schema"/"mssql.table" on
// the Value record), so nothing is lost.
func avroName(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'):
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "_u%04x_u%04x", r1, r2)
		default:
			fmt.Fprintf(&b, "_u%04x", r)
		}
	}
	return b.String()
}

// namespaceOf is the namespace of a table's Key, Value and Envelope records:
// <prefix>.<db>.<schema>.<table>, each dot-separated part of the prefix and
// each name made a valid Avro name by avroName.
func namespaceOf(prefix string, t *catalog.Table) (string, error) {
	if strings.TrimSpace(prefix) == "" {
		return "", fmt.Errorf("table %s: the topic prefix is empty; set one, it names every schema and topic", t.QualifiedName())
	}
	var parts []string
	for _, p := range strings.Split(prefix, ".") {
		if p != "" {
			parts = append(parts, avroName(p))
		}
	}
	parts = append(parts, avroName(t.Database), avroName(t.Schema), avroName(t.Name))
	return strings.Join(parts, "."), nil
}

// fieldNames returns the Avro field name of every column of t, refusing two
// columns whose names collide after avroName.
func fieldNames(t *catalog.Table) ([]string, error) {
	names := make([]string, len(t.Columns))
	seen := make(map[string]string, len(t.Columns))
	for i, c := range t.Columns {
		n := avroName(c.Name)
		if other, ok := seen[n]; ok {
			return nil, fmt.Errorf("table %s: columns %q and %q both become Avro field %q; rename one", t.QualifiedName(), other, c.Name, n)
		}
		seen[n] = c.Name
		names[i] = n
	}
	return names, nil
}

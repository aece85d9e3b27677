package avro

import (
	"crypto/sha256"
	"encoding/hex"
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

// fieldNames returns the Avro field name of every column of t. Two columns
// can have the same avroName ("a b" and "a_u0020b", "2fa" and "_2fa"); they
// are kept apart, never merged, deterministically: in ordinal order, the
// first column gets avroName of its name, and a later one whose avroName is
// taken gets avroName + "_" + the first 8 hex digits of the SHA-256 of its
// source name (more digits in the unlikely case those are taken too), so
// "a_u0020b" next to an earlier "a b" becomes "a_u0020b_" + 8 hex digits.
//
// The source name travels in the field's mssql.name, so the consumer never
// needs to undo this. Names depend only on the columns, in order: a table
// gets the same names every time, and a column added later (a higher
// ordinal) never renames an existing field, which BACKWARD compatibility
// needs.
func fieldNames(t *catalog.Table) ([]string, error) {
	names := make([]string, len(t.Columns))
	taken := make(map[string]bool, len(t.Columns))
	for i, c := range t.Columns {
		n := avroName(c.Name)
		if taken[n] {
			sum := sha256.Sum256([]byte(c.Name))
			h := hex.EncodeToString(sum[:])
			digits := 8
			for taken[n+"_"+h[:digits]] && digits < len(h) {
				digits++
			}
			n += "_" + h[:digits]
		}
		if taken[n] {
			// Unreachable in practice: even the whole hash is taken.
			return nil, fmt.Errorf("table %s: column %q has no free Avro field name; rename it", t.QualifiedName(), c.Name)
		}
		names[i] = n
		taken[n] = true
	}
	return names, nil
}

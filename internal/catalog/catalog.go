// Package catalog describes a captured source table: its columns with their
// SQL Server types, and its primary key. It is the one description that the
// source reader fills from SQL Server, the Avro codec turns into a schema and
// back, and the target applier turns into DDL.
package catalog

import (
	"fmt"
	"strings"
)

// Column is one captured column of a source table.
type Column struct {
	Name string
	// Ordinal is the column's position in the source table (sys.columns.column_id,
	// 1-based). It is what __$update_mask bits refer to, via cdc.captured_columns.
	Ordinal int
	// Type is the SQL Server type name in lower case, as sys.types names it:
	// "int", "decimal", "nvarchar", "datetime2", "uniqueidentifier", ...
	Type string
	// Length is the declared length in characters for char, varchar, nchar
	// and nvarchar, in bytes for binary and varbinary, and MaxLength (-1) for
	// the (max) forms. Zero where the type has no length.
	Length int
	// Precision and Scale are those of decimal and numeric; Scale is also the
	// fractional-second precision of time, datetime2 and datetimeoffset.
	Precision int
	Scale     int
	Nullable  bool
	// Collation is the column's collation name for character types
	// (for example "SQL_Latin1_General_CP1_CI_AS"), empty otherwise.
	Collation string
	Identity  bool
	// Optional is set on a column the table gained (ALTER TABLE … ADD) after
	// it was first synchronized: events written before have no value for it,
	// so events carry it as an optional field whatever Nullable says.
	Optional bool
	// Fill is the value SQL Server gave the column in the rows that existed
	// when it was added (NOT NULL … DEFAULT, or DEFAULT … WITH VALUES), in
	// its ISO text form (see FillText); HasFill is false when they got NULL.
	Fill    string
	HasFill bool
}

// MaxLength is the Length of the (max) types: varchar(max), nvarchar(max),
// varbinary(max).
const MaxLength = -1

// TypeString renders the column's type as T-SQL would declare it, for
// messages and for carrying the exact source type through the schema.
func (c Column) TypeString() string {
	switch c.Type {
	case "decimal", "numeric":
		return fmt.Sprintf("%s(%d,%d)", c.Type, c.Precision, c.Scale)
	case "char", "varchar", "nchar", "nvarchar", "binary", "varbinary":
		if c.Length == MaxLength {
			return c.Type + "(max)"
		}
		return fmt.Sprintf("%s(%d)", c.Type, c.Length)
	case "time", "datetime2", "datetimeoffset":
		return fmt.Sprintf("%s(%d)", c.Type, c.Scale)
	default:
		return c.Type
	}
}

// IsLOB reports whether SQL Server treats the column as a large value in
// change data capture: text, ntext and image are NULL in change rows when
// they did not change, and so may be the (max) types and xml.
func (c Column) IsLOB() bool {
	switch c.Type {
	case "text", "ntext", "image", "xml":
		return true
	case "varchar", "nvarchar", "varbinary":
		return c.Length == MaxLength
	}
	return false
}

// Table is one captured source table.
type Table struct {
	Database string
	Schema   string
	Name     string
	// Columns are the columns carried in change events, in source ordinal
	// order. Columns of types that are not synchronized are not here.
	Columns []Column
	// PrimaryKey lists the key's column names in key order.
	PrimaryKey []string
	// CaptureInstance is the CDC capture instance the table is read through.
	CaptureInstance string
}

// QualifiedName is database.schema.table, the name used in topics and logs.
func (t *Table) QualifiedName() string {
	return t.Database + "." + t.Schema + "." + t.Name
}

// ColumnIndex returns the index in Columns of the named column, or -1.
// SQL Server names are compared case-insensitively, as the default collations
// do, but an exact match wins: a case-sensitive database may hold both T and t.
func (t *Table) ColumnIndex(name string) int {
	j := -1
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
		if j < 0 && strings.EqualFold(c.Name, name) {
			j = i
		}
	}
	return j
}

// KeyIndexes returns the indexes in Columns of the primary-key columns, in key
// order. It fails when a key column is missing, which happens only when the key
// uses a type that is not synchronized.
func (t *Table) KeyIndexes() ([]int, error) {
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("table %s has no primary key: add one, as every synchronized table needs it", t.QualifiedName())
	}
	idx := make([]int, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		j := t.ColumnIndex(k)
		if j < 0 {
			return nil, fmt.Errorf("table %s: primary-key column %q is not among the captured columns", t.QualifiedName(), k)
		}
		idx[i] = j
	}
	return idx, nil
}

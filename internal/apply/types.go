package apply

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// typeRule maps one SQL Server type to its target type. It is the one place
// where the mapping lives: DDL, staging tables and TYPES.md all read it.
type typeRule struct {
	source string // SQL Server type name, as catalog.Column.Type holds it
	// target renders the target type for a column of this source type.
	target func(c catalog.Column) string
	// targetDoc is the rule as TYPES.md shows it.
	targetDoc string
	// dts is the type Alibaba DTS documents for SQL Server → AnalyticDB for
	// PostgreSQL schema synchronization.
	dts string
	// why explains a difference from DTS, or a caveat; empty when none.
	why string
}

func fixed(t string) func(catalog.Column) string { return func(catalog.Column) string { return t } }

// maxFrac is PostgreSQL's largest fractional-second precision.
const maxFrac = 6

func frac(base, suffix string) func(catalog.Column) string {
	return func(c catalog.Column) string {
		return fmt.Sprintf("%s(%d)%s", base, min(c.Scale, maxFrac), suffix)
	}
}

func sized(base string) func(catalog.Column) string {
	return func(c catalog.Column) string {
		if c.Length == catalog.MaxLength || c.Length <= 0 {
			return "text"
		}
		return fmt.Sprintf("%s(%d)", base, c.Length)
	}
}

var typeRules = []typeRule{
	{"bit", fixed("boolean"), "boolean", "BIT", "The event value is a bool and boolean is what SQL users expect; bit(1) would need casts in every query."},
	{"tinyint", fixed("smallint"), "smallint", "SMALLINT", "PostgreSQL has no one-byte integer."},
	{"smallint", fixed("smallint"), "smallint", "SMALLINT", ""},
	{"int", fixed("integer"), "integer", "INTEGER", ""},
	{"bigint", fixed("bigint"), "bigint", "BIGINT", ""},
	{"decimal", func(c catalog.Column) string { return fmt.Sprintf("numeric(%d,%d)", c.Precision, c.Scale) }, "numeric(p,s)", "DECIMAL", "Precision and scale kept, so values are exact and round as at the source."},
	{"numeric", func(c catalog.Column) string { return fmt.Sprintf("numeric(%d,%d)", c.Precision, c.Scale) }, "numeric(p,s)", "DECIMAL", ""},
	{"money", fixed("numeric(19,4)"), "numeric(19,4)", "DECIMAL(19,4)", ""},
	{"smallmoney", fixed("numeric(10,4)"), "numeric(10,4)", "DECIMAL(10,4)", ""},
	{"float", fixed("double precision"), "double precision", "DOUBLE", ""},
	{"real", fixed("real"), "real", "REAL", ""},
	{"char", sized("char"), "char(n)", "CHARACTER(n)", "n bytes at the source hold at most n characters, so char(n) always fits; trailing blanks are kept as SQL Server pads them."},
	{"nchar", sized("char"), "char(n)", "CHARACTER(n)", "n UTF-16 code units hold at most n characters; a value with characters outside the BMP (two code units each) gets extra trailing blanks."},
	{"varchar", sized("varchar"), "varchar(n); text for (max)", "CHARACTER(n)", "DTS's table says CHARACTER(n), which would pad values with blanks; varchar(n) keeps them as stored."},
	{"nvarchar", sized("varchar"), "varchar(n); text for (max)", "(not in the table found)", "As varchar: n UTF-16 code units hold at most n characters."},
	{"text", fixed("text"), "text", "TEXT", ""},
	{"ntext", fixed("text"), "text", "TEXT", ""},
	{"xml", fixed("xml"), "xml", "XML", "SQL Server stores XML without its declaration, so PostgreSQL's xml (CONTENT) accepts every value."},
	{"binary", fixed("bytea"), "bytea", "BYTEA", ""},
	{"varbinary", fixed("bytea"), "bytea", "BYTEA", ""},
	{"image", fixed("bytea"), "bytea", "BYTEA", ""},
	{"uniqueidentifier", fixed("char(36)"), "char(36)", "CHARACTER(36)", "As DTS: SQL Server's upper-case text form, so values compare equal to the source's CAST(... AS char(36))."},
	{"date", fixed("date"), "date", "DATE", ""},
	{"time", frac("time", ""), "time(min(n,6))", "TIME WITHOUT TIME ZONE", "PostgreSQL keeps microseconds: the producer rounds time(7)'s 100 ns digit half up (.1234565 → .123457), never past 23:59:59.999999."},
	{"datetime", fixed("timestamp(3)"), "timestamp(3)", "TIMESTAMP(3) WITHOUT TIME ZONE", "datetime's 1/300 s ticks (.003 is .00333…) travel rounded to the microsecond; timestamp(3) rounds them to the milliseconds SQL Server displays (.003, .007)."},
	{"datetime2", frac("timestamp", ""), "timestamp(min(n,6))", "TIMESTAMP(7) WITHOUT TIME ZONE", "PostgreSQL's maximum precision is 6: the producer rounds datetime2(7)'s 100 ns digit half up (.1234565 → .123457), never past 9999-12-31 23:59:59.999999; keys that differ only in that digit would meet."},
	{"smalldatetime", fixed("timestamp(0)"), "timestamp(0)", "TIMESTAMP WITHOUT TIME ZONE", ""},
	{"datetimeoffset", frac("timestamptz", ""), "timestamptz(min(n,6))", "TIMESTAMP(7) WITH TIME ZONE", "The instant is kept; the source's offset is not (timestamptz stores UTC). The event keeps all 7 digits; the consumer rounds the 100 ns digit half up to the microsecond."},
}

// TargetType returns the target column type for a source column, or an
// error naming the column when its type is not synchronized.
func TargetType(c catalog.Column) (string, error) {
	for _, r := range typeRules {
		if r.source == c.Type {
			return r.target(c), nil
		}
	}
	return "", fmt.Errorf("column %q: SQL Server type %q is not synchronized (DTS skips timestamp, rowversion, hierarchyid, sql_variant, geometry, geography); exclude the column", c.Name, c.Type)
}

// TypesMarkdown renders the type mapping as a Markdown table, for TYPES.md.
func TypesMarkdown() string {
	var b strings.Builder
	b.WriteString("# SQL Server → PostgreSQL / AnalyticDB for PostgreSQL type mapping\n\n")
	b.WriteString("Generated from `internal/apply/types.go` by `go test ./internal/apply -run TestTypesMarkdown -update`.\n")
	b.WriteString("The DTS column is Alibaba DTS's documented mapping for SQL Server → AnalyticDB for PostgreSQL schema synchronization\n")
	b.WriteString("(as published in https://yq.aliyun.com/articles/749169); we follow it except where a note says why not.\n")
	b.WriteString("Every target table also gets the hidden column `__source_lsn bytea` (see the package documentation).\n")
	b.WriteString("Only primary-key columns are NOT NULL: a large value an update did not touch may meet a row the target lacks.\n\n")
	b.WriteString("| SQL Server | Target | DTS | Notes |\n|---|---|---|---|\n")
	for _, r := range typeRules {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.source, r.targetDoc, r.dts, r.why)
	}
	return b.String()
}

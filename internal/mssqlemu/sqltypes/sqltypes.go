// Package sqltypes holds SQL Server's data types and the Go values the
// emulator keeps for them. Values keep SQL Server's own semantics (decimals
// as scaled integers, datetime2 as 100 ns ticks, GUIDs as stored bytes) so
// that the engine computes as SQL Server does and the TDS encoder never guesses.
package sqltypes

import "math/big"

// TypeID names a SQL Server system type.
type TypeID uint8

const (
	Unknown TypeID = iota
	Bit
	TinyInt
	SmallInt
	Int
	BigInt
	Decimal
	Numeric
	Money
	SmallMoney
	Float
	Real
	Char
	VarChar
	NChar
	NVarChar
	Text
	NText
	Binary
	VarBinary
	Image
	UniqueIdentifier
	Date
	Time
	DateTime
	DateTime2
	SmallDateTime
	DateTimeOffset
	XML
	// Types that DTS does not synchronize; the emulator stores and returns
	// them so their exclusion can be tested.
	Timestamp // rowversion
	HierarchyID
	SQLVariant
	Geometry
	Geography
	SysName // nvarchar(128) alias used by the catalog
)

// Max is the Length of varchar(max), nvarchar(max) and varbinary(max).
const Max = -1

// Collation identifies a character column's collation. CodePage is the
// Windows code page that non-Unicode (char, varchar, text) data is stored in.
type Collation struct {
	Name     string // e.g. "SQL_Latin1_General_CP1_CI_AS"
	LCID     uint32
	SortID   uint8
	CodePage int
}

// Type is a column's or expression's full type.
type Type struct {
	ID TypeID
	// Length is in characters for char/varchar/nchar/nvarchar, in bytes for
	// binary/varbinary; Max for the (max) forms.
	Length    int
	Precision uint8 // decimal/numeric precision
	Scale     uint8 // decimal/numeric scale; fractional-second digits of time/datetime2/datetimeoffset
	Collation Collation
}

// The Go types of values. NULL is nil; the other system types map as:
//
//	bit → bool; tinyint/smallint/int/bigint → int64; decimal/numeric → DecimalValue;
//	money/smallmoney → MoneyValue; float → float64; real → float32;
//	char/varchar/nchar/nvarchar/text/ntext/sysname → string (UTF-8 in memory);
//	binary/varbinary/image/timestamp/hierarchyid/geometry/geography/sql_variant → []byte;
//	uniqueidentifier → GUID; date → DateValue; time → TimeValue; datetime → DateTimeValue;
//	smalldatetime → SmallDateTimeValue; datetime2 → DateTime2Value;
//	datetimeoffset → DateTimeOffsetValue; xml → XMLValue.

// DecimalValue is Unscaled × 10^-Scale.
type DecimalValue struct {
	Unscaled *big.Int
	Scale    uint8
}

// MoneyValue is an amount in ten-thousandths, as money and smallmoney store it.
type MoneyValue int64

// GUID holds a uniqueidentifier's 16 bytes in SQL Server's storage order
// (the first three groups little-endian), exactly as TDS carries them.
type GUID [16]byte

// DateValue is days since 0001-01-01.
type DateValue int32

// TimeValue is 100 ns ticks since midnight.
type TimeValue int64

// DateTimeValue is datetime: days since 1900-01-01 (may be negative, down to
// 1753-01-01) and 1/300-second ticks since midnight.
type DateTimeValue struct {
	Days  int32
	Ticks uint32
}

// SmallDateTimeValue is days since 1900-01-01 and minutes since midnight.
type SmallDateTimeValue struct {
	Days    uint16
	Minutes uint16
}

// DateTime2Value is a date and a time of day.
type DateTime2Value struct {
	Date DateValue
	Time TimeValue
}

// DateTimeOffsetValue holds the instant in UTC and the offset it was written with.
type DateTimeOffsetValue struct {
	UTC           DateTime2Value
	OffsetMinutes int16
}

// XMLValue is an xml document or fragment.
type XMLValue string

// VariantValue is a sql_variant value with its base type, as CAST(x AS
// sql_variant) and assignment to a sql_variant column make it. The
// protocol encodes it with its base type (MS-TDS 2.2.5.5.4); a variant
// decoded from the wire may instead be held as its TDS bytes ([]byte).
type VariantValue struct {
	Base  Type
	Value any
}

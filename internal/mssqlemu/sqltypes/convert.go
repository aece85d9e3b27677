package sqltypes

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Error is a conversion or arithmetic failure with SQL Server's message
// number, state and text; the engine turns it into an error message.
type Error struct {
	Number int32
	State  uint8
	Text   string
}

func (e *Error) Error() string { return fmt.Sprintf("Msg %d: %s", e.Number, e.Text) }

func errf(num int32, format string, args ...any) *Error {
	return &Error{Number: num, State: 1, Text: fmt.Sprintf(format, args...)}
}

// ErrDivideByZero is Msg 8134.
func ErrDivideByZero() *Error { return errf(8134, "Divide by zero error encountered.") }

func overflow(to Type) *Error {
	return errf(8115, "Arithmetic overflow error converting expression to data type %s.", to.ID.Name())
}

// TypeOf returns the natural type of a Go value, used for values that have
// no declared type (literals, results of functions).
func TypeOf(v any) Type {
	switch x := v.(type) {
	case bool:
		return BitType
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return IntType
		}
		return BigIntType
	case DecimalValue:
		p := uint8(len(new(big.Int).Abs(x.Unscaled).String()))
		if p < x.Scale+1 {
			p = x.Scale + 1
		}
		if p > 38 {
			p = 38
		}
		return DecimalType(p, x.Scale)
	case MoneyValue:
		return Type{ID: Money}
	case float64:
		return FloatType
	case float32:
		return Type{ID: Real}
	case string:
		n := utf16Len(x)
		if n == 0 {
			n = 1
		}
		if n > 4000 {
			n = Max
		}
		return NVarCharType(n)
	case []byte:
		n := len(x)
		if n == 0 {
			n = 1
		}
		if n > 8000 {
			n = Max
		}
		return VarBinaryType(n)
	case GUID:
		return GUIDType
	case DateValue:
		return DateType
	case TimeValue:
		return Type{ID: Time, Scale: 7}
	case DateTimeValue:
		return DateTimeType
	case SmallDateTimeValue:
		return Type{ID: SmallDateTime}
	case DateTime2Value:
		return DateTime2Type
	case DateTimeOffsetValue:
		return Type{ID: DateTimeOffset, Scale: 7}
	case XMLValue:
		return Type{ID: XML, Length: Max}
	case VariantValue:
		return Type{ID: SQLVariant}
	}
	return Type{ID: Unknown}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// CharLength is the length of s as a column of type t counts it: UTF-16
// code units for Unicode types, code-page bytes otherwise.
func CharLength(s string, t Type) int {
	if t.ID.IsUnicode() {
		return utf16Len(s)
	}
	if t.Collation.CodePage == 65001 {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// ToCodePage maps s through the collation's code page as varchar storage
// does: characters the code page lacks become '?'.
func ToCodePage(s string, c Collation) string {
	if c.CodePage == 65001 {
		return s
	}
	b, err := EncodeCodePage(s, c.codePage())
	if err != nil {
		return s
	}
	out, err := DecodeCodePage(b, c.codePage())
	if err != nil {
		return s
	}
	return out
}

// StringBytes encodes s as the type stores it: UTF-16LE for Unicode types,
// the code page otherwise (DATALENGTH, CAST to varbinary).
func StringBytes(s string, t Type) []byte {
	if t.ID.IsUnicode() {
		u := utf16.Encode([]rune(s))
		b := make([]byte, 2*len(u))
		for i, c := range u {
			b[2*i], b[2*i+1] = byte(c), byte(c>>8)
		}
		return b
	}
	b, err := EncodeCodePage(s, t.Collation.codePage())
	if err != nil {
		return []byte(s)
	}
	return b
}

func bytesToString(b []byte, to Type) string {
	if to.ID.IsUnicode() {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(u))
	}
	s, err := DecodeCodePage(b, to.Collation.codePage())
	if err != nil {
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(charmap.Windows1252.DecodeByte(c))
		}
		return sb.String()
	}
	return s
}

func srcName(from Type) string {
	if from.ID == Unknown {
		return "varchar"
	}
	if from.ID == SysName {
		return "nvarchar"
	}
	return from.ID.Name()
}

// Convert converts v (of type from) to type to as CAST/CONVERT do; style is
// the CONVERT style or -1. Values are fitted to to's length/precision/scale.
func Convert(v any, from, to Type, style int) (any, error) {
	if v == nil {
		return nil, nil
	}
	if from.ID == Unknown {
		from = TypeOf(v)
	}
	if x, ok := v.(VariantValue); ok {
		if to.ID == SQLVariant {
			return x, nil
		}
		return Convert(x.Value, x.Base, to, style)
	}
	if to.ID == SQLVariant {
		return ToVariant(v, from)
	}
	switch {
	case to.ID.IsCharacter():
		s, err := ToString(v, from, style)
		var se *Error
		if errors.As(err, &se) && se.Number == 9809 {
			return nil, &Error{Number: 9809, State: se.State, Text: strings.TrimSuffix(se.Text, "varchar.") + to.ID.Name() + "."}
		}
		if err != nil {
			return nil, err
		}
		return fitString(s, to), nil
	case to.ID == XML:
		switch x := v.(type) {
		case string:
			return XMLValue(x), nil
		case XMLValue:
			return x, nil
		case []byte:
			return XMLValue(bytesToString(x, Type{ID: NVarChar})), nil
		}
	case to.ID == HierarchyID:
		return toHierarchyID(v, from)
	case to.ID == Geometry || to.ID == Geography:
		return toSpatial(v, from, to)
	case to.ID.IsBinary():
		b, err := toBytes(v, from, style)
		if err != nil {
			return nil, err
		}
		return fitBinary(b, to), nil
	case to.ID.IsInteger():
		return toInteger(v, from, to)
	case to.ID == Decimal || to.ID == Numeric:
		r, err := toRat(v, from, to)
		if err != nil {
			return nil, err
		}
		return RatToDecimal(r, to)
	case to.ID == Money || to.ID == SmallMoney:
		r, err := toRat(v, from, to)
		if err != nil {
			return nil, err
		}
		d, err := RatToDecimal(r, DecimalType(38, 4))
		if err != nil {
			return nil, err
		}
		u := d.(DecimalValue).Unscaled
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if to.ID == SmallMoney {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if !u.IsInt64() || u.Int64() < lo || u.Int64() > hi {
			return nil, overflow(to)
		}
		return MoneyValue(u.Int64()), nil
	case to.ID == Float || to.ID == Real:
		f, err := toFloat(v, from, to)
		if err != nil {
			return nil, err
		}
		if to.ID == Real {
			if math.Abs(f) > math.MaxFloat32 {
				return nil, overflow(to)
			}
			return float32(f), nil
		}
		return f, nil
	case to.ID == UniqueIdentifier:
		switch x := v.(type) {
		case GUID:
			return x, nil
		case string:
			g, ok := ParseGUID(x)
			if !ok {
				return nil, errf(8169, "Conversion failed when converting from a character string to uniqueidentifier.")
			}
			return g, nil
		case []byte:
			var g GUID
			copy(g[:], x)
			return g, nil
		}
	case to.ID.IsDateTime():
		return toDateTime(v, from, to, style)
	}
	return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
}

func fitString(s string, to Type) string {
	if !to.ID.IsUnicode() {
		s = ToCodePage(s, to.Collation)
	}
	if to.Length > 0 && CharLength(s, to) > to.Length {
		s = truncateChars(s, to)
	}
	if (to.ID == Char || to.ID == NChar) && to.Length > 0 {
		if n := CharLength(s, to); n < to.Length {
			s += strings.Repeat(" ", to.Length-n)
		}
	}
	return s
}

func truncateChars(s string, to Type) string {
	n := 0
	for i, r := range s {
		w := 1
		if to.ID.IsUnicode() && r >= 0x10000 {
			w = 2
		}
		if n+w > to.Length {
			return s[:i]
		}
		n += w
	}
	return s
}

func fitBinary(b []byte, to Type) []byte {
	if to.Length > 0 && len(b) > to.Length {
		b = b[:to.Length]
	}
	if to.ID == Binary && to.Length > 0 && len(b) < to.Length {
		b = append(append([]byte(nil), b...), make([]byte, to.Length-len(b))...)
	}
	return b
}

// ToString renders v as CAST(v AS nvarchar) or CONVERT(..., style) does.
func ToString(v any, from Type, style int) (string, error) {
	switch x := v.(type) {
	case VariantValue:
		return ToString(x.Value, x.Base, style)
	case string:
		return x, nil
	case XMLValue:
		return string(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case DecimalValue:
		return x.String(), nil
	case MoneyValue:
		d := DecimalValue{Unscaled: big.NewInt(int64(x)), Scale: 4}
		r := d.Rat()
		if style == 2 || style == 126 {
			return d.String(), nil
		}
		s := r.FloatString(2)
		if style == 1 {
			return commas(s), nil
		}
		return s, nil
	case float64:
		return formatFloat(x, 64, style), nil
	case float32:
		return formatFloat(float64(x), 32, style), nil
	case []byte:
		switch from.ID {
		case HierarchyID:
			return HierarchyIDString(x)
		case Geometry, Geography:
			return spatialString(x, from.ID == Geography)
		}
		if style == 1 || style == 2 {
			h := strings.ToUpper(hex.EncodeToString(x))
			if style == 1 {
				return "0x" + h, nil
			}
			return h, nil
		}
		return bytesToString(x, from), nil
	case GUID:
		return x.String(), nil
	}
	if c, ok := toCivil(v); ok {
		scale := from.Scale
		if from.ID == Unknown || !from.ID.IsDateTime() {
			scale = 7
		}
		id := TypeOf(v).ID
		return formatCivil(c, id, scale, style)
	}
	return "", fmt.Errorf("cannot convert %T to a string", v)
}

// toHierarchyID converts the logical form (a string) or the binary form
// (binary, varbinary) to a hierarchyid, checking that the bytes are one.
func toHierarchyID(v any, from Type) (any, error) {
	switch x := v.(type) {
	case string:
		return HierarchyIDFromString(x)
	case []byte:
		if _, err := DecodeHierarchyID(x); err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, errf(529, "Explicit conversion from data type %s to hierarchyid is not allowed.", srcName(from))
}

func toBytes(v any, from Type, style int) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		if style == 1 || style == 2 {
			h := x
			if style == 1 {
				h = strings.TrimPrefix(strings.TrimPrefix(h, "0x"), "0X")
			}
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, errf(8114, "Error converting data type %s to varbinary.", srcName(from))
			}
			return b, nil
		}
		if !from.ID.IsCharacter() {
			from = NVarCharType(Max)
		}
		return StringBytes(x, from), nil
	case XMLValue:
		return StringBytes(string(x), NVarCharType(Max)), nil
	case bool:
		if x {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case int64:
		n := 4
		switch from.ID {
		case BigInt:
			n = 8
		case SmallInt:
			n = 2
		case TinyInt, Bit:
			n = 1
		}
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = byte(x)
			x >>= 8
		}
		return b, nil
	case GUID:
		return x[:], nil
	}
	return nil, errf(529, "Explicit conversion from data type %s to varbinary is not allowed.", srcName(from))
}

// ToVariant wraps v, of type from, as a sql_variant. Types a sql_variant
// cannot hold (max and LOB types, xml, rowversion, CLR types) fail with
// SQL Server's Msg 206 operand type clash.
func ToVariant(v any, from Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if x, ok := v.(VariantValue); ok {
		return x, nil
	}
	if from.ID == Unknown || from.ID == SQLVariant {
		from = TypeOf(v)
	}
	switch from.ID {
	case Text, NText, Image, XML, Timestamp, HierarchyID, Geometry, Geography, SQLVariant, Unknown:
		return nil, errf(206, "Operand type clash: %s is incompatible with sql_variant", from.ID.Name())
	}
	if from.Length == Max {
		return nil, errf(206, "Operand type clash: %s(max) is incompatible with sql_variant", from.ID.Name())
	}
	return VariantValue{Base: from, Value: v}, nil
}

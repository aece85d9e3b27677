package tds

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// typeInfoUse says where a TYPE_INFO goes: its form differs slightly.
type typeInfoUse uint8

const (
	useColumn      typeInfoUse = iota // COLMETADATA: text/ntext/image carry a table name
	useReturnValue                    // RETURNVALUE: like a column without table name
	useRPCParam                       // RPC parameter: UDTs carry only their names
)

// writeTypeInfo writes TYPE_INFO for t.
func writeTypeInfo(w *wbuf, t sqltypes.Type, use typeInfoUse) error {
	switch t.ID {
	case sqltypes.Bit:
		w.u8(tBitN)
		w.u8(1)
	case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Int, sqltypes.BigInt:
		w.u8(tIntN)
		w.u8(byte(intSize(t.ID)))
	case sqltypes.Decimal, sqltypes.Numeric:
		id := tDecimalN
		if t.ID == sqltypes.Numeric {
			id = tNumericN
		}
		p := precisionOf(t)
		w.u8(id)
		w.u8(byte(decimalSize(p)))
		w.u8(p)
		w.u8(min(t.Scale, p))
	case sqltypes.Money, sqltypes.SmallMoney:
		w.u8(tMoneyN)
		w.u8(byte(moneySize(t.ID)))
	case sqltypes.Float, sqltypes.Real:
		w.u8(tFltN)
		if t.ID == sqltypes.Real {
			w.u8(4)
		} else {
			w.u8(8)
		}
	case sqltypes.Char, sqltypes.VarChar:
		id := tBigChar
		if t.ID == sqltypes.VarChar {
			id = tBigVarChar
		}
		w.u8(id)
		w.u16(shortMaxLen(t, 1))
		coll := collationBytes(t.Collation)
		w.raw(coll[:])
	case sqltypes.NChar, sqltypes.NVarChar, sqltypes.SysName:
		id := tNChar
		if t.ID != sqltypes.NChar {
			id = tNVarChar
		}
		if t.ID == sqltypes.SysName {
			t = sqltypes.Type{ID: sqltypes.NVarChar, Length: 128, Collation: t.Collation}
		}
		w.u8(id)
		w.u16(shortMaxLen(t, 2))
		coll := collationBytes(t.Collation)
		w.raw(coll[:])
	case sqltypes.Binary, sqltypes.VarBinary, sqltypes.Timestamp:
		id := tBigBinary
		if t.ID == sqltypes.VarBinary {
			id = tBigVarBin
		}
		if t.ID == sqltypes.Timestamp {
			t.Length = 8
		}
		w.u8(id)
		w.u16(shortMaxLen(t, 1))
	case sqltypes.Text, sqltypes.NText, sqltypes.Image:
		switch t.ID {
		case sqltypes.Text:
			w.u8(tText)
			w.u32(textMaxLen)
		case sqltypes.NText:
			w.u8(tNText)
			w.u32(ntextMaxLen)
		default:
			w.u8(tImage)
			w.u32(textMaxLen)
		}
		if t.ID != sqltypes.Image {
			coll := collationBytes(t.Collation)
			w.raw(coll[:])
		}
		if use == useColumn {
			w.u8(0) // table name: no parts
		}
	case sqltypes.UniqueIdentifier:
		w.u8(tGUID)
		w.u8(16)
	case sqltypes.Date:
		w.u8(tDateN)
	case sqltypes.Time:
		w.u8(tTimeN)
		w.u8(scaleOf(t))
	case sqltypes.DateTime2:
		w.u8(tDateTime2N)
		w.u8(scaleOf(t))
	case sqltypes.DateTimeOffset:
		w.u8(tDTOffsetN)
		w.u8(scaleOf(t))
	case sqltypes.DateTime:
		w.u8(tDateTimN)
		w.u8(8)
	case sqltypes.SmallDateTime:
		w.u8(tDateTimN)
		w.u8(4)
	case sqltypes.XML:
		w.u8(tXML)
		w.u8(0) // no schema collection
	case sqltypes.HierarchyID, sqltypes.Geometry, sqltypes.Geography:
		name, asm, maxBytes := udtInfo(t.ID)
		w.u8(tUDT)
		if use != useRPCParam {
			w.u16(maxBytes)
		}
		w.bVarChar("") // database of the type: the built-in types have none
		w.bVarChar("sys")
		w.bVarChar(name)
		if use != useRPCParam {
			w.usVarChar(asm)
		}
	case sqltypes.SQLVariant:
		w.u8(tSSVariant)
		w.u32(variantMaxLen)
	default:
		return fmt.Errorf("type id %d has no TDS encoding", t.ID)
	}
	return nil
}

func udtInfo(id sqltypes.TypeID) (name, assembly string, maxBytes uint16) {
	switch id {
	case sqltypes.HierarchyID:
		return "hierarchyid", assemblyHierarchyID, hierarchyIDMaxBytes
	case sqltypes.Geometry:
		return "geometry", assemblyGeometry, 0xFFFF
	}
	return "geography", assemblyGeography, 0xFFFF
}

func intSize(id sqltypes.TypeID) int {
	switch id {
	case sqltypes.TinyInt:
		return 1
	case sqltypes.SmallInt:
		return 2
	case sqltypes.Int:
		return 4
	}
	return 8
}

func moneySize(id sqltypes.TypeID) int {
	if id == sqltypes.SmallMoney {
		return 4
	}
	return 8
}

// shortMaxLen is the USHORTLEN maximum length in bytes; 0xFFFF marks (max).
func shortMaxLen(t sqltypes.Type, unit int) uint16 {
	if isMax(t) {
		return 0xFFFF
	}
	n := t.Length
	if n <= 0 {
		n = 1
	}
	return uint16(n * unit)
}

// writeValue encodes one value of type t as ROW, RETURNVALUE and RPC
// parameters carry it. v is a sqltypes value or nil for NULL.
func writeValue(w *wbuf, t sqltypes.Type, v any) error {
	if v == nil {
		writeNull(w, t)
		return nil
	}
	switch t.ID {
	case sqltypes.Bit:
		b, ok := v.(bool)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(1)
		if b {
			w.u8(1)
		} else {
			w.u8(0)
		}
	case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Int, sqltypes.BigInt:
		i, ok := v.(int64)
		if !ok {
			return typeMismatch(t, v)
		}
		n := intSize(t.ID)
		w.u8(byte(n))
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		w.raw(b[:n])
	case sqltypes.Decimal, sqltypes.Numeric:
		d, ok := v.(sqltypes.DecimalValue)
		if !ok {
			return typeMismatch(t, v)
		}
		return writeDecimal(w, t, d, true)
	case sqltypes.Money, sqltypes.SmallMoney:
		m, ok := v.(sqltypes.MoneyValue)
		if !ok {
			return typeMismatch(t, v)
		}
		writeMoney(w, t.ID, int64(m), true)
	case sqltypes.Float:
		f, ok := v.(float64)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(8)
		w.u64(math.Float64bits(f))
	case sqltypes.Real:
		f, ok := v.(float32)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(4)
		w.u32(math.Float32bits(f))
	case sqltypes.Char, sqltypes.VarChar, sqltypes.Text:
		s, ok := v.(string)
		if !ok {
			return typeMismatch(t, v)
		}
		b, err := encodeCodePage(s, collationCodePage(t.Collation))
		if err != nil {
			return fmt.Errorf("encode %s value: %w", typeName(t), err)
		}
		if t.ID == sqltypes.Char {
			b = padTo(b, t.Length, ' ')
		}
		writeBytes(w, t, b)
	case sqltypes.NChar, sqltypes.NVarChar, sqltypes.NText, sqltypes.SysName:
		s, ok := v.(string)
		if !ok {
			return typeMismatch(t, v)
		}
		b := encodeUTF16(s)
		if t.ID == sqltypes.NChar {
			b = padUTF16(b, t.Length)
		}
		writeBytes(w, t, b)
	case sqltypes.Binary, sqltypes.VarBinary, sqltypes.Image, sqltypes.Timestamp,
		sqltypes.HierarchyID, sqltypes.Geometry, sqltypes.Geography:
		b, ok := v.([]byte)
		if !ok {
			return typeMismatch(t, v)
		}
		if t.ID == sqltypes.Binary {
			b = padTo(b, t.Length, 0)
		}
		writeBytes(w, t, b)
	case sqltypes.SQLVariant:
		b, ok := v.([]byte)
		if x, isVariant := v.(sqltypes.VariantValue); isVariant {
			var err error
			if b, err = EncodeVariant(x.Base, x.Value); err != nil {
				return err
			}
			ok = true
		}
		if !ok {
			return typeMismatch(t, v)
		}
		w.u32(uint32(len(b)))
		w.raw(b)
	case sqltypes.XML:
		x, ok := v.(sqltypes.XMLValue)
		if !ok {
			s, isStr := v.(string)
			if !isStr {
				return typeMismatch(t, v)
			}
			x = sqltypes.XMLValue(s)
		}
		writePLP(w, encodeUTF16(string(x)))
	case sqltypes.UniqueIdentifier:
		g, ok := v.(sqltypes.GUID)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(16)
		w.raw(g[:])
	default:
		return writeTemporal(w, t, v)
	}
	return nil
}

// writeTemporal encodes date, time, datetime2, datetimeoffset, datetime and smalldatetime.
func writeTemporal(w *wbuf, t sqltypes.Type, v any) error {
	switch t.ID {
	case sqltypes.Date:
		d, ok := v.(sqltypes.DateValue)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(3)
		putDate(w, d)
	case sqltypes.Time:
		tv, ok := v.(sqltypes.TimeValue)
		if !ok {
			return typeMismatch(t, v)
		}
		s := scaleOf(t)
		w.u8(byte(timeSize(s)))
		putTime(w, tv, s)
	case sqltypes.DateTime2:
		dt, ok := v.(sqltypes.DateTime2Value)
		if !ok {
			return typeMismatch(t, v)
		}
		s := scaleOf(t)
		w.u8(byte(timeSize(s) + 3))
		putTime(w, dt.Time, s)
		putDate(w, dt.Date)
	case sqltypes.DateTimeOffset:
		dto, ok := v.(sqltypes.DateTimeOffsetValue)
		if !ok {
			return typeMismatch(t, v)
		}
		s := scaleOf(t)
		w.u8(byte(timeSize(s) + 5))
		putTime(w, dto.UTC.Time, s)
		putDate(w, dto.UTC.Date)
		w.u16(uint16(dto.OffsetMinutes))
	case sqltypes.DateTime:
		dt, ok := v.(sqltypes.DateTimeValue)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(8)
		w.u32(uint32(dt.Days))
		w.u32(dt.Ticks)
	case sqltypes.SmallDateTime:
		dt, ok := v.(sqltypes.SmallDateTimeValue)
		if !ok {
			return typeMismatch(t, v)
		}
		w.u8(4)
		w.u16(dt.Days)
		w.u16(dt.Minutes)
	default:
		return fmt.Errorf("type id %d has no TDS encoding", t.ID)
	}
	return nil
}

func putDate(w *wbuf, d sqltypes.DateValue) {
	w.raw([]byte{byte(d), byte(d >> 8), byte(d >> 16)})
}

// putTime writes 100 ns ticks at the given scale in timeSize(scale) bytes.
func putTime(w *wbuf, ticks sqltypes.TimeValue, scale uint8) {
	v := uint64(int64(ticks) / pow10(7-int(scale)))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.raw(b[:timeSize(scale)])
}

// writeNull writes the NULL form of a value of type t.
func writeNull(w *wbuf, t sqltypes.Type) {
	switch {
	case isMax(t):
		w.u64(plpNull)
	case t.ID == sqltypes.Text || t.ID == sqltypes.NText || t.ID == sqltypes.Image:
		w.u8(0) // no text pointer
	case t.ID == sqltypes.SQLVariant:
		w.u32(0)
	case usesShortLen(t.ID):
		w.u16(0xFFFF)
	default:
		w.u8(0)
	}
}

func usesShortLen(id sqltypes.TypeID) bool {
	switch id {
	case sqltypes.Char, sqltypes.VarChar, sqltypes.NChar, sqltypes.NVarChar, sqltypes.SysName,
		sqltypes.Binary, sqltypes.VarBinary, sqltypes.Timestamp:
		return true
	}
	return false
}

// writeBytes writes a non-NULL string or binary value in the length form its type uses.
func writeBytes(w *wbuf, t sqltypes.Type, b []byte) {
	switch {
	case isMax(t):
		writePLP(w, b)
	case t.ID == sqltypes.Text || t.ID == sqltypes.NText || t.ID == sqltypes.Image:
		w.u8(16)
		w.raw(make([]byte, 16)) // text pointer
		w.raw([]byte{0, 0, 0, 0, 0, 0, 0, 1})
		w.u32(uint32(len(b)))
		w.raw(b)
	default:
		w.u16(uint16(len(b)))
		w.raw(b)
	}
}

// plpChunk is the largest chunk written in a PLP value.
const plpChunk = 8000

// writePLP writes a partially length-prefixed value with its known length.
func writePLP(w *wbuf, b []byte) {
	w.u64(uint64(len(b)))
	for len(b) > 0 {
		n := min(len(b), plpChunk)
		w.u32(uint32(n))
		w.raw(b[:n])
		b = b[n:]
	}
	w.u32(0)
}

// writeDecimal writes sign and little-endian magnitude, rescaled to t's scale;
// withLen prefixes the length byte.
func writeDecimal(w *wbuf, t sqltypes.Type, d sqltypes.DecimalValue, withLen bool) error {
	p := precisionOf(t)
	mag := rescale(d, min(t.Scale, p))
	size := decimalSize(p)
	neg := mag.Sign() < 0
	mag.Abs(mag)
	raw := mag.Bytes() // big-endian
	if len(raw) > size-1 {
		return fmt.Errorf("decimal value %s×10^-%d does not fit %s", d.Unscaled, d.Scale, typeName(t))
	}
	if withLen {
		w.u8(byte(size))
	}
	if neg {
		w.u8(0)
	} else {
		w.u8(1)
	}
	le := make([]byte, size-1)
	for i, c := range raw {
		le[len(raw)-1-i] = c
	}
	w.raw(le)
	return nil
}

// rescale returns d's unscaled integer at the target scale, rounding half
// away from zero when digits are dropped.
func rescale(d sqltypes.DecimalValue, scale uint8) *big.Int {
	v := new(big.Int)
	if d.Unscaled != nil {
		v.Set(d.Unscaled)
	}
	switch {
	case scale > d.Scale:
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil))
	case scale < d.Scale:
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
		q, r := new(big.Int).QuoRem(v, div, new(big.Int))
		if r.Abs(r).Mul(r, big.NewInt(2)).Cmp(div) >= 0 {
			if v.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		v = q
	}
	return v
}

// writeMoney writes money (high 32 bits first) or smallmoney.
func writeMoney(w *wbuf, id sqltypes.TypeID, m int64, withLen bool) {
	if id == sqltypes.SmallMoney {
		if withLen {
			w.u8(4)
		}
		w.u32(uint32(int32(m)))
		return
	}
	if withLen {
		w.u8(8)
	}
	w.u32(uint32(uint64(m) >> 32))
	w.u32(uint32(m))
}

func padTo(b []byte, n int, pad byte) []byte {
	if n <= 0 || len(b) >= n {
		return b
	}
	out := make([]byte, n)
	copy(out, b)
	for i := len(b); i < n; i++ {
		out[i] = pad
	}
	return out
}

// padUTF16 pads UTF-16LE text with spaces to n characters.
func padUTF16(b []byte, n int) []byte {
	if n <= 0 || len(b) >= 2*n {
		return b
	}
	out := make([]byte, 2*n)
	copy(out, b)
	for i := len(b); i < len(out); i += 2 {
		out[i], out[i+1] = ' ', 0
	}
	return out
}

func typeMismatch(t sqltypes.Type, v any) error {
	return fmt.Errorf("value of Go type %T cannot be sent as %s; see the value mapping in package sqltypes", v, typeName(t))
}

// typeName is a short name for messages, e.g. "varchar(10)".
func typeName(t sqltypes.Type) string {
	names := map[sqltypes.TypeID]string{
		sqltypes.Bit: "bit", sqltypes.TinyInt: "tinyint", sqltypes.SmallInt: "smallint", sqltypes.Int: "int",
		sqltypes.BigInt: "bigint", sqltypes.Decimal: "decimal", sqltypes.Numeric: "numeric", sqltypes.Money: "money",
		sqltypes.SmallMoney: "smallmoney", sqltypes.Float: "float", sqltypes.Real: "real", sqltypes.Char: "char",
		sqltypes.VarChar: "varchar", sqltypes.NChar: "nchar", sqltypes.NVarChar: "nvarchar", sqltypes.Text: "text",
		sqltypes.NText: "ntext", sqltypes.Binary: "binary", sqltypes.VarBinary: "varbinary", sqltypes.Image: "image",
		sqltypes.UniqueIdentifier: "uniqueidentifier", sqltypes.Date: "date", sqltypes.Time: "time",
		sqltypes.DateTime: "datetime", sqltypes.DateTime2: "datetime2", sqltypes.SmallDateTime: "smalldatetime",
		sqltypes.DateTimeOffset: "datetimeoffset", sqltypes.XML: "xml", sqltypes.Timestamp: "timestamp",
		sqltypes.HierarchyID: "hierarchyid", sqltypes.SQLVariant: "sql_variant", sqltypes.Geometry: "geometry",
		sqltypes.Geography: "geography", sqltypes.SysName: "sysname",
	}
	n, ok := names[t.ID]
	if !ok {
		return fmt.Sprintf("type id %d", t.ID)
	}
	switch t.ID {
	case sqltypes.Char, sqltypes.VarChar, sqltypes.NChar, sqltypes.NVarChar, sqltypes.Binary, sqltypes.VarBinary:
		if t.Length == sqltypes.Max {
			return n + "(max)"
		}
		return fmt.Sprintf("%s(%d)", n, t.Length)
	case sqltypes.Decimal, sqltypes.Numeric:
		return fmt.Sprintf("%s(%d,%d)", n, precisionOf(t), t.Scale)
	}
	return n
}

package tds

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// wireType is a TYPE_INFO read from a client: the SQL type it declares and
// what is needed to read its values.
type wireType struct {
	id   byte
	size int // declared length (bytes) or fixed size
	plp  bool
	t    sqltypes.Type
}

// readTypeInfo reads an RPC parameter's TYPE_INFO. def is the collation
// used when the client sends a zero collation.
func readTypeInfo(r *rbuf, def sqltypes.Collation) (wireType, error) {
	wt := wireType{id: r.u8()}
	switch wt.id {
	case tNull:
		wt.t = sqltypes.Type{ID: sqltypes.NVarChar, Length: 1, Collation: def}
	case tInt1, tInt2, tInt4, tInt8:
		wt.size = map[byte]int{tInt1: 1, tInt2: 2, tInt4: 4, tInt8: 8}[wt.id]
		wt.t = sqltypes.Type{ID: intTypeOfSize(wt.size)}
	case tBit:
		wt.size, wt.t = 1, sqltypes.Type{ID: sqltypes.Bit}
	case tFlt4, tFlt8:
		wt.size = 4
		wt.t = sqltypes.Type{ID: sqltypes.Real}
		if wt.id == tFlt8 {
			wt.size, wt.t.ID = 8, sqltypes.Float
		}
	case tMoney, tMoney4:
		wt.size = 8
		wt.t = sqltypes.Type{ID: sqltypes.Money}
		if wt.id == tMoney4 {
			wt.size, wt.t.ID = 4, sqltypes.SmallMoney
		}
	case tDateTime, tDateTim4:
		wt.size = 8
		wt.t = sqltypes.Type{ID: sqltypes.DateTime}
		if wt.id == tDateTim4 {
			wt.size, wt.t.ID = 4, sqltypes.SmallDateTime
		}
	case tIntN, tBitN, tFltN, tMoneyN, tDateTimN, tGUID:
		wt.size = int(r.u8())
		if err := sizedType(&wt); err != nil {
			return wt, err
		}
	case tDecimalN, tNumericN, tDecimal, tNumeric:
		wt.size = int(r.u8())
		p, s := r.u8(), r.u8()
		if p == 0 || p > 38 || s > p || wt.size < 1 || wt.size > 17 {
			return wt, fmt.Errorf("decimal parameter with precision %d, scale %d and length %d", p, s, wt.size)
		}
		wt.t = sqltypes.Type{ID: sqltypes.Decimal, Precision: p, Scale: s}
		if wt.id == tNumericN || wt.id == tNumeric {
			wt.t.ID = sqltypes.Numeric
		}
	case tDateN:
		wt.t = sqltypes.Type{ID: sqltypes.Date}
	case tTimeN, tDateTime2N, tDTOffsetN:
		s := r.u8()
		if s > 7 {
			return wt, fmt.Errorf("time parameter with scale %d (at most 7)", s)
		}
		id := map[byte]sqltypes.TypeID{tTimeN: sqltypes.Time, tDateTime2N: sqltypes.DateTime2, tDTOffsetN: sqltypes.DateTimeOffset}[wt.id]
		wt.t = sqltypes.Type{ID: id, Scale: s}
	case tBigVarChar, tBigChar, tNVarChar, tNChar, tBigVarBin, tBigBinary:
		wt.size = int(r.u16())
		wt.plp = wt.size == 0xFFFF
		ids := map[byte]sqltypes.TypeID{tBigVarChar: sqltypes.VarChar, tBigChar: sqltypes.Char, tNVarChar: sqltypes.NVarChar,
			tNChar: sqltypes.NChar, tBigVarBin: sqltypes.VarBinary, tBigBinary: sqltypes.Binary}
		wt.t = sqltypes.Type{ID: ids[wt.id], Length: wt.size}
		if wt.id == tNVarChar || wt.id == tNChar {
			wt.t.Length = wt.size / 2
		}
		if wt.plp {
			wt.t.Length = sqltypes.Max
		}
		if wt.id != tBigVarBin && wt.id != tBigBinary {
			wt.t.Collation = collationFromBytes(r.bytes(5), def)
		}
	case tText, tNText, tImage:
		wt.size = int(r.u32())
		ids := map[byte]sqltypes.TypeID{tText: sqltypes.Text, tNText: sqltypes.NText, tImage: sqltypes.Image}
		wt.t = sqltypes.Type{ID: ids[wt.id]}
		if wt.id != tImage {
			wt.t.Collation = collationFromBytes(r.bytes(5), def)
		}
	case tSSVariant:
		wt.size = int(r.u32())
		wt.t = sqltypes.Type{ID: sqltypes.SQLVariant}
	case tXML:
		if r.u8() != 0 { // schema collection: database, owning schema, collection name
			r.bVarChar()
			r.bVarChar()
			r.usVarChar()
		}
		wt.plp = true
		wt.t = sqltypes.Type{ID: sqltypes.XML}
	case tUDT:
		r.bVarChar() // database
		r.bVarChar() // schema
		name := strings.ToLower(r.bVarChar())
		wt.plp = true
		ids := map[string]sqltypes.TypeID{"hierarchyid": sqltypes.HierarchyID, "geometry": sqltypes.Geometry, "geography": sqltypes.Geography}
		id, ok := ids[name]
		if !ok && r.err == nil {
			return wt, fmt.Errorf("user-defined type %q is not supported", name)
		}
		wt.t = sqltypes.Type{ID: id}
	default:
		if r.err == nil {
			return wt, fmt.Errorf("TDS type %#x is not supported in parameters", wt.id)
		}
	}
	return wt, r.err
}

func intTypeOfSize(n int) sqltypes.TypeID {
	switch n {
	case 1:
		return sqltypes.TinyInt
	case 2:
		return sqltypes.SmallInt
	case 4:
		return sqltypes.Int
	}
	return sqltypes.BigInt
}

// sizedType fills in the SQL type of a nullable fixed-size TDS type.
func sizedType(wt *wireType) error {
	ok := false
	switch wt.id {
	case tIntN:
		ok = wt.size == 1 || wt.size == 2 || wt.size == 4 || wt.size == 8
		wt.t = sqltypes.Type{ID: intTypeOfSize(wt.size)}
	case tBitN:
		ok = wt.size == 1
		wt.t = sqltypes.Type{ID: sqltypes.Bit}
	case tFltN:
		ok = wt.size == 4 || wt.size == 8
		wt.t = sqltypes.Type{ID: sqltypes.Float}
		if wt.size == 4 {
			wt.t.ID = sqltypes.Real
		}
	case tMoneyN:
		ok = wt.size == 4 || wt.size == 8
		wt.t = sqltypes.Type{ID: sqltypes.Money}
		if wt.size == 4 {
			wt.t.ID = sqltypes.SmallMoney
		}
	case tDateTimN:
		ok = wt.size == 4 || wt.size == 8
		wt.t = sqltypes.Type{ID: sqltypes.DateTime}
		if wt.size == 4 {
			wt.t.ID = sqltypes.SmallDateTime
		}
	case tGUID:
		ok = wt.size == 16
		wt.t = sqltypes.Type{ID: sqltypes.UniqueIdentifier}
	}
	if !ok {
		return fmt.Errorf("TDS type %#x with length %d", wt.id, wt.size)
	}
	return nil
}

// readParamValue reads one parameter value of type wt; nil means NULL.
func readParamValue(r *rbuf, wt wireType) (any, error) {
	var raw []byte
	switch {
	case wt.plp:
		b, null := readPLP(r)
		if null || r.err != nil {
			return nil, r.err
		}
		raw = b
	case wt.id == tNull:
		return nil, nil
	case wt.id == tInt1 || wt.id == tInt2 || wt.id == tInt4 || wt.id == tInt8 || wt.id == tBit ||
		wt.id == tFlt4 || wt.id == tFlt8 || wt.id == tMoney || wt.id == tMoney4 || wt.id == tDateTime || wt.id == tDateTim4:
		raw = r.bytes(wt.size)
	case wt.id == tBigVarChar || wt.id == tBigChar || wt.id == tNVarChar || wt.id == tNChar ||
		wt.id == tBigVarBin || wt.id == tBigBinary:
		n := r.u16()
		if n == 0xFFFF {
			return nil, r.err
		}
		raw = r.bytes(int(n))
	case wt.id == tText || wt.id == tNText || wt.id == tImage || wt.id == tSSVariant:
		n := r.u32()
		if n == 0xFFFFFFFF || (wt.id == tSSVariant && n == 0) {
			return nil, r.err
		}
		if int64(n) > int64(r.remaining()) {
			return nil, fmt.Errorf("%s value of %d bytes, %d remain: %w", typeName(wt.t), n, r.remaining(), errShort)
		}
		raw = r.bytes(int(n))
	default:
		n := r.u8()
		if n == 0 {
			return nil, r.err
		}
		raw = r.bytes(int(n))
	}
	if r.err != nil {
		return nil, r.err
	}
	return decodeValue(wt.t, raw)
}

// readPLP reads a PLP value: total length, then chunks until a zero chunk.
func readPLP(r *rbuf) (b []byte, null bool) {
	total := r.u64()
	if total == plpNull {
		return nil, true
	}
	if total != plpUnknownLen && total > uint64(r.remaining()) {
		r.fail(fmt.Errorf("PLP value of %d bytes, %d remain: %w", total, r.remaining(), errShort))
		return nil, false
	}
	out := []byte{}
	for r.err == nil {
		n := r.u32()
		if n == 0 {
			break
		}
		out = append(out, r.bytes(int(n))...)
	}
	return out, false
}

// decodeValue turns the bytes of a non-NULL value into a sqltypes value.
func decodeValue(t sqltypes.Type, b []byte) (any, error) {
	bad := func() error { return fmt.Errorf("%s value of %d bytes", typeName(t), len(b)) }
	switch t.ID {
	case sqltypes.Bit:
		if len(b) != 1 {
			return nil, bad()
		}
		return b[0] != 0, nil
	case sqltypes.TinyInt:
		if len(b) != 1 {
			return nil, bad()
		}
		return int64(b[0]), nil
	case sqltypes.SmallInt, sqltypes.Int, sqltypes.BigInt:
		switch len(b) {
		case 2:
			return int64(int16(binary.LittleEndian.Uint16(b))), nil
		case 4:
			return int64(int32(binary.LittleEndian.Uint32(b))), nil
		case 8:
			return int64(binary.LittleEndian.Uint64(b)), nil
		}
		return nil, bad()
	case sqltypes.Decimal, sqltypes.Numeric:
		if len(b) < 2 {
			return nil, bad()
		}
		le := b[1:]
		be := make([]byte, len(le))
		for i, c := range le {
			be[len(le)-1-i] = c
		}
		v := new(big.Int).SetBytes(be)
		if b[0] == 0 {
			v.Neg(v)
		}
		return sqltypes.DecimalValue{Unscaled: v, Scale: t.Scale}, nil
	case sqltypes.Money:
		if len(b) != 8 {
			return nil, bad()
		}
		hi := int64(int32(binary.LittleEndian.Uint32(b)))
		return sqltypes.MoneyValue(hi<<32 | int64(binary.LittleEndian.Uint32(b[4:]))), nil
	case sqltypes.SmallMoney:
		if len(b) != 4 {
			return nil, bad()
		}
		return sqltypes.MoneyValue(int32(binary.LittleEndian.Uint32(b))), nil
	case sqltypes.Float, sqltypes.Real:
		switch len(b) {
		case 8:
			if t.ID == sqltypes.Real {
				return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))), nil
			}
			return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
		case 4:
			if t.ID == sqltypes.Float {
				return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), nil
			}
			return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
		}
		return nil, bad()
	case sqltypes.Char, sqltypes.VarChar, sqltypes.Text:
		s, err := decodeCodePage(b, collationCodePage(t.Collation))
		if err != nil {
			return nil, fmt.Errorf("%s value: %w", typeName(t), err)
		}
		return s, nil
	case sqltypes.NChar, sqltypes.NVarChar, sqltypes.NText:
		return decodeUTF16(b), nil
	case sqltypes.XML:
		if len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE {
			b = b[2:] // byte order mark
		}
		return sqltypes.XMLValue(decodeUTF16(b)), nil
	case sqltypes.Binary, sqltypes.VarBinary, sqltypes.Image, sqltypes.SQLVariant,
		sqltypes.HierarchyID, sqltypes.Geometry, sqltypes.Geography, sqltypes.Timestamp:
		return append([]byte{}, b...), nil
	case sqltypes.UniqueIdentifier:
		if len(b) != 16 {
			return nil, bad()
		}
		return sqltypes.GUID(b), nil
	}
	return decodeTemporal(t, b)
}

func decodeTemporal(t sqltypes.Type, b []byte) (any, error) {
	bad := func() error { return fmt.Errorf("%s value of %d bytes", typeName(t), len(b)) }
	s := scaleOf(t)
	ts := timeSize(s)
	switch t.ID {
	case sqltypes.Date:
		if len(b) != 3 {
			return nil, bad()
		}
		return getDate(b), nil
	case sqltypes.Time:
		if len(b) != ts {
			return nil, bad()
		}
		return getTime(b, s), nil
	case sqltypes.DateTime2:
		if len(b) != ts+3 {
			return nil, bad()
		}
		return sqltypes.DateTime2Value{Time: getTime(b[:ts], s), Date: getDate(b[ts:])}, nil
	case sqltypes.DateTimeOffset:
		if len(b) != ts+5 {
			return nil, bad()
		}
		return sqltypes.DateTimeOffsetValue{
			UTC:           sqltypes.DateTime2Value{Time: getTime(b[:ts], s), Date: getDate(b[ts : ts+3])},
			OffsetMinutes: int16(binary.LittleEndian.Uint16(b[ts+3:])),
		}, nil
	case sqltypes.DateTime:
		if len(b) != 8 {
			return nil, bad()
		}
		return sqltypes.DateTimeValue{Days: int32(binary.LittleEndian.Uint32(b)), Ticks: binary.LittleEndian.Uint32(b[4:])}, nil
	case sqltypes.SmallDateTime:
		if len(b) != 4 {
			return nil, bad()
		}
		return sqltypes.SmallDateTimeValue{Days: binary.LittleEndian.Uint16(b), Minutes: binary.LittleEndian.Uint16(b[2:])}, nil
	}
	return nil, fmt.Errorf("%s values cannot be decoded", typeName(t))
}

func getDate(b []byte) sqltypes.DateValue {
	return sqltypes.DateValue(int32(b[0]) | int32(b[1])<<8 | int32(b[2])<<16)
}

func getTime(b []byte, scale uint8) sqltypes.TimeValue {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return sqltypes.TimeValue(int64(v) * pow10(7-int(scale)))
}

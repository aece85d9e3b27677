package tds

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// A sql_variant value is held as []byte (see package sqltypes): the bytes
// TDS carries for it (MS-TDS 2.2.5.5.4), i.e. the base type id, the
// property length, the base type's properties and the value. EncodeVariant
// and DecodeVariant convert between that form and a typed value.

// EncodeVariant encodes v, a value of base type t, as a sql_variant. Base
// types that sql_variant cannot hold (max types, text, xml, UDTs, timestamp,
// sql_variant itself) are refused.
func EncodeVariant(t sqltypes.Type, v any) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("sql_variant cannot hold a typed NULL of %s; send the variant itself as NULL", typeName(t))
	}
	var w wbuf
	var props wbuf
	var body wbuf
	var base byte
	switch t.ID {
	case sqltypes.Bit, sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Int, sqltypes.BigInt,
		sqltypes.Float, sqltypes.Real, sqltypes.UniqueIdentifier, sqltypes.Date,
		sqltypes.DateTime, sqltypes.SmallDateTime, sqltypes.Money, sqltypes.SmallMoney:
		// Fixed-length base types: the value without its length byte.
		var tmp wbuf
		if err := writeValue(&tmp, t, v); err != nil {
			return nil, err
		}
		body.raw(tmp.b[1:])
		base = fixedVariantBase(t.ID)
	case sqltypes.Decimal, sqltypes.Numeric:
		d, ok := v.(sqltypes.DecimalValue)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		base = tDecimalN
		if t.ID == sqltypes.Numeric {
			base = tNumericN
		}
		props.u8(precisionOf(t))
		props.u8(min(t.Scale, precisionOf(t)))
		if err := writeDecimal(&body, t, d, false); err != nil {
			return nil, err
		}
	case sqltypes.Time, sqltypes.DateTime2, sqltypes.DateTimeOffset:
		var tmp wbuf
		if err := writeValue(&tmp, t, v); err != nil {
			return nil, err
		}
		base = map[sqltypes.TypeID]byte{sqltypes.Time: tTimeN, sqltypes.DateTime2: tDateTime2N, sqltypes.DateTimeOffset: tDTOffsetN}[t.ID]
		props.u8(scaleOf(t))
		body.raw(tmp.b[1:])
	case sqltypes.Char, sqltypes.VarChar, sqltypes.NChar, sqltypes.NVarChar, sqltypes.SysName,
		sqltypes.Binary, sqltypes.VarBinary:
		if isMax(t) {
			return nil, fmt.Errorf("sql_variant cannot hold %s", typeName(t))
		}
		var ti wbuf
		if err := writeTypeInfo(&ti, t, useRPCParam); err != nil {
			return nil, err
		}
		base = ti.b[0]
		// Properties: collation (character types) then the maximum length.
		if len(ti.b) == 8 {
			props.raw(ti.b[3:8])
		}
		props.raw(ti.b[1:3])
		var tmp wbuf
		if err := writeValue(&tmp, t, v); err != nil {
			return nil, err
		}
		body.raw(tmp.b[2:])
	default:
		return nil, fmt.Errorf("sql_variant cannot hold %s", typeName(t))
	}
	w.u8(base)
	w.u8(byte(len(props.b)))
	w.raw(props.b)
	w.raw(body.b)
	return w.b, nil
}

func fixedVariantBase(id sqltypes.TypeID) byte {
	switch id {
	case sqltypes.Bit:
		return tBit
	case sqltypes.TinyInt:
		return tInt1
	case sqltypes.SmallInt:
		return tInt2
	case sqltypes.Int:
		return tInt4
	case sqltypes.BigInt:
		return tInt8
	case sqltypes.Float:
		return tFlt8
	case sqltypes.Real:
		return tFlt4
	case sqltypes.UniqueIdentifier:
		return tGUID
	case sqltypes.Date:
		return tDateN
	case sqltypes.DateTime:
		return tDateTime
	case sqltypes.SmallDateTime:
		return tDateTim4
	case sqltypes.Money:
		return tMoney
	}
	return tMoney4
}

// DecodeVariant decodes the bytes of a sql_variant into its base type and
// value. def is the collation assumed when the value carries a zero collation.
func DecodeVariant(b []byte, def sqltypes.Collation) (sqltypes.Type, any, error) {
	r := &rbuf{b: b}
	base := r.u8()
	np := int(r.u8())
	props := r.bytes(np)
	if r.err != nil {
		return sqltypes.Type{}, nil, fmt.Errorf("sql_variant: %w", r.err)
	}
	pr := &rbuf{b: props}
	var t sqltypes.Type
	switch base {
	case tBit, tInt1, tInt2, tInt4, tInt8, tFlt4, tFlt8, tMoney, tMoney4, tDateTime, tDateTim4:
		wt, err := readTypeInfo(&rbuf{b: []byte{base}}, def)
		if err != nil {
			return t, nil, fmt.Errorf("sql_variant: %w", err)
		}
		t = wt.t
	case tGUID:
		t = sqltypes.Type{ID: sqltypes.UniqueIdentifier}
	case tDateN:
		t = sqltypes.Type{ID: sqltypes.Date}
	case tDecimalN, tNumericN:
		t = sqltypes.Type{ID: sqltypes.Decimal, Precision: pr.u8(), Scale: pr.u8()}
		if base == tNumericN {
			t.ID = sqltypes.Numeric
		}
	case tTimeN, tDateTime2N, tDTOffsetN:
		id := map[byte]sqltypes.TypeID{tTimeN: sqltypes.Time, tDateTime2N: sqltypes.DateTime2, tDTOffsetN: sqltypes.DateTimeOffset}[base]
		t = sqltypes.Type{ID: id, Scale: pr.u8()}
		if t.Scale > 7 {
			return t, nil, fmt.Errorf("sql_variant: time scale %d", t.Scale)
		}
	case tBigVarChar, tBigChar, tNVarChar, tNChar:
		coll := collationFromBytes(pr.bytes(5), def)
		n := int(pr.u16())
		id := map[byte]sqltypes.TypeID{tBigVarChar: sqltypes.VarChar, tBigChar: sqltypes.Char, tNVarChar: sqltypes.NVarChar, tNChar: sqltypes.NChar}[base]
		if base == tNVarChar || base == tNChar {
			n /= 2
		}
		t = sqltypes.Type{ID: id, Length: n, Collation: coll}
	case tBigVarBin, tBigBinary:
		t = sqltypes.Type{ID: sqltypes.VarBinary, Length: int(pr.u16())}
		if base == tBigBinary {
			t.ID = sqltypes.Binary
		}
	default:
		return t, nil, fmt.Errorf("sql_variant base type %#x is not supported", base)
	}
	if pr.err != nil {
		return t, nil, fmt.Errorf("sql_variant properties: %w", pr.err)
	}
	v, err := decodeValue(t, r.bytes(r.remaining()))
	if err != nil {
		return t, nil, fmt.Errorf("sql_variant: %w", err)
	}
	return t, v, nil
}

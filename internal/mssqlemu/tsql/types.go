package tsql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// parseDataType parses a type name with its parameters, folding the
// multi-word ISO synonyms onto SQL Server's names.
func (p *parser) parseDataType() (*DataType, error) {
	t := p.tok()
	if t.kind != tQuoted && (t.kind != tWord || t.reserved && t.upper != "DOUBLE" && t.upper != "NATIONAL") {
		return nil, p.fail()
	}
	dt := &DataType{Pos: t.pos()}
	p.i++
	if p.isOp(".") && isIdent(t) {
		p.i++
		dt.Schema = t.val
		t = p.tok()
		if !isIdent(t) {
			return nil, p.fail()
		}
		p.i++
	}
	words := []string{t.val}
	name := lowerASCII(t.val)
	if t.kind == tWord && dt.Schema == "" {
		var err error
		if name, err = p.typeSynonym(t.upper, &words, dt); err != nil {
			return nil, err
		}
	}
	dt.Name = name
	dt.Written = strings.Join(words, " ")
	if !p.acceptOp("(") {
		return dt, nil
	}
	if p.isKw("MAX") {
		p.i++
		dt.Max = true
		return dt, p.expectOp(")")
	}
	dt.Params = dt.Params[:0]
	for {
		n := p.tok()
		if n.kind != tNumber || n.num != IntNumber {
			return nil, p.fail()
		}
		v, err := strconv.ParseInt(n.val, 10, 64)
		if err != nil {
			return nil, p.fail()
		}
		p.i++
		dt.Params = append(dt.Params, v)
		if !p.acceptOp(",") {
			break
		}
	}
	return dt, p.expectOp(")")
}

// typeSynonym reads the remaining words of a multi-word type and returns
// the canonical name.
func (p *parser) typeSynonym(first string, words *[]string, dt *DataType) (string, error) {
	word := func(w string) bool {
		if p.isKw(w) {
			*words = append(*words, p.tok().val)
			p.i++
			return true
		}
		return false
	}
	switch first {
	case "DOUBLE":
		if !word("PRECISION") {
			return "", p.fail()
		}
		dt.Params = []int64{53}
		return "float", nil
	case "NATIONAL":
		switch {
		case word("CHAR"), word("CHARACTER"):
			if word("VARYING") {
				return "nvarchar", nil
			}
			return "nchar", nil
		case word("TEXT"):
			return "ntext", nil
		}
		return "", p.fail()
	case "CHAR", "CHARACTER":
		if word("VARYING") {
			return "varchar", nil
		}
		return "char", nil
	case "NCHAR":
		if word("VARYING") {
			return "nvarchar", nil
		}
		return "nchar", nil
	case "BINARY":
		if word("VARYING") {
			return "varbinary", nil
		}
		return "binary", nil
	case "INTEGER":
		return "int", nil
	case "DEC":
		return "decimal", nil
	case "ROWVERSION":
		return "timestamp", nil
	}
	return lowerASCII((*words)[0]), nil
}

// typeError builds a type resolution error.
func typeError(dt *DataType, number int32, class, state uint8, format string, args ...any) *Error {
	e := newError(number, dt.Pos, fmt.Sprintf(format, args...))
	e.Class, e.State = class, state
	return e
}

// ResolveType maps a written type onto sqltypes.Type, checking its
// parameters as SQL Server does. inCast selects the default length of
// char, varchar, nchar, nvarchar, binary and varbinary written without one:
// 30 in CAST and CONVERT, 1 elsewhere. The collation is left for the
// engine to fill in. sysname resolves to ID SysName with Length 128.
// Errors are *Error: Msg 243 (CAST) or 2715 for an unknown type, 2716 for
// parameters on a type that takes none, 131, 1001, 1002, 183 and 2750 for
// sizes out of range. Messages that name a column say "#1"; the engine may
// replace them with the real ordinal.
func ResolveType(dt *DataType, inCast bool) (sqltypes.Type, error) {
	if dt == nil {
		return sqltypes.Type{}, fmt.Errorf("resolve type: nil DataType")
	}
	name := dt.Name
	if dt.Schema != "" && !strings.EqualFold(dt.Schema, "sys") {
		return sqltypes.Type{}, unknownType(dt, inCast)
	}
	id, kind := typeByName(name)
	if id == sqltypes.Unknown {
		return sqltypes.Type{}, unknownType(dt, inCast)
	}
	typ := sqltypes.Type{ID: id}
	switch kind {
	case kindFixed:
		if dt.Max || len(dt.Params) > 0 {
			return typ, noWidth(dt)
		}
		if id == sqltypes.SysName {
			typ.Length = 128
		}
	case kindString:
		return resolveString(dt, typ, inCast)
	case kindDecimal:
		return resolveDecimal(dt, typ)
	case kindScaled:
		if dt.Max || len(dt.Params) > 1 {
			return typ, noWidth(dt)
		}
		typ.Scale = 7
		if len(dt.Params) == 1 {
			if dt.Params[0] > 7 {
				return typ, typeError(dt, 1002, 15, 1, "Line %d: Specified scale %d is invalid.", dt.Line, dt.Params[0])
			}
			typ.Scale = uint8(dt.Params[0])
		}
	case kindFloat:
		if dt.Max || len(dt.Params) > 1 {
			return typ, noWidth(dt)
		}
		if len(dt.Params) == 1 {
			n := dt.Params[0]
			switch {
			case n < 1:
				return typ, typeError(dt, 2751, 16, 1, "Column or parameter #1: Specified column precision %d is invalid.", n)
			case n > 53:
				return typ, typeError(dt, 2750, 16, 1, "Column or parameter #1: Specified column precision %d is greater than the maximum precision of 53.", n)
			case n <= 24:
				typ.ID = sqltypes.Real
			}
		}
	}
	return typ, nil
}

func unknownType(dt *DataType, inCast bool) *Error {
	name := dt.Written
	if dt.Schema != "" {
		name = dt.Schema + "." + name
	}
	if inCast {
		return typeError(dt, 243, 16, 2, "Type %s is not a defined system type.", name)
	}
	return typeError(dt, 2715, 16, 6, "Column, parameter, or variable #1: Cannot find data type %s.", name)
}

func noWidth(dt *DataType) *Error {
	return typeError(dt, 2716, 16, 1, "Column, parameter, or variable #1: Cannot specify a column width on data type %s.", dt.Written)
}

func resolveString(dt *DataType, typ sqltypes.Type, inCast bool) (sqltypes.Type, error) {
	maxLen := int64(8000)
	if typ.ID == sqltypes.NChar || typ.ID == sqltypes.NVarChar {
		maxLen = 4000
	}
	variable := typ.ID == sqltypes.VarChar || typ.ID == sqltypes.NVarChar || typ.ID == sqltypes.VarBinary
	switch {
	case dt.Max:
		if !variable {
			return typ, noWidth(dt)
		}
		typ.Length = sqltypes.Max
	case len(dt.Params) > 1:
		return typ, noWidth(dt)
	case len(dt.Params) == 1:
		n := dt.Params[0]
		if n == 0 {
			return typ, typeError(dt, 1001, 15, 1, "Line %d: Length or precision specification 0 is invalid.", dt.Line)
		}
		if n > maxLen {
			return typ, typeError(dt, 131, 15, 2, "The size (%d) given to the type '%s' exceeds the maximum allowed for any data type (%d).", n, dt.Written, maxLen)
		}
		typ.Length = int(n)
	case inCast:
		typ.Length = 30
	default:
		typ.Length = 1
	}
	return typ, nil
}

func resolveDecimal(dt *DataType, typ sqltypes.Type) (sqltypes.Type, error) {
	if dt.Max || len(dt.Params) > 2 {
		return typ, noWidth(dt)
	}
	prec, scale := int64(18), int64(0)
	if len(dt.Params) >= 1 {
		prec = dt.Params[0]
	}
	if len(dt.Params) == 2 {
		scale = dt.Params[1]
	}
	if prec == 0 {
		return typ, typeError(dt, 1001, 15, 1, "Line %d: Length or precision specification 0 is invalid.", dt.Line)
	}
	if prec > 38 {
		return typ, typeError(dt, 2750, 16, 1, "Column or parameter #1: Specified column precision %d is greater than the maximum precision of 38.", prec)
	}
	if scale > prec {
		return typ, typeError(dt, 183, 15, 1, "The scale (%d) for column '%s' must be within the range %d to %d.", scale, dt.Written, 0, prec)
	}
	typ.Precision, typ.Scale = uint8(prec), uint8(scale)
	return typ, nil
}

// typeKind groups types by how their parameters are checked.
type typeKind uint8

const (
	kindFixed   typeKind = iota // no parameters
	kindString                  // (n) or (max): char, varchar, nchar, nvarchar, binary, varbinary
	kindDecimal                 // (p[, s])
	kindScaled                  // (fractional seconds): time, datetime2, datetimeoffset
	kindFloat                   // float(n)
)

func typeByName(name string) (sqltypes.TypeID, typeKind) {
	switch name {
	case "bit":
		return sqltypes.Bit, kindFixed
	case "tinyint":
		return sqltypes.TinyInt, kindFixed
	case "smallint":
		return sqltypes.SmallInt, kindFixed
	case "int":
		return sqltypes.Int, kindFixed
	case "bigint":
		return sqltypes.BigInt, kindFixed
	case "decimal":
		return sqltypes.Decimal, kindDecimal
	case "numeric":
		return sqltypes.Numeric, kindDecimal
	case "money":
		return sqltypes.Money, kindFixed
	case "smallmoney":
		return sqltypes.SmallMoney, kindFixed
	case "float":
		return sqltypes.Float, kindFloat
	case "real":
		return sqltypes.Real, kindFixed
	case "char":
		return sqltypes.Char, kindString
	case "varchar":
		return sqltypes.VarChar, kindString
	case "nchar":
		return sqltypes.NChar, kindString
	case "nvarchar":
		return sqltypes.NVarChar, kindString
	case "text":
		return sqltypes.Text, kindFixed
	case "ntext":
		return sqltypes.NText, kindFixed
	case "binary":
		return sqltypes.Binary, kindString
	case "varbinary":
		return sqltypes.VarBinary, kindString
	case "image":
		return sqltypes.Image, kindFixed
	case "uniqueidentifier":
		return sqltypes.UniqueIdentifier, kindFixed
	case "date":
		return sqltypes.Date, kindFixed
	case "time":
		return sqltypes.Time, kindScaled
	case "datetime":
		return sqltypes.DateTime, kindFixed
	case "datetime2":
		return sqltypes.DateTime2, kindScaled
	case "smalldatetime":
		return sqltypes.SmallDateTime, kindFixed
	case "datetimeoffset":
		return sqltypes.DateTimeOffset, kindScaled
	case "xml":
		return sqltypes.XML, kindFixed
	case "timestamp":
		return sqltypes.Timestamp, kindFixed
	case "hierarchyid":
		return sqltypes.HierarchyID, kindFixed
	case "sql_variant":
		return sqltypes.SQLVariant, kindFixed
	case "geometry":
		return sqltypes.Geometry, kindFixed
	case "geography":
		return sqltypes.Geography, kindFixed
	case "sysname":
		return sqltypes.SysName, kindFixed
	}
	return sqltypes.Unknown, kindFixed
}

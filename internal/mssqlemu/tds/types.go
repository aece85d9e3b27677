package tds

import (
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// TDS data type ids (MS-TDS 2.2.5.4).
const (
	tNull               byte = 0x1F
	tInt1               byte = 0x30
	tBit                byte = 0x32
	tInt2               byte = 0x34
	tInt4               byte = 0x38
	tDateTim4           byte = 0x3A
	tFlt4               byte = 0x3B
	tMoney              byte = 0x3C
	tDateTime           byte = 0x3D
	tFlt8               byte = 0x3E
	tMoney4             byte = 0x7A
	tInt8               byte = 0x7F
	tGUID               byte = 0x24
	tIntN               byte = 0x26
	tDecimal            byte = 0x37
	tNumeric            byte = 0x3F
	tBitN               byte = 0x68
	tDecimalN           byte = 0x6A
	tNumericN           byte = 0x6C
	tFltN               byte = 0x6D
	tMoneyN             byte = 0x6E
	tDateTimN           byte = 0x6F
	tDateN              byte = 0x28
	tTimeN              byte = 0x29
	tDateTime2N         byte = 0x2A
	tDTOffsetN          byte = 0x2B
	tChar               byte = 0x2F
	tVarChar            byte = 0x27
	tBinary             byte = 0x2D
	tVarBinary          byte = 0x25
	tBigVarBin          byte = 0xA5
	tBigVarChar         byte = 0xA7
	tBigBinary          byte = 0xAD
	tBigChar            byte = 0xAF
	tNVarChar           byte = 0xE7
	tNChar              byte = 0xEF
	tXML                byte = 0xF1
	tUDT                byte = 0xF0
	tText               byte = 0x23
	tImage              byte = 0x22
	tNText              byte = 0x63
	tSSVariant          byte = 0x62
	userTypeTS               = 80 // COLMETADATA UserType of timestamp (rowversion) columns
	plpNull                  = 0xFFFFFFFFFFFFFFFF
	plpUnknownLen            = 0xFFFFFFFFFFFFFFFE
	variantMaxLen            = 8016
	textMaxLen               = 0x7FFFFFFF
	ntextMaxLen              = 0x7FFFFFFE
	hierarchyIDMaxBytes      = 892
)

// The CLR types SQL Server reports for its built-in UDTs.
const (
	assemblyHierarchyID = "Microsoft.SqlServer.Types.SqlHierarchyId, Microsoft.SqlServer.Types, Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"
	assemblyGeometry    = "Microsoft.SqlServer.Types.SqlGeometry, Microsoft.SqlServer.Types, Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"
	assemblyGeography   = "Microsoft.SqlServer.Types.SqlGeography, Microsoft.SqlServer.Types, Version=11.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91"
)

// decimalSize is the value length of a decimal of the given precision, sign byte included.
func decimalSize(precision uint8) int {
	switch {
	case precision <= 9:
		return 5
	case precision <= 19:
		return 9
	case precision <= 28:
		return 13
	}
	return 17
}

// timeSize is the byte length of a time part at the given scale.
func timeSize(scale uint8) int {
	switch {
	case scale <= 2:
		return 3
	case scale <= 4:
		return 4
	}
	return 5
}

// isMax reports whether t is a (max) type sent as PLP.
func isMax(t sqltypes.Type) bool {
	switch t.ID {
	case sqltypes.VarChar, sqltypes.NVarChar, sqltypes.VarBinary:
		return t.Length == sqltypes.Max || t.Length > 8000 || (t.ID == sqltypes.NVarChar && t.Length > 4000)
	case sqltypes.XML, sqltypes.Geometry, sqltypes.Geography, sqltypes.HierarchyID:
		return true
	}
	return false
}

// precisionOf returns the decimal precision, defaulting as SQL Server does.
func precisionOf(t sqltypes.Type) uint8 {
	if t.Precision == 0 {
		return 18
	}
	return min(t.Precision, 38)
}

func scaleOf(t sqltypes.Type) uint8 {
	return min(t.Scale, 7)
}

// pow10 returns 10^n for n <= 18.
func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}

// hasCollation reports whether values of the type carry a collation.
func hasCollation(id sqltypes.TypeID) bool {
	switch id {
	case sqltypes.Char, sqltypes.VarChar, sqltypes.Text, sqltypes.NChar, sqltypes.NVarChar, sqltypes.NText, sqltypes.SysName:
		return true
	}
	return false
}

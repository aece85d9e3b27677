package tsql

import (
	"errors"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// declaredType parses DECLARE @v <typ> and returns the DataType.
func declaredType(t *testing.T, typ string) *DataType {
	t.Helper()
	stmts, err := Parse("DECLARE @v " + typ)
	if err != nil {
		t.Fatalf("DECLARE @v %s: %v", typ, err)
	}
	return stmts[0].(*DeclareStmt).Vars[0].Type
}

func TestResolveType(t *testing.T) {
	ty := func(id sqltypes.TypeID, length int, prec, scale uint8) sqltypes.Type {
		return sqltypes.Type{ID: id, Length: length, Precision: prec, Scale: scale}
	}
	cases := []struct {
		typ    string
		inCast bool
		want   sqltypes.Type
	}{
		{"int", false, ty(sqltypes.Int, 0, 0, 0)},
		{"INTEGER", false, ty(sqltypes.Int, 0, 0, 0)},
		{"bigint", false, ty(sqltypes.BigInt, 0, 0, 0)},
		{"bit", false, ty(sqltypes.Bit, 0, 0, 0)},
		{"binary(10)", false, ty(sqltypes.Binary, 10, 0, 0)},
		{"varbinary(max)", false, ty(sqltypes.VarBinary, sqltypes.Max, 0, 0)},
		{"binary varying(4)", false, ty(sqltypes.VarBinary, 4, 0, 0)},
		{"nvarchar(max)", false, ty(sqltypes.NVarChar, sqltypes.Max, 0, 0)},
		{"varchar", false, ty(sqltypes.VarChar, 1, 0, 0)},
		{"varchar", true, ty(sqltypes.VarChar, 30, 0, 0)},
		{"nchar", false, ty(sqltypes.NChar, 1, 0, 0)},
		{"character varying(10)", false, ty(sqltypes.VarChar, 10, 0, 0)},
		{"national character varying(10)", false, ty(sqltypes.NVarChar, 10, 0, 0)},
		{"national char(3)", false, ty(sqltypes.NChar, 3, 0, 0)},
		{"decimal", false, ty(sqltypes.Decimal, 0, 18, 0)},
		{"decimal(38,38)", false, ty(sqltypes.Decimal, 0, 38, 38)},
		{"numeric(10)", false, ty(sqltypes.Numeric, 0, 10, 0)},
		{"dec(5,2)", false, ty(sqltypes.Decimal, 0, 5, 2)},
		{"float", false, ty(sqltypes.Float, 0, 0, 0)},
		{"float(24)", false, ty(sqltypes.Real, 0, 0, 0)},
		{"float(25)", false, ty(sqltypes.Float, 0, 0, 0)},
		{"double precision", false, ty(sqltypes.Float, 0, 0, 0)},
		{"real", false, ty(sqltypes.Real, 0, 0, 0)},
		{"money", false, ty(sqltypes.Money, 0, 0, 0)},
		{"datetime2", false, ty(sqltypes.DateTime2, 0, 0, 7)},
		{"datetime2(3)", false, ty(sqltypes.DateTime2, 0, 0, 3)},
		{"time(0)", false, ty(sqltypes.Time, 0, 0, 0)},
		{"datetimeoffset(3)", false, ty(sqltypes.DateTimeOffset, 0, 0, 3)},
		{"datetime", false, ty(sqltypes.DateTime, 0, 0, 0)},
		{"smalldatetime", false, ty(sqltypes.SmallDateTime, 0, 0, 0)},
		{"date", false, ty(sqltypes.Date, 0, 0, 0)},
		{"uniqueidentifier", false, ty(sqltypes.UniqueIdentifier, 0, 0, 0)},
		{"sysname", false, ty(sqltypes.SysName, 128, 0, 0)},
		{"sys.sysname", false, ty(sqltypes.SysName, 128, 0, 0)},
		{"rowversion", false, ty(sqltypes.Timestamp, 0, 0, 0)},
		{"timestamp", false, ty(sqltypes.Timestamp, 0, 0, 0)},
		{"hierarchyid", false, ty(sqltypes.HierarchyID, 0, 0, 0)},
		{"sql_variant", false, ty(sqltypes.SQLVariant, 0, 0, 0)},
		{"geometry", false, ty(sqltypes.Geometry, 0, 0, 0)},
		{"geography", false, ty(sqltypes.Geography, 0, 0, 0)},
		{"xml", false, ty(sqltypes.XML, 0, 0, 0)},
		{"text", false, ty(sqltypes.Text, 0, 0, 0)},
		{"ntext", false, ty(sqltypes.NText, 0, 0, 0)},
		{"image", false, ty(sqltypes.Image, 0, 0, 0)},
		{"[nvarchar](20)", false, ty(sqltypes.NVarChar, 20, 0, 0)},
	}
	for _, c := range cases {
		got, err := ResolveType(declaredType(t, c.typ), c.inCast)
		if err != nil || got != c.want {
			t.Errorf("ResolveType(%s, cast=%v) = %+v, %v; want %+v", c.typ, c.inCast, got, err, c.want)
		}
	}
}

func TestResolveTypeErrors(t *testing.T) {
	cases := []struct {
		typ    string
		inCast bool
		number int32
		text   string
	}{
		{"foo", false, 2715, "Column, parameter, or variable #1: Cannot find data type foo."},
		{"foo", true, 243, "Type foo is not a defined system type."},
		{"dbo.mytype", false, 2715, "Column, parameter, or variable #1: Cannot find data type dbo.mytype."},
		{"int(5)", false, 2716, "Column, parameter, or variable #1: Cannot specify a column width on data type int."},
		{"char(max)", false, 2716, "Column, parameter, or variable #1: Cannot specify a column width on data type char."},
		{"varchar(9000)", false, 131, "The size (9000) given to the type 'varchar' exceeds the maximum allowed for any data type (8000)."},
		{"nvarchar(4001)", false, 131, "The size (4001) given to the type 'nvarchar' exceeds the maximum allowed for any data type (4000)."},
		{"varchar(0)", false, 1001, "Line 1: Length or precision specification 0 is invalid."},
		{"decimal(39)", false, 2750, "Column or parameter #1: Specified column precision 39 is greater than the maximum precision of 38."},
		{"decimal(5,6)", false, 183, "The scale (6) for column 'decimal' must be within the range 0 to 5."},
		{"datetime2(8)", false, 1002, "Line 1: Specified scale 8 is invalid."},
		{"float(54)", false, 2750, "Column or parameter #1: Specified column precision 54 is greater than the maximum precision of 53."},
	}
	for _, c := range cases {
		_, err := ResolveType(declaredType(t, c.typ), c.inCast)
		var perr *Error
		if !errors.As(err, &perr) || perr.Number != c.number || perr.Text != c.text {
			t.Errorf("ResolveType(%s) error = %v; want Msg %d %q", c.typ, err, c.number, c.text)
		}
	}
}

func TestDataTypeSpelling(t *testing.T) {
	dt := declaredType(t, "National Character Varying(10)")
	if dt.Name != "nvarchar" || dt.Written != "National Character Varying" || len(dt.Params) != 1 || dt.Params[0] != 10 {
		t.Fatalf("got %+v", dt)
	}
	dt = declaredType(t, "double precision")
	if dt.Name != "float" || dt.Params[0] != 53 {
		t.Fatalf("got %+v", dt)
	}
}

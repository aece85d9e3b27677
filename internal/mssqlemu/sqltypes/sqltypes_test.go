package sqltypes

import (
	"math/big"
	"testing"
)

func TestMaxLengthAndNames(t *testing.T) {
	cases := []struct {
		name string
		args []string
		str  string
		max  int16
		prec uint8
	}{
		{"nvarchar", []string{"10"}, "nvarchar(10)", 20, 0},
		{"nvarchar", []string{"max"}, "nvarchar(max)", -1, 0},
		{"varchar", nil, "varchar(1)", 1, 0},
		{"decimal", []string{"38", "10"}, "decimal(38,10)", 17, 38},
		{"decimal", nil, "decimal(18,0)", 9, 18},
		{"datetime2", []string{"3"}, "datetime2(3)", 7, 23},
		{"datetimeoffset", nil, "datetimeoffset(7)", 10, 34},
		{"time", []string{"0"}, "time(0)", 3, 8},
		{"datetime", nil, "datetime", 8, 23},
		{"rowversion", nil, "timestamp", 8, 0},
		{"float", []string{"24"}, "real", 4, 24},
	}
	for _, c := range cases {
		ty, err := MakeType(c.name, c.args)
		if err != nil {
			t.Fatalf("%s%v: %v", c.name, c.args, err)
		}
		p, _ := ty.PrecisionScale()
		if ty.String() != c.str || ty.MaxLength() != c.max || p != c.prec {
			t.Errorf("%s%v: got %s max %d prec %d", c.name, c.args, ty, ty.MaxLength(), p)
		}
	}
	if _, err := MakeType("nvarchar", []string{"4001"}); err == nil {
		t.Error("nvarchar(4001) accepted")
	}
}

func TestConvertErrors(t *testing.T) {
	cases := []struct {
		v    any
		from Type
		to   Type
		num  int32
	}{
		{"abc", VarCharType(3), IntType, 245},
		{"abc", VarCharType(3), DecimalType(10, 2), 8114},
		{"2024-13-01", VarCharType(10), DateTimeType, 241},
		{"1700-01-01", VarCharType(10), DateTimeType, 242},
		{"x", VarCharType(1), GUIDType, 8169},
		{int64(300), IntType, TinyIntType, 220},
		{"123456", VarCharType(6), DecimalType(5, 2), 8115},
	}
	for _, c := range cases {
		_, err := Convert(c.v, c.from, c.to, -1)
		se, ok := err.(*Error)
		if !ok || se.Number != c.num {
			t.Errorf("%v → %s: got %v, want Msg %d", c.v, c.to, err, c.num)
		}
	}
}

func TestArith(t *testing.T) {
	d := func(s string, scale uint8) DecimalValue {
		n, _ := new(big.Int).SetString(s, 10)
		return DecimalValue{Unscaled: n, Scale: scale}
	}
	cases := []struct {
		op     byte
		a, b   any
		ta, tb Type
		want   string
		typ    string
	}{
		{'+', int64(1), int64(2), IntType, IntType, "3", "int"},
		{'/', int64(7), int64(2), IntType, IntType, "3", "int"},
		{'%', int64(-7), int64(3), IntType, IntType, "-1", "int"},
		{'+', d("150", 2), d("1", 0), DecimalType(3, 2), DecimalType(1, 0), "2.50", "decimal(4,2)"},
		{'*', d("150", 2), d("150", 2), DecimalType(3, 2), DecimalType(3, 2), "2.2500", "decimal(7,4)"},
		{'/', int64(1), d("30", 1), IntType, DecimalType(2, 1), "0.333333", "decimal(17,6)"},
		{'+', "ab", "cd", VarCharType(2), VarCharType(2), "abcd", "varchar(4)"},
		{'+', 1.5, int64(1), FloatType, IntType, "2.5", "float"},
	}
	for _, c := range cases {
		v, rt, err := Arith(c.op, c.a, c.b, c.ta, c.tb)
		if err != nil {
			t.Fatalf("%v %c %v: %v", c.a, c.op, c.b, err)
		}
		s, _ := ToString(v, rt, -1)
		if s != c.want || rt.String() != c.typ {
			t.Errorf("%v %c %v: got %s %s, want %s %s", c.a, c.op, c.b, s, rt, c.want, c.typ)
		}
	}
	if _, _, err := Arith('/', int64(1), int64(0), IntType, IntType); err == nil || err.(*Error).Number != 8134 {
		t.Errorf("divide by zero: %v", err)
	}
	if _, _, err := Arith('*', int64(2147483647), int64(2), IntType, IntType); err == nil || err.(*Error).Number != 8115 {
		t.Errorf("int overflow: %v", err)
	}
}

func TestCompareStrings(t *testing.T) {
	cs, _ := LookupCollation("Latin1_General_CS_AS")
	if CompareStrings("abc  ", "ABC", DefaultCollation) != 0 {
		t.Error("CI comparison with trailing spaces")
	}
	if CompareStrings("abc", "ABC", cs) == 0 {
		t.Error("CS comparison")
	}
	g1, _ := ParseGUID("00000000-0000-0000-0000-000000000001")
	g2, _ := ParseGUID("01000000-0000-0000-0000-000000000000")
	if c, _ := Compare(g1, g2, GUIDType, GUIDType, DefaultCollation); c <= 0 {
		t.Error("uniqueidentifier order: the last group is most significant")
	}
}

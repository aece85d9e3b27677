package sqltypes

import (
	"errors"
	"testing"
)

func TestVariantConvertAndCompare(t *testing.T) {
	v, err := Convert(int64(42), IntType, Type{ID: SQLVariant}, -1)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := v.(VariantValue)
	if !ok || x.Base.ID != Int || x.Value != int64(42) {
		t.Fatalf("CAST(42 AS sql_variant) = %#v", v)
	}
	if TypeOf(v).ID != SQLVariant {
		t.Fatalf("TypeOf(variant) = %v", TypeOf(v))
	}
	back, err := Convert(v, Type{ID: SQLVariant}, VarCharType(10), -1)
	if err != nil || back != "42" {
		t.Fatalf("CAST(variant AS varchar) = %#v, %v", back, err)
	}
	for _, tc := range []struct {
		name string
		a, b any
		want int
	}{
		{"same family compares values", v, int64(41), 1},
		{"exact numeric below date", v, VariantValue{Base: DateType, Value: DateValue(1)}, -1},
		{"exact numeric above character", v, VariantValue{Base: NVarCharType(5), Value: "zzz"}, 1},
		{"character above binary", VariantValue{Base: NVarCharType(1), Value: "a"}, VariantValue{Base: VarBinaryType(1), Value: []byte{1}}, 1},
		{"equal", v, VariantValue{Base: BigIntType, Value: int64(42)}, 0},
	} {
		got, err := Compare(tc.a, tc.b, Type{}, Type{}, DefaultCollation)
		if err != nil || got != tc.want {
			t.Errorf("%s: Compare = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	for _, from := range []Type{VarCharType(Max), {ID: XML, Length: Max}, {ID: Text}, {ID: Timestamp}} {
		_, err := ToVariant("x", from)
		var e *Error
		if !errors.As(err, &e) || e.Number != 206 {
			t.Errorf("ToVariant from %v: %v, want Msg 206", from.ID.Name(), err)
		}
	}
}

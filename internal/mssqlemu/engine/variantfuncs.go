package engine

import (
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// variantProperty is SQL_VARIANT_PROPERTY(expression, property):
// https://learn.microsoft.com/en-us/sql/t-sql/functions/sql-variant-property-transact-sql
// It answers NULL for a NULL value and for unknown property names, as SQL
// Server does; its caller converts other values to sql_variant first.
func variantProperty(v any, property string) (any, error) {
	x, ok := v.(sqltypes.VariantValue)
	if !ok {
		return nil, nil
	}
	t := x.Base
	p, sc := t.PrecisionScale()
	intv := func(n int64) any { return sqltypes.VariantValue{Base: sqltypes.IntType, Value: n} }
	switch strings.ToLower(property) {
	case "basetype":
		return sqltypes.VariantValue{Base: sqltypes.NVarCharType(128), Value: t.ID.Name()}, nil
	case "precision":
		return intv(int64(p)), nil
	case "scale":
		return intv(int64(sc)), nil
	case "maxlength":
		return intv(int64(t.MaxLength())), nil
	case "totalbytes":
		return intv(int64(t.MaxLength()) + 2), nil
	case "collation":
		if !t.ID.IsCharacter() {
			return nil, nil
		}
		return sqltypes.VariantValue{Base: sqltypes.NVarCharType(128), Value: t.Collation.Name}, nil
	}
	return nil, nil
}

package engine

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

func numberLit(x *tsql.NumberLit) (any, sqltypes.Type, error) {
	switch x.Kind {
	case tsql.IntNumber:
		n, err := strconv.ParseInt(x.Text, 10, 64)
		if err == nil && n <= 2147483647 {
			return n, sqltypes.IntType, nil
		}
		fallthrough
	case tsql.DecimalNumber:
		r, ok := new(big.Rat).SetString(x.Text)
		if !ok {
			return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
		}
		scale := 0
		if i := strings.IndexByte(x.Text, '.'); i >= 0 {
			scale = len(x.Text) - i - 1
		}
		digits := len(strings.TrimLeft(strings.ReplaceAll(x.Text, ".", ""), "0"))
		p := max(digits, scale, 1)
		if p > 38 {
			f, _ := r.Float64()
			return f, sqltypes.FloatType, nil
		}
		t := sqltypes.DecimalType(uint8(p), uint8(scale))
		v, err := sqltypes.RatToDecimal(r, t)
		return v, t, err
	case tsql.FloatNumber:
		f, err := strconv.ParseFloat(x.Text, 64)
		if err != nil {
			return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
		}
		return f, sqltypes.FloatType, nil
	case tsql.MoneyNumber:
		v, err := sqltypes.Convert(x.Text, sqltypes.VarCharType(40), sqltypes.Type{ID: sqltypes.Money}, -1)
		return v, sqltypes.Type{ID: sqltypes.Money}, err
	}
	return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
}

func (ev *evaluator) cast(xe tsql.Expr, dt *tsql.DataType, style tsql.Expr, try bool, rc *rowCtx) (any, sqltypes.Type, error) {
	t, err := resolveType(dt, true)
	if err != nil {
		return nil, t, err
	}
	v, vt, err := ev.eval(xe, rc)
	if err != nil {
		return nil, t, err
	}
	st := -1
	if style != nil {
		sv, _, err := ev.eval(style, rc)
		if err != nil {
			return nil, t, err
		}
		if n, ok := sv.(int64); ok {
			st = int(n)
		}
	}
	if t.ID.IsCharacter() && vt.ID.IsCharacter() && vt.Collation.Name != "" {
		// A character string converted to a character type keeps its
		// collation (CAST and CONVERT, "Collation of the output").
		t.Collation = vt.Collation
	}
	var out any
	if str, ok := v.(string); ok && st < 0 && t.ID.IsDateTime() {
		// Character strings are read as dates with the session's
		// language and date format.
		out, err = sqltypes.ParseDateTimeIn(str, t, ev.s.dates)
	} else {
		out, err = sqltypes.Convert(v, vt, t, st)
	}
	if err != nil {
		if try {
			return nil, t, nil
		}
		return nil, t, err
	}
	return out, t, nil
}

// resolveType turns a written data type into a sqltypes.Type. In CAST and
// CONVERT a missing length means 30 for character and binary types.
func resolveType(dt *tsql.DataType, inCast bool) (sqltypes.Type, error) {
	var args []string
	if dt.Max {
		args = []string{"max"}
	}
	for _, p := range dt.Params {
		args = append(args, strconv.FormatInt(p, 10))
	}
	name := dt.Name
	if inCast && len(args) == 0 {
		switch strings.ToLower(name) {
		case "char", "varchar", "nchar", "nvarchar", "binary", "varbinary":
			args = []string{"30"}
		}
	}
	t, err := sqltypes.MakeType(name, args)
	if err != nil {
		if _, ok := sqltypes.LookupTypeID(name); !ok {
			return t, msg(2715, 16, 6, fmt.Sprintf("Column, parameter, or variable #1: Cannot find data type %s.", dt.Written))
		}
		return t, msg(131, 15, 2, err.Error())
	}
	return t, nil
}

func (ev *evaluator) globalVar(name string) (any, sqltypes.Type, error) {
	s := ev.s
	switch strings.ToUpper(name) {
	case "@@TRANCOUNT":
		return int64(s.trancount), sqltypes.IntType, nil
	case "@@VERSION":
		return versionString, sqltypes.NVarCharType(300), nil
	case "@@SPID":
		return int64(s.spid), sqltypes.SmallIntType, nil
	case "@@ROWCOUNT":
		return s.rowcount, sqltypes.IntType, nil
	case "@@FETCH_STATUS":
		return s.fetchStatus, sqltypes.IntType, nil
	case "@@ERROR":
		return int64(s.lastError), sqltypes.IntType, nil
	case "@@IDENTITY":
		return s.identity, sqltypes.DecimalType(38, 0), nil
	case "@@SERVERNAME":
		return s.e.cfg.ServerName, sqltypes.NVarCharType(128), nil
	case "@@SERVICENAME":
		return "MSSQLSERVER", sqltypes.NVarCharType(128), nil
	case "@@LANGUAGE":
		return s.language().Name, sqltypes.NVarCharType(128), nil
	case "@@LANGID":
		return int64(s.language().LangID), sqltypes.SmallIntType, nil
	case "@@DATEFIRST":
		return s.dateFirst(), sqltypes.TinyIntType, nil
	case "@@LOCK_TIMEOUT":
		return s.lockTimeout, sqltypes.IntType, nil
	case "@@MAX_PRECISION":
		return int64(38), sqltypes.TinyIntType, nil
	case "@@TEXTSIZE":
		return int64(2147483647), sqltypes.IntType, nil
	case "@@OPTIONS":
		return s.options, sqltypes.IntType, nil
	case "@@MICROSOFTVERSION":
		// major << 24 | minor << 16 | build, of versionString's 15.0.4322.
		return int64(15<<24 | 0<<16 | 4322), sqltypes.IntType, nil
	case "@@NESTLEVEL":
		return int64(0), sqltypes.IntType, nil
	case "@@DBTS":
		d := s.e.db(s.dbName)
		if d == nil {
			return nil, sqltypes.VarBinaryType(8), nil
		}
		return u64bytes(d.dbts), sqltypes.VarBinaryType(8), nil
	}
	return nil, sqltypes.Type{}, msg(137, 15, 2, fmt.Sprintf("Must declare the scalar variable \"%s\".", name))
}

func u64bytes(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

const versionString = "Microsoft SQL Server 2019 (RTM-CU22) (KB5027702) - 15.0.4322.2 (X64) \n\tJul 27 2023 18:11:00 \n\tCopyright (C) 2019 Microsoft Corporation\n\tDeveloper Edition (64-bit) on Linux (mssqlemu) <X64>"

// resultColumns converts a relation's columns to TDS columns.
func resultColumns(rel *relation) []tds.Column {
	out := make([]tds.Column, len(rel.cols))
	for i, c := range rel.cols {
		t := c.typ
		if t.ID == sqltypes.Unknown {
			t = sqltypes.IntType
		}
		out[i] = tds.Column{Name: c.name, Type: t, Nullable: c.nullable, Identity: c.identity}
	}
	return out
}

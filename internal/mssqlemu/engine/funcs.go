package engine

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

var aggregateNames = map[string]bool{"COUNT": true, "COUNT_BIG": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true}

func isAggregate(f *tsql.FuncCall) bool {
	return f.Name.Schema == "" && aggregateNames[strings.ToUpper(f.Name.Object)]
}

// call evaluates a function call.
func (ev *evaluator) call(f *tsql.FuncCall, rc *rowCtx) (any, sqltypes.Type, error) {
	if f.Receiver != nil || f.TypeName != "" {
		return ev.clrCall(f, rc)
	}
	name := strings.ToUpper(f.Name.Object)
	if strings.EqualFold(f.Name.Schema, "sys") || strings.HasPrefix(name, "FN_CDC_") {
		return ev.cdcFunc(f, rc)
	}
	if isAggregate(f) {
		return ev.aggregate(f, rc)
	}
	args := make([]any, len(f.Args))
	types := make([]sqltypes.Type, len(f.Args))
	lazy := name == "ISNULL" || name == "COALESCE" || name == "IIF"
	if !lazy {
		for i, a := range f.Args {
			v, t, err := ev.eval(a, rc)
			if err != nil {
				return nil, t, err
			}
			args[i], types[i] = v, t
		}
	}
	argc := func(lo, hi int) error {
		if len(f.Args) < lo || len(f.Args) > hi {
			return msg(174, 15, 1, fmt.Sprintf("The %s function requires %d argument(s).", strings.ToLower(name), lo))
		}
		return nil
	}
	str := func(i int) (string, bool) {
		if args[i] == nil {
			return "", false
		}
		s, err := sqltypes.ToString(args[i], types[i], -1)
		return s, err == nil
	}
	strType := func(i int) sqltypes.Type {
		t := types[i]
		if !t.ID.IsCharacter() {
			return sqltypes.VarCharType(8000)
		}
		if t.ID == sqltypes.Char {
			t.ID = sqltypes.VarChar
		}
		if t.ID == sqltypes.NChar {
			t.ID = sqltypes.NVarChar
		}
		return t
	}
	intArg := func(i int) (int64, bool, error) {
		if args[i] == nil {
			return 0, false, nil
		}
		v, err := sqltypes.Convert(args[i], types[i], sqltypes.BigIntType, -1)
		if err != nil {
			return 0, false, err
		}
		return v.(int64), true, nil
	}
	now := ev.s.e.cfg.Now()
	switch name {
	case "ISNULL":
		if err := argc(2, 2); err != nil {
			return nil, sqltypes.Type{}, err
		}
		v, t, err := ev.eval(f.Args[0], rc)
		if err != nil {
			return nil, t, err
		}
		if t.ID == sqltypes.Unknown {
			t = ev.typeOf(f.Args[1], rc)
		}
		if v != nil {
			return v, t, nil
		}
		d, dt, err := ev.eval(f.Args[1], rc)
		if err != nil || d == nil {
			return nil, t, err
		}
		out, err := sqltypes.Convert(d, dt, t, -1)
		return out, t, err
	case "COALESCE", "IIF":
		if name == "IIF" {
			if err := argc(3, 3); err != nil {
				return nil, sqltypes.Type{}, err
			}
			return ev.caseExpr(&tsql.CaseExpr{Whens: []*tsql.WhenClause{{Cond: f.Args[0], Result: f.Args[1]}}, Else: f.Args[2]}, rc)
		}
		var whens []*tsql.WhenClause
		for _, a := range f.Args[:max(len(f.Args)-1, 0)] {
			whens = append(whens, &tsql.WhenClause{Cond: &tsql.IsNullExpr{X: a, Not: true}, Result: a})
		}
		if len(f.Args) == 0 {
			return nil, sqltypes.Type{}, argc(2, 99)
		}
		return ev.caseExpr(&tsql.CaseExpr{Whens: whens, Else: f.Args[len(f.Args)-1]}, rc)
	case "NULLIF":
		if err := argc(2, 2); err != nil {
			return nil, sqltypes.Type{}, err
		}
		if args[0] == nil || args[1] == nil {
			return args[0], types[0], nil
		}
		c, err := compareValues(args[0], args[1], types[0], types[1])
		if err != nil || c == 0 {
			return nil, types[0], err
		}
		return args[0], types[0], nil
	case "LEN":
		s, ok := str(0)
		if !ok {
			return nil, sqltypes.IntType, nil
		}
		return int64(utf8.RuneCountInString(strings.TrimRight(s, " "))), sqltypes.IntType, nil
	case "DATALENGTH":
		if args[0] == nil {
			return nil, sqltypes.IntType, nil
		}
		return int64(dataLength(args[0], types[0])), sqltypes.IntType, nil
	case "GETDATE", "CURRENT_TIMESTAMP":
		return sqltypes.FromTime(wall(now), sqltypes.DateTimeType), sqltypes.DateTimeType, nil
	case "GETUTCDATE":
		return sqltypes.FromTime(now.UTC(), sqltypes.DateTimeType), sqltypes.DateTimeType, nil
	case "SYSDATETIME":
		return sqltypes.FromTime(wall(now), sqltypes.DateTime2Type), sqltypes.DateTime2Type, nil
	case "SYSUTCDATETIME":
		return sqltypes.FromTime(now.UTC(), sqltypes.DateTime2Type), sqltypes.DateTime2Type, nil
	case "SYSDATETIMEOFFSET":
		t := sqltypes.Type{ID: sqltypes.DateTimeOffset, Scale: 7}
		return sqltypes.FromTime(now, t), t, nil
	case "NEWID", "NEWSEQUENTIALID":
		return sqltypes.NewGUID(), sqltypes.GUIDType, nil
	case "UPPER", "LOWER", "LTRIM", "RTRIM", "TRIM", "REVERSE":
		s, ok := str(0)
		if !ok {
			return nil, strType(0), nil
		}
		switch name {
		case "UPPER":
			s = strings.ToUpper(s)
		case "LOWER":
			s = strings.ToLower(s)
		case "LTRIM":
			s = strings.TrimLeft(s, " ")
		case "RTRIM":
			s = strings.TrimRight(s, " ")
		case "TRIM":
			s = strings.Trim(s, " ")
		default:
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			s = string(r)
		}
		return s, strType(0), nil
	case "SUBSTRING", "LEFT", "RIGHT":
		s, ok := str(0)
		if !ok {
			return nil, strType(0), nil
		}
		r := []rune(s)
		var start, n int64
		var ok1, ok2 bool
		var err error
		switch name {
		case "SUBSTRING":
			if err := argc(3, 3); err != nil {
				return nil, sqltypes.Type{}, err
			}
			if start, ok1, err = intArg(1); err != nil {
				return nil, sqltypes.Type{}, err
			}
			if n, ok2, err = intArg(2); err != nil {
				return nil, sqltypes.Type{}, err
			}
		case "LEFT":
			start, ok1 = 1, true
			n, ok2, err = intArg(1)
		default:
			n, ok2, err = intArg(1)
			start, ok1 = int64(len(r))-n+1, true
			if start < 1 {
				start = 1
			}
		}
		if err != nil {
			return nil, sqltypes.Type{}, err
		}
		if !ok1 || !ok2 {
			return nil, strType(0), nil
		}
		if n < 0 {
			return nil, strType(0), msg(537, 16, 3, fmt.Sprintf("Invalid length parameter passed to the %s function.", strings.ToLower(name)))
		}
		end := start + n
		if start < 1 {
			start = 1
		}
		if end > int64(len(r))+1 {
			end = int64(len(r)) + 1
		}
		if end <= start {
			return "", strType(0), nil
		}
		return string(r[start-1 : end-1]), strType(0), nil
	case "REPLACE":
		s, ok1 := str(0)
		from, ok2 := str(1)
		to, ok3 := str(2)
		if !ok1 || !ok2 || !ok3 {
			return nil, strType(0), nil
		}
		if from == "" {
			return s, strType(0), nil
		}
		return replaceFold(s, from, to, !types[0].Collation.CaseSensitive()), strType(0), nil
	case "CHARINDEX":
		needle, ok1 := str(0)
		hay, ok2 := str(1)
		if !ok1 || !ok2 {
			return nil, sqltypes.IntType, nil
		}
		startAt := int64(1)
		if len(args) > 2 {
			if v, ok, _ := intArg(2); ok && v > 1 {
				startAt = v
			}
		}
		hr := []rune(strings.ToLower(hay))
		if int(startAt-1) > len(hr) {
			return int64(0), sqltypes.IntType, nil
		}
		i := strings.Index(string(hr[startAt-1:]), strings.ToLower(needle))
		if i < 0 {
			return int64(0), sqltypes.IntType, nil
		}
		return int64(utf8.RuneCountInString(string(hr[startAt-1:])[:i])) + startAt, sqltypes.IntType, nil
	case "CONCAT":
		var sb strings.Builder
		rt := sqltypes.VarCharType(8000)
		for i := range args {
			if types[i].ID.IsUnicode() {
				rt = sqltypes.NVarCharType(4000)
			}
			if s, ok := str(i); ok {
				sb.WriteString(s)
			}
		}
		return sb.String(), rt, nil
	case "REPLICATE", "SPACE":
		s, cnt := " ", int64(0)
		var ok bool
		var err error
		if name == "REPLICATE" {
			if s, ok = str(0); !ok {
				return nil, strType(0), nil
			}
			cnt, ok, err = intArg(1)
		} else {
			cnt, ok, err = intArg(0)
		}
		if err != nil || !ok || cnt < 0 {
			return nil, sqltypes.VarCharType(8000), err
		}
		return strings.Repeat(s, int(min(cnt, 1<<20))), sqltypes.VarCharType(sqltypes.Max), nil
	case "CHAR", "NCHAR":
		n, ok, err := intArg(0)
		if err != nil || !ok {
			return nil, sqltypes.VarCharType(1), err
		}
		return string(rune(n)), sqltypes.NVarCharType(1), nil
	case "ASCII", "UNICODE":
		s, ok := str(0)
		if !ok || s == "" {
			return nil, sqltypes.IntType, nil
		}
		r, _ := utf8.DecodeRuneInString(s)
		return int64(r), sqltypes.IntType, nil
	case "DATEADD":
		if err := argc(3, 3); err != nil {
			return nil, sqltypes.Type{}, err
		}
		part, _ := args[0].(string)
		n, ok, err := intArg(1)
		if err != nil {
			return nil, types[2], err
		}
		t := types[2]
		v := args[2]
		if t.ID.IsCharacter() {
			t = sqltypes.DateTimeType
			if v != nil {
				if v, err = sqltypes.Convert(v, types[2], t, -1); err != nil {
					return nil, t, err
				}
			}
		}
		if !ok || v == nil {
			return nil, t, nil
		}
		out, err := sqltypes.DateAdd(part, n, v, t)
		return out, t, err
	case "DATEDIFF", "DATEDIFF_BIG":
		if err := argc(3, 3); err != nil {
			return nil, sqltypes.Type{}, err
		}
		part, _ := args[0].(string)
		a, b, err := ev.dateArgs(args[1:], types[1:])
		if err != nil || a == nil || b == nil {
			return nil, sqltypes.IntType, err
		}
		n, err := sqltypes.DateDiff(part, a, b)
		return n, sqltypes.IntType, err
	case "DATEPART", "YEAR", "MONTH", "DAY":
		var part string
		vals, vtypes := args, types
		if name == "DATEPART" {
			part, _ = args[0].(string)
			vals, vtypes = args[1:], types[1:]
		} else {
			part = strings.ToLower(name)
		}
		v, _, err := ev.dateArgs(append(vals[:1:1], vals[0]), append(vtypes[:1:1], vtypes[0]))
		if err != nil || v == nil {
			return nil, sqltypes.IntType, err
		}
		n, err := datePart(part, v, ev.s.dateFirst())
		return n, sqltypes.IntType, err
	case "EOMONTH":
		v, _, err := ev.dateArgs(append(args[:1:1], args[0]), append(types[:1:1], types[0]))
		if err != nil || v == nil {
			return nil, sqltypes.DateType, err
		}
		tm, _ := sqltypes.ToTime(v)
		last := time.Date(tm.Year(), tm.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		return sqltypes.FromTime(last, sqltypes.DateType), sqltypes.DateType, nil
	case "ABS", "FLOOR", "CEILING", "SIGN":
		return numFunc(name, args[0], types[0])
	case "ROUND":
		if err := argc(2, 3); err != nil {
			return nil, sqltypes.Type{}, err
		}
		n, ok, err := intArg(1)
		if err != nil || !ok || args[0] == nil {
			return nil, types[0], err
		}
		trunc := false
		if len(args) > 2 {
			if m, ok, _ := intArg(2); ok && m != 0 {
				trunc = true
			}
		}
		return roundValue(args[0], types[0], int(n), trunc)
	case "POWER", "SQRT", "SQUARE", "EXP", "LOG", "LOG10", "PI", "RAND":
		fs := make([]float64, len(args))
		for i := range args {
			if args[i] == nil {
				return nil, sqltypes.FloatType, nil
			}
			v, err := sqltypes.Convert(args[i], types[i], sqltypes.FloatType, -1)
			if err != nil {
				return nil, sqltypes.FloatType, err
			}
			fs[i] = v.(float64)
		}
		var r float64
		switch name {
		case "POWER":
			r = math.Pow(fs[0], fs[1])
			if types[0].ID.IsInteger() {
				return int64(r), types[0], nil
			}
		case "SQRT":
			r = math.Sqrt(fs[0])
		case "SQUARE":
			r = fs[0] * fs[0]
		case "EXP":
			r = math.Exp(fs[0])
		case "LOG":
			r = math.Log(fs[0])
		case "LOG10":
			r = math.Log10(fs[0])
		case "PI":
			r = math.Pi
		case "RAND":
			r = 0.5
		}
		return r, sqltypes.FloatType, nil
	case "ISNUMERIC":
		s, ok := str(0)
		if !ok {
			return int64(0), sqltypes.IntType, nil
		}
		_, err := sqltypes.Convert(s, sqltypes.VarCharType(100), sqltypes.FloatType, -1)
		if err != nil || strings.TrimSpace(s) == "" {
			return int64(0), sqltypes.IntType, nil
		}
		return int64(1), sqltypes.IntType, nil
	case "ISDATE":
		s, ok := str(0)
		if !ok {
			return int64(0), sqltypes.IntType, nil
		}
		if _, err := sqltypes.ParseDateTime(s, sqltypes.DateTimeType); err != nil {
			return int64(0), sqltypes.IntType, nil
		}
		return int64(1), sqltypes.IntType, nil
	case "SCOPE_IDENTITY":
		return ev.s.identity, sqltypes.DecimalType(38, 0), nil
	case "SUSER_NAME", "SUSER_SNAME", "SYSTEM_USER", "ORIGINAL_LOGIN":
		if l := ev.s.e.login(ev.s.login.User); l != nil {
			return l.Name, sqltypes.NVarCharType(128), nil
		}
		return "sa", sqltypes.NVarCharType(128), nil
	case "USER_NAME", "SESSION_USER", "CURRENT_USER":
		// A sysadmin enters every database as dbo; another login as its user.
		if l := ev.s.e.login(ev.s.login.User); l != nil && !l.Sysadmin {
			return l.Name, sqltypes.NVarCharType(128), nil
		}
		return "dbo", sqltypes.NVarCharType(128), nil
	case "IS_SRVROLEMEMBER", "IS_ROLEMEMBER":
		role, ok := str(0)
		if !ok {
			return nil, sqltypes.IntType, nil
		}
		return ev.s.roleMember(name == "IS_SRVROLEMEMBER", role), sqltypes.IntType, nil
	case "HOST_NAME":
		return ev.s.login.HostName, sqltypes.NVarCharType(128), nil
	case "APP_NAME":
		return ev.s.login.AppName, sqltypes.NVarCharType(128), nil
	case "IS_MEMBER", "HAS_DBACCESS":
		return int64(1), sqltypes.IntType, nil
	case "HAS_PERMS_BY_NAME":
		return int64(1), sqltypes.IntType, nil
	case "XACT_STATE":
		if ev.s.tx != nil && ev.s.tx.explicit {
			return int64(1), sqltypes.SmallIntType, nil
		}
		return int64(0), sqltypes.SmallIntType, nil
	case "ERROR_NUMBER", "ERROR_MESSAGE", "ERROR_SEVERITY", "ERROR_STATE", "ERROR_LINE", "ERROR_PROCEDURE":
		m := ev.s.caught
		if m == nil {
			return nil, sqltypes.IntType, nil
		}
		switch name {
		case "ERROR_NUMBER":
			return int64(m.Number), sqltypes.IntType, nil
		case "ERROR_MESSAGE":
			return m.Text, sqltypes.NVarCharType(4000), nil
		case "ERROR_SEVERITY":
			return int64(m.Class), sqltypes.IntType, nil
		case "ERROR_STATE":
			return int64(m.State), sqltypes.IntType, nil
		case "ERROR_LINE":
			return int64(m.Line), sqltypes.IntType, nil
		}
		return nil, sqltypes.NVarCharType(128), nil
	}
	if v, t, ok, err := ev.catalogFunc(name, args, types); ok {
		return v, t, err
	}
	return nil, sqltypes.Type{}, msg(195, 15, 10, fmt.Sprintf("'%s' is not a recognized built-in function name.", f.Name.Object))
}

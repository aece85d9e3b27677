package engine

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// wall is the server's local wall clock (GETDATE, SYSDATETIME).
func wall(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// dateArgs converts string arguments of date functions to datetime2.
func (ev *evaluator) dateArgs(args []any, types []sqltypes.Type) (any, any, error) {
	out := make([]any, 2)
	for i := 0; i < 2; i++ {
		v := args[i]
		if v == nil {
			return nil, nil, nil
		}
		if types[i].ID.IsCharacter() {
			var err error
			if v, err = sqltypes.Convert(v, types[i], sqltypes.Type{ID: sqltypes.DateTimeOffset, Scale: 7}, -1); err != nil {
				return nil, nil, err
			}
			if dto, ok := v.(sqltypes.DateTimeOffsetValue); ok && dto.OffsetMinutes == 0 {
				v, _ = sqltypes.Convert(v, sqltypes.Type{ID: sqltypes.DateTimeOffset, Scale: 7}, sqltypes.DateTime2Type, -1)
			}
		}
		out[i] = v
	}
	return out[0], out[1], nil
}

// datePart is DATEPART; weekday counts from dateFirst (@@DATEFIRST).
func datePart(part string, v any, dateFirst int64) (int64, error) {
	tm, ok := sqltypes.ToTime(v)
	if !ok {
		return 0, msg(8116, 16, 1, "Argument data type is invalid for argument 2 of datepart function.")
	}
	switch strings.ToLower(part) {
	case "year", "yy", "yyyy":
		return int64(tm.Year()), nil
	case "quarter", "qq", "q":
		return int64((tm.Month()-1)/3 + 1), nil
	case "month", "mm", "m":
		return int64(tm.Month()), nil
	case "dayofyear", "dy", "y":
		return int64(tm.YearDay()), nil
	case "day", "dd", "d":
		return int64(tm.Day()), nil
	case "weekday", "dw", "w":
		return weekday(int(tm.Weekday()), dateFirst), nil
	case "hour", "hh":
		return int64(tm.Hour()), nil
	case "minute", "mi", "n":
		return int64(tm.Minute()), nil
	case "second", "ss", "s":
		return int64(tm.Second()), nil
	case "millisecond", "ms":
		return int64(tm.Nanosecond() / 1e6), nil
	case "microsecond", "mcs":
		return int64(tm.Nanosecond() / 1e3), nil
	case "nanosecond", "ns":
		return int64(tm.Nanosecond()), nil
	}
	return 0, msg(155, 15, 1, fmt.Sprintf("'%s' is not a recognized datepart option.", part))
}

func dataLength(v any, t sqltypes.Type) int {
	switch x := v.(type) {
	case string:
		if t.ID == sqltypes.Unknown {
			t = sqltypes.NVarCharType(1)
		}
		return len(sqltypes.StringBytes(x, t))
	case sqltypes.XMLValue:
		return len(sqltypes.StringBytes(string(x), sqltypes.NVarCharType(1)))
	case []byte:
		return len(x)
	case bool:
		return 1
	case int64:
		switch t.ID {
		case sqltypes.TinyInt:
			return 1
		case sqltypes.SmallInt:
			return 2
		case sqltypes.BigInt:
			return 8
		}
		return 4
	}
	if t.ID == sqltypes.Unknown {
		t = sqltypes.TypeOf(v)
	}
	if n := t.MaxLength(); n > 0 {
		return int(n)
	}
	return 8
}

func numFunc(name string, v any, t sqltypes.Type) (any, sqltypes.Type, error) {
	if v == nil {
		return nil, t, nil
	}
	switch x := v.(type) {
	case int64:
		switch name {
		case "ABS":
			if x < 0 {
				return -x, t, nil
			}
		case "SIGN":
			switch {
			case x > 0:
				return int64(1), t, nil
			case x < 0:
				return int64(-1), t, nil
			}
			return int64(0), t, nil
		}
		return x, t, nil
	case float64:
		switch name {
		case "ABS":
			return math.Abs(x), t, nil
		case "FLOOR":
			return math.Floor(x), t, nil
		case "CEILING":
			return math.Ceil(x), t, nil
		}
		return float64(sign(x)), t, nil
	case sqltypes.MoneyValue:
		if name == "ABS" && x < 0 {
			return -x, t, nil
		}
		return x, t, nil
	case sqltypes.DecimalValue:
		r := x.Rat()
		switch name {
		case "ABS":
			r.Abs(r)
		case "SIGN":
			r.SetInt64(int64(r.Sign()))
		case "FLOOR", "CEILING":
			q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean: floor for positive denominators
			if name == "CEILING" && !r.IsInt() {
				q.Add(q, big.NewInt(1))
			}
			t = sqltypes.DecimalType(t.Precision, 0)
			r.SetInt(q)
		}
		out, err := sqltypes.RatToDecimal(r, t)
		return out, t, err
	}
	return v, t, nil
}

func sign(f float64) int {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return 0
}

func roundValue(v any, t sqltypes.Type, n int, trunc bool) (any, sqltypes.Type, error) {
	switch x := v.(type) {
	case int64:
		if n >= 0 {
			return x, t, nil
		}
		p := int64(math.Pow10(-n))
		r := x / p * p
		if !trunc && (x%p)*2 >= p {
			r += p
		} else if !trunc && (x%p)*2 <= -p {
			r -= p
		}
		return r, t, nil
	case float64:
		p := math.Pow10(n)
		if trunc {
			return math.Trunc(x*p) / p, t, nil
		}
		return math.Round(x*p) / p, t, nil
	}
	r, err := sqltypes.Convert(v, t, sqltypes.DecimalType(38, 18), -1)
	if err != nil {
		return nil, t, err
	}
	rat := r.(sqltypes.DecimalValue).Rat()
	scale := new(big.Rat).SetFloat64(math.Pow10(n))
	rat.Mul(rat, scale)
	q := new(big.Int).Quo(rat.Num(), rat.Denom())
	rem := new(big.Rat).Sub(rat, new(big.Rat).SetInt(q))
	if !trunc {
		half := big.NewRat(1, 2)
		if rem.Cmp(half) >= 0 {
			q.Add(q, big.NewInt(1))
		} else if rem.Cmp(new(big.Rat).Neg(half)) <= 0 {
			q.Sub(q, big.NewInt(1))
		}
	}
	res := new(big.Rat).Quo(new(big.Rat).SetInt(q), scale)
	if _, ok := v.(sqltypes.MoneyValue); ok {
		d, err := sqltypes.RatToDecimal(res, sqltypes.DecimalType(38, 4))
		if err != nil {
			return nil, t, err
		}
		out, err := sqltypes.Convert(d, sqltypes.DecimalType(38, 4), t, -1)
		return out, t, err
	}
	out, err := sqltypes.RatToDecimal(res, t)
	return out, t, err
}

func replaceFold(s, from, to string, fold bool) string {
	if !fold {
		return strings.ReplaceAll(s, from, to)
	}
	ls, lf := strings.ToLower(s), strings.ToLower(from)
	if len(ls) != len(s) || len(lf) != len(from) {
		return strings.ReplaceAll(s, from, to)
	}
	var sb strings.Builder
	i := 0
	for {
		j := strings.Index(ls[i:], lf)
		if j < 0 {
			sb.WriteString(s[i:])
			return sb.String()
		}
		sb.WriteString(s[i : i+j])
		sb.WriteString(to)
		i += j + len(from)
	}
}

// likeMatch implements LIKE with %, _, [set], [^set] and an escape character.
func likeMatch(s, p string, esc rune, fold bool) bool {
	if fold {
		s, p = strings.ToLower(s), strings.ToLower(p)
	}
	return likeRunes([]rune(s), []rune(p), esc)
}

func likeRunes(s, p []rune, esc rune) bool {
	for len(p) > 0 {
		c := p[0]
		switch {
		case esc != 0 && c == esc && len(p) > 1:
			if len(s) == 0 || s[0] != p[1] {
				return false
			}
			s, p = s[1:], p[2:]
		case c == '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if likeRunes(s[i:], p, esc) {
					return true
				}
			}
			return false
		case c == '_':
			if len(s) == 0 {
				return false
			}
			s, p = s[1:], p[1:]
		case c == '[':
			end := -1
			for i := 1; i < len(p); i++ {
				if p[i] == ']' && i > 1 {
					end = i
					break
				}
			}
			if end < 0 || len(s) == 0 {
				if len(s) == 0 || s[0] != '[' {
					return false
				}
				s, p = s[1:], p[1:]
				continue
			}
			set := p[1:end]
			neg := len(set) > 0 && set[0] == '^'
			if neg {
				set = set[1:]
			}
			in := false
			for i := 0; i < len(set); i++ {
				if i+2 < len(set) && set[i+1] == '-' {
					if s[0] >= set[i] && s[0] <= set[i+2] {
						in = true
					}
					i += 2
				} else if set[i] == s[0] {
					in = true
				}
			}
			if in == neg {
				return false
			}
			s, p = s[1:], p[end+1:]
		default:
			if len(s) == 0 || s[0] != c {
				return false
			}
			s, p = s[1:], p[1:]
		}
	}
	return len(s) == 0
}

package sqltypes

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

func commas(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var sb strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	out := sb.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// formatFloat follows CAST(float AS varchar): style 0 is up to 6 significant
// digits with a three-digit exponent (1.23457e+006); styles 1/2 use 8/16 digits.
func formatFloat(f float64, bits int, style int) string {
	if style == 3 {
		return strconv.FormatFloat(f, 'g', 17, bits)
	}
	digits := 6
	switch style {
	case 1:
		digits = 8
	case 2:
		digits = 16
	}
	s := strconv.FormatFloat(f, 'g', digits, bits)
	if i := strings.IndexAny(s, "e"); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		for len(exp) < 3 {
			exp = "0" + exp
		}
		s = mant + "e" + string(sign) + exp
	}
	return s
}

var intLimits = map[TypeID][2]int64{
	Bit:      {0, 1},
	TinyInt:  {0, 255},
	SmallInt: {math.MinInt16, math.MaxInt16},
	Int:      {math.MinInt32, math.MaxInt32},
	BigInt:   {math.MinInt64, math.MaxInt64},
}

func toInteger(v any, from, to Type) (any, error) {
	var n int64
	switch x := v.(type) {
	case bool:
		if x {
			n = 1
		}
	case int64:
		n = x
	case string:
		s := strings.TrimSpace(x)
		if to.ID == Bit {
			switch strings.ToLower(s) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		if s == "" {
			n = 0
			break
		}
		p, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
		if err != nil {
			if to.ID == Bit {
				if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
					return f != 0, nil
				}
			}
			return nil, errf(245, "Conversion failed when converting the %s value '%s' to data type %s.", srcName(from), x, to.ID.Name())
		}
		n = p
	case float64, float32, DecimalValue, MoneyValue:
		r, err := toRat(v, from, DecimalType(38, 0))
		if err != nil {
			return nil, err
		}
		// CAST truncates toward zero, except money, which rounds.
		var q *big.Int
		if _, ok := v.(MoneyValue); ok {
			d, _ := RatToDecimal(r, DecimalType(38, 0))
			q = d.(DecimalValue).Unscaled
		} else {
			q = new(big.Int).Quo(r.Num(), r.Denom())
		}
		if !q.IsInt64() {
			return nil, overflow(to)
		}
		n = q.Int64()
	default:
		if c, ok := toCivil(v); ok && (from.ID == DateTime || from.ID == SmallDateTime) {
			n = c.days - epoch1900
			if c.ticks >= ticksPerDay/2 {
				n++
			}
			break
		}
		return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
	}
	if to.ID == Bit {
		return n != 0, nil
	}
	lim := intLimits[to.ID]
	if n < lim[0] || n > lim[1] {
		if from.ID.IsCharacter() {
			return nil, errf(244, "The conversion of the %s value '%v' overflowed an %s column. Use a larger integer column.", srcName(from), v, intColName(to.ID))
		}
		if from.ID.IsInteger() {
			return nil, errf(220, "Arithmetic overflow error for data type %s, value = %d.", to.ID.Name(), n)
		}
		return nil, overflow(to)
	}
	return n, nil
}

func intColName(id TypeID) string {
	switch id {
	case TinyInt:
		return "INT1"
	case SmallInt:
		return "INT2"
	case BigInt:
		return "INT8"
	}
	return "INT"
}

func toRat(v any, from, to Type) (*big.Rat, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewRat(1, 1), nil
		}
		return new(big.Rat), nil
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case DecimalValue:
		return x.Rat(), nil
	case MoneyValue:
		return big.NewRat(int64(x), 10000), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, overflow(to)
		}
		return new(big.Rat).SetFloat64(x), nil
	case float32:
		return new(big.Rat).SetFloat64(float64(x)), nil
	case string:
		s := strings.TrimSpace(x)
		if to.ID == Money || to.ID == SmallMoney {
			s = strings.ReplaceAll(strings.TrimPrefix(s, "$"), ",", "")
			if s == "" {
				return new(big.Rat), nil
			}
		}
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
		if !ok || strings.ContainsAny(s, "/eE") && to.ID != Float && to.ID != Real {
			target := "numeric"
			if to.ID == Money || to.ID == SmallMoney {
				target = "money"
			} else if to.ID == Float || to.ID == Real {
				target = "float"
			} else if to.ID.IsInteger() {
				return nil, errf(245, "Conversion failed when converting the %s value '%s' to data type %s.", srcName(from), x, to.ID.Name())
			}
			e := errf(8114, "Error converting data type %s to %s.", srcName(from), target)
			e.State = 5
			return nil, e
		}
		return r, nil
	}
	if c, ok := toCivil(v); ok && (from.ID == DateTime || from.ID == SmallDateTime) {
		r := new(big.Rat).SetFrac64(c.ticks, ticksPerDay)
		return r.Add(r, new(big.Rat).SetInt64(c.days-epoch1900)), nil
	}
	return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
}

func toFloat(v any, from, to Type) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errf(8114, "Error converting data type %s to float.", srcName(from))
		}
		return f, nil
	}
	r, err := toRat(v, from, to)
	if err != nil {
		return 0, err
	}
	f, _ := r.Float64()
	return f, nil
}

func toDateTime(v any, from, to Type, style int) (any, error) {
	return toDateTimeIn(v, from, to, style, DateSettings{})
}

func toDateTimeIn(v any, from, to Type, style int, ds DateSettings) (any, error) {
	var c civil
	switch x := v.(type) {
	case string:
		dmy := style == 3 || style == 103 || style == 4 || style == 104 || style == 5 || style == 105 || style < 0 && ds.dmy()
		p, ok := parseCivil(x, dmy, ds.lang())
		if !ok {
			return nil, errf(241, "Conversion failed when converting date and/or time from character string.")
		}
		c = p
		if c.hasOff && to.ID != DateTimeOffset {
			// The offset is dropped: the local time is kept.
			c.hasOff = false
		}
		out, ok := fromCivil(c, to)
		if !ok {
			return nil, errf(242, "The conversion of a %s data type to a %s data type resulted in an out-of-range value.", srcName(from), to.ID.Name())
		}
		return out, nil
	case int64, float64, DecimalValue:
		if to.ID != DateTime && to.ID != SmallDateTime {
			return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
		}
		r, err := toRat(v, from, FloatType)
		if err != nil {
			return nil, err
		}
		days := new(big.Int).Quo(r.Num(), r.Denom())
		frac := new(big.Rat).Sub(r, new(big.Rat).SetInt(days))
		t, _ := new(big.Rat).Mul(frac, new(big.Rat).SetInt64(ticksPerDay)).Float64()
		c = civil{days: days.Int64() + epoch1900, ticks: int64(math.Round(t))}
		c.normalize()
	default:
		cv, ok := toCivil(v)
		if !ok {
			return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
		}
		c = cv
		if from.ID == Time && to.ID != Time {
			c.days = epoch1900
		}
		if from.ID == Date && to.ID == Time {
			return nil, errf(529, "Explicit conversion from data type date to time is not allowed.")
		}
		if to.ID == DateTimeOffset && !c.hasOff {
			c.hasOff = true
		}
	}
	out, ok := fromCivil(c, to)
	if !ok {
		return nil, errf(242, "The conversion of a %s data type to a %s data type resulted in an out-of-range value.", srcName(from), to.ID.Name())
	}
	return out, nil
}

// ParseDateTime reads a date/time string into a value of type to.
func ParseDateTime(s string, to Type) (any, error) {
	return toDateTime(s, VarCharType(Max), to, -1)
}

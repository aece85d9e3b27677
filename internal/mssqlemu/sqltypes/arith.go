package sqltypes

import (
	"math"
	"math/big"
	"strings"
	"time"
)

// decimalOf is the decimal(p,s) an exact operand widens to in arithmetic.
func decimalOf(t Type) Type {
	switch t.ID {
	case Bit:
		return DecimalType(1, 0)
	case TinyInt:
		return DecimalType(3, 0)
	case SmallInt:
		return DecimalType(5, 0)
	case Int:
		return DecimalType(10, 0)
	case BigInt:
		return DecimalType(19, 0)
	case Money:
		return DecimalType(19, 4)
	case SmallMoney:
		return DecimalType(10, 4)
	case Decimal, Numeric:
		return t
	}
	return DecimalType(38, 10)
}

func capDecimal(p, s int) Type {
	if p > 38 {
		intDigits := p - s
		s = 38 - intDigits
		if s < 6 {
			s = min(6, s+(p-38))
			if s > 6 {
				s = 6
			}
		}
		if s < 0 {
			s = 0
		}
		p = 38
	}
	return DecimalType(uint8(p), uint8(s))
}

// ArithType is the result type of a op b.
func ArithType(op byte, ta, tb Type) Type {
	if op == '+' && ta.ID.IsCharacter() && tb.ID.IsCharacter() {
		id := VarChar
		if ta.ID.IsUnicode() || tb.ID.IsUnicode() {
			id = NVarChar
		}
		n := Max
		if ta.Length != Max && tb.Length != Max {
			n = ta.Length + tb.Length
			limit := 8000
			if id == NVarChar {
				limit = 4000
			}
			if n > limit {
				n = Max
			}
		}
		c := ta.Collation
		if c.Name == "" {
			c = DefaultCollation
		}
		return Type{ID: id, Length: n, Collation: c}
	}
	if ta.ID.IsCharacter() && !tb.ID.IsCharacter() {
		ta = tb
	}
	if tb.ID.IsCharacter() && !ta.ID.IsCharacter() {
		tb = ta
	}
	if ta.ID.IsCharacter() {
		return NVarCharType(Max)
	}
	hi := ta
	if tb.ID.Precedence() > ta.ID.Precedence() {
		hi = tb
	}
	switch {
	case hi.ID.IsDateTime():
		return hi
	case hi.ID == Float || hi.ID == Real:
		return hi
	case hi.ID == Money || hi.ID == SmallMoney:
		if op == '/' && (ta.ID == Money || ta.ID == SmallMoney) && (tb.ID == Money || tb.ID == SmallMoney) {
			return DecimalType(38, 6)
		}
		return Type{ID: Money}
	case hi.ID == Decimal || hi.ID == Numeric:
		a, b := decimalOf(ta), decimalOf(tb)
		p1, s1, p2, s2 := int(a.Precision), int(a.Scale), int(b.Precision), int(b.Scale)
		switch op {
		case '+', '-':
			s := max(s1, s2)
			return capDecimal(max(p1-s1, p2-s2)+s+1, s)
		case '*':
			return capDecimal(p1+p2+1, s1+s2)
		case '/':
			s := max(6, s1+p2+1)
			return capDecimal(p1-s1+s2+s, s)
		default:
			s := max(s1, s2)
			return capDecimal(min(p1-s1, p2-s2)+s, s)
		}
	case hi.ID.IsInteger():
		if hi.ID == Bit || hi.ID == TinyInt || hi.ID == SmallInt {
			// tinyint + tinyint is int in practice for constants; keep the operand type.
			if ta.ID == tb.ID {
				return hi
			}
		}
		return hi
	}
	return hi
}

// Arith computes a op b (op one of + - * / %) with SQL Server's typing:
// string + string concatenates, integer division truncates, decimals
// follow the precision/scale rules, overflow is Msg 8115 and division by
// zero Msg 8134. Either operand NULL gives NULL.
func Arith(op byte, a, b any, ta, tb Type) (any, Type, error) {
	if ta.ID == Unknown && a != nil {
		ta = TypeOf(a)
	}
	if tb.ID == Unknown && b != nil {
		tb = TypeOf(b)
	}
	rt := ArithType(op, ta, tb)
	if a == nil || b == nil {
		return nil, rt, nil
	}
	if op == '+' && rt.ID.IsCharacter() && ta.ID.IsCharacter() {
		return a.(string) + b.(string), rt, nil
	}
	if rt.ID.IsDateTime() {
		return dateArith(op, a, b, ta, tb, rt)
	}
	if rt.ID == Unknown || rt.ID.IsCharacter() {
		return nil, rt, errf(8117, "Operand data type %s is invalid for %s operator.", ta.ID.Name(), opName(op))
	}
	switch rt.ID {
	case Float, Real:
		x, err := toFloat(a, ta, FloatType)
		if err != nil {
			return nil, rt, err
		}
		y, err := toFloat(b, tb, FloatType)
		if err != nil {
			return nil, rt, err
		}
		var r float64
		switch op {
		case '+':
			r = x + y
		case '-':
			r = x - y
		case '*':
			r = x * y
		case '/':
			if y == 0 {
				return nil, rt, ErrDivideByZero()
			}
			r = x / y
		case '%':
			if y == 0 {
				return nil, rt, ErrDivideByZero()
			}
			r = math.Mod(x, y)
		}
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, rt, overflow(rt)
		}
		if rt.ID == Real {
			return float32(r), rt, nil
		}
		return r, rt, nil
	case Bit, TinyInt, SmallInt, Int, BigInt:
		xv, err := Convert(a, ta, BigIntType, -1)
		if err != nil {
			return nil, rt, err
		}
		yv, err := Convert(b, tb, BigIntType, -1)
		if err != nil {
			return nil, rt, err
		}
		x, y := new(big.Int).SetInt64(xv.(int64)), new(big.Int).SetInt64(yv.(int64))
		r := new(big.Int)
		switch op {
		case '+':
			r.Add(x, y)
		case '-':
			r.Sub(x, y)
		case '*':
			r.Mul(x, y)
		case '/', '%':
			if y.Sign() == 0 {
				return nil, rt, ErrDivideByZero()
			}
			q, m := new(big.Int).QuoRem(x, y, new(big.Int))
			r = q
			if op == '%' {
				r = m
			}
		}
		if rt.ID == Bit {
			rt = IntType
		}
		lim := intLimits[rt.ID]
		if !r.IsInt64() || r.Int64() < lim[0] || r.Int64() > lim[1] {
			if rt.ID == TinyInt || rt.ID == SmallInt {
				rt = IntType
				lim = intLimits[Int]
				if r.IsInt64() && r.Int64() >= lim[0] && r.Int64() <= lim[1] {
					return r.Int64(), rt, nil
				}
			}
			return nil, rt, overflow(rt)
		}
		return r.Int64(), rt, nil
	}
	// decimal and money
	x, err := toRat(a, ta, rt)
	if err != nil {
		return nil, rt, err
	}
	y, err := toRat(b, tb, rt)
	if err != nil {
		return nil, rt, err
	}
	r := new(big.Rat)
	switch op {
	case '+':
		r.Add(x, y)
	case '-':
		r.Sub(x, y)
	case '*':
		r.Mul(x, y)
	case '/':
		if y.Sign() == 0 {
			return nil, rt, ErrDivideByZero()
		}
		r.Quo(x, y)
		if rt.ID == Decimal {
			// Division truncates to the result scale.
			scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rt.Scale)), nil)
			n := new(big.Int).Mul(r.Num(), scale)
			n.Quo(n, r.Denom())
			r.SetFrac(n, scale)
		}
	case '%':
		if y.Sign() == 0 {
			return nil, rt, ErrDivideByZero()
		}
		q := new(big.Rat).Quo(x, y)
		qi := new(big.Int).Quo(q.Num(), q.Denom())
		r.Sub(x, new(big.Rat).Mul(new(big.Rat).SetInt(qi), y))
	}
	if rt.ID == Money {
		d, err := RatToDecimal(r, DecimalType(38, 4))
		if err != nil {
			return nil, rt, err
		}
		u := d.(DecimalValue).Unscaled
		if !u.IsInt64() {
			return nil, rt, overflow(rt)
		}
		return MoneyValue(u.Int64()), rt, nil
	}
	out, err := RatToDecimal(r, rt)
	return out, rt, err
}

func opName(op byte) string {
	switch op {
	case '+':
		return "add"
	case '-':
		return "subtract"
	case '*':
		return "multiply"
	case '/':
		return "divide"
	}
	return "modulo"
}

func dateArith(op byte, a, b any, ta, tb, rt Type) (any, Type, error) {
	if op != '+' && op != '-' || !(rt.ID == DateTime || rt.ID == SmallDateTime) {
		return nil, rt, errf(8117, "Operand data type %s is invalid for %s operator.", rt.ID.Name(), opName(op))
	}
	da, err := Convert(a, ta, DateTimeType, -1)
	if err != nil {
		return nil, rt, err
	}
	db, err := Convert(b, tb, DateTimeType, -1)
	if err != nil {
		return nil, rt, err
	}
	x, _ := toCivil(da)
	y, _ := toCivil(db)
	ty := (y.days-epoch1900)*ticksPerDay + y.ticks
	tx := x.days*ticksPerDay + x.ticks
	if op == '+' {
		tx += ty
	} else {
		tx -= ty
	}
	c := civil{days: tx / ticksPerDay, ticks: tx % ticksPerDay}
	c.normalize()
	v, ok := fromCivil(c, rt)
	if !ok {
		return nil, rt, errf(517, "Adding a value to a '%s' column caused an overflow.", rt.ID.Name())
	}
	return v, rt, nil
}

// DatePart names as DATEADD/DATEDIFF accept them (with abbreviations).
func normPart(p string) string {
	switch strings.ToLower(p) {
	case "year", "yy", "yyyy":
		return "year"
	case "quarter", "qq", "q":
		return "quarter"
	case "month", "mm", "m":
		return "month"
	case "dayofyear", "dy", "y", "day", "dd", "d", "weekday", "dw", "w":
		return "day"
	case "week", "wk", "ww":
		return "week"
	case "hour", "hh":
		return "hour"
	case "minute", "mi", "n":
		return "minute"
	case "second", "ss", "s":
		return "second"
	case "millisecond", "ms":
		return "millisecond"
	case "microsecond", "mcs":
		return "microsecond"
	case "nanosecond", "ns":
		return "nanosecond"
	}
	return ""
}

var partTicks = map[string]int64{
	"day": ticksPerDay, "week": 7 * ticksPerDay, "hour": 3600 * ticksPerSecond, "minute": 60 * ticksPerSecond,
	"second": ticksPerSecond, "millisecond": 10_000, "microsecond": 10, "nanosecond": 1,
}

// DateAdd is DATEADD(part, n, v) for a value of type t.
func DateAdd(part string, n int64, v any, t Type) (any, error) {
	p := normPart(part)
	if p == "" {
		return nil, errf(155, "'%s' is not a recognized dateadd option.", part)
	}
	if v == nil {
		return nil, nil
	}
	c, ok := toCivil(v)
	if !ok {
		return nil, errf(8116, "Argument data type %s is invalid for argument 2 of dateadd function.", t.ID.Name())
	}
	switch p {
	case "year", "quarter", "month":
		months := n
		if p == "year" {
			months *= 12
		} else if p == "quarter" {
			months *= 3
		}
		y, m, d := c.ymd()
		tm := time.Date(y, time.Month(m)+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
		last := time.Date(tm.Year(), tm.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if d > last {
			d = last
		}
		if tm.Year() < 1 || tm.Year() > 9999 {
			return nil, errf(517, "Adding a value to a '%s' column caused an overflow.", t.ID.Name())
		}
		c.days = civilFromDate(tm.Year(), int(tm.Month()), d)
	default:
		c.ticks += n * partTicks[p]
		c.normalize()
	}
	out, ok := fromCivil(c, t)
	if !ok {
		return nil, errf(517, "Adding a value to a '%s' column caused an overflow.", t.ID.Name())
	}
	return out, nil
}

// DateDiff is DATEDIFF(part, a, b): the number of part boundaries crossed.
func DateDiff(part string, a, b any) (int64, error) {
	p := normPart(part)
	if p == "" {
		return 0, errf(155, "'%s' is not a recognized datediff option.", part)
	}
	x, ok1 := toCivil(a)
	y, ok2 := toCivil(b)
	if !ok1 || !ok2 {
		return 0, errf(8116, "Argument data type is invalid for argument 2 of datediff function.")
	}
	if x.hasOff && y.hasOff {
		// datetimeoffset values compare in UTC.
		x.ticks -= int64(x.offset) * 60 * ticksPerSecond
		y.ticks -= int64(y.offset) * 60 * ticksPerSecond
		x.normalize()
		y.normalize()
	}
	y1, m1, _ := x.ymd()
	y2, m2, _ := y.ymd()
	var r int64
	switch p {
	case "year":
		r = int64(y2 - y1)
	case "quarter":
		r = int64((y2*12+m2-1)/3 - (y1*12+m1-1)/3)
	case "month":
		r = int64((y2*12 + m2) - (y1*12 + m1))
	case "week":
		// Weeks start on Sunday (us_english); 0001-01-01 was a Monday.
		r = floorDiv(y.days+1, 7) - floorDiv(x.days+1, 7)
	default:
		u := partTicks[p]
		r = floorDiv(y.days*ticksPerDay+y.ticks, u) - floorDiv(x.days*ticksPerDay+x.ticks, u)
	}
	if r > math.MaxInt32 || r < math.MinInt32 {
		return 0, errf(535, "The datediff function resulted in an overflow. The number of dateparts separating two date/time instances is too large. Try to use datediff with a less precise datepart.")
	}
	return r, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

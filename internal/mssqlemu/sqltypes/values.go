package sqltypes

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"reflect"
	"strings"
	"time"
)

// Rat returns the decimal's exact value.
func (d DecimalValue) Rat() *big.Rat {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	return new(big.Rat).SetFrac(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
}

// String renders the decimal with exactly Scale fractional digits.
func (d DecimalValue) String() string {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	neg := u.Sign() < 0
	s := new(big.Int).Abs(u).String()
	if d.Scale > 0 {
		for len(s) <= int(d.Scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// RatToDecimal rounds r half away from zero to to's scale and checks its
// precision (Msg 8115 on overflow).
func RatToDecimal(r *big.Rat, to Type) (any, error) {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to.Scale)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// Round half away from zero.
	if m.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		if twice.Cmp(den) >= 0 {
			if num.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	p := to.Precision
	if p == 0 {
		p = 38
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	if new(big.Int).Abs(q).Cmp(limit) >= 0 {
		return nil, errf(8115, "Arithmetic overflow error converting %s to data type numeric.", "expression")
	}
	return DecimalValue{Unscaled: q, Scale: to.Scale}, nil
}

// String renders a GUID as SQL Server does: upper-case, hyphenated, with the
// first three groups byte-swapped from storage order.
func (g GUID) String() string {
	b := []byte{g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6]}
	b = append(b, g[8:]...)
	h := strings.ToUpper(hex.EncodeToString(b))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ParseGUID reads the 36-character form, optionally in braces.
func ParseGUID(s string) (GUID, bool) {
	var g GUID
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil {
		return g, false
	}
	copy(g[:], []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]})
	copy(g[8:], b[8:])
	return g, true
}

// NewGUID returns a random (version 4) uniqueidentifier, as NEWID() does.
func NewGUID() GUID {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var g GUID
	copy(g[:], []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]})
	copy(g[8:], b[8:])
	return g
}

// FromTime converts a Go time to a value of date/time type t (keeping the
// time's offset for datetimeoffset, its wall clock otherwise).
func FromTime(tm time.Time, t Type) any {
	c := civilFromTime(tm)
	if t.ID != DateTimeOffset {
		c.hasOff = false
	}
	v, _ := fromCivil(c, t)
	return v
}

// ToTime converts a date/time value to a Go time (UTC wall clock, or the
// value's offset for datetimeoffset).
func ToTime(v any) (time.Time, bool) {
	c, ok := toCivil(v)
	if !ok {
		return time.Time{}, false
	}
	return c.Time(), true
}

// Compare orders two non-NULL values of comparable types; strings compare
// under the collation (case-insensitive unless it is _CS or _BIN, trailing
// spaces ignored). Mixed types are converted to the type of higher precedence.
func Compare(a, b any, ta, tb Type, coll Collation) (int, error) {
	xa, va := a.(VariantValue)
	xb, vb := b.(VariantValue)
	if va || vb {
		// sql_variant comparison: values of one family compare as values,
		// otherwise the family order decides.
		if va {
			a, ta = xa.Value, xa.Base
		}
		if vb {
			b, tb = xb.Value, xb.Base
		}
		if ta.ID == Unknown {
			ta = TypeOf(a)
		}
		if tb.ID == Unknown {
			tb = TypeOf(b)
		}
		if fa, fb := variantFamily(ta.ID), variantFamily(tb.ID); fa != fb {
			return cmp3(int64(fa), int64(fb)), nil
		}
	}
	if ta.ID == Unknown {
		ta = TypeOf(a)
	}
	if tb.ID == Unknown {
		tb = TypeOf(b)
	}
	if ta.ID.IsCharacter() && tb.ID.IsCharacter() {
		return CompareStrings(a.(string), b.(string), coll), nil
	}
	// bit compares as the integer 0 or 1.
	if x, ok := a.(bool); ok {
		if _, same := b.(bool); !same && !tb.ID.IsCharacter() {
			a, ta = boolInt(x), IntType
		}
	}
	if y, ok := b.(bool); ok {
		if _, same := a.(bool); !same && !ta.ID.IsCharacter() {
			b, tb = boolInt(y), IntType
		}
	}
	if ta.ID != tb.ID && !(ta.ID.IsInteger() && tb.ID.IsInteger()) {
		target := ta
		if tb.ID.Precedence() > ta.ID.Precedence() {
			target = tb
		}
		if target.ID == Decimal || target.ID == Numeric {
			target = DecimalType(38, 18)
			ra, err := toRat(a, ta, target)
			if err != nil {
				return 0, err
			}
			rb, err := toRat(b, tb, target)
			if err != nil {
				return 0, err
			}
			return ra.Cmp(rb), nil
		}
		if target.ID.IsCharacter() {
			target = NVarCharType(Max)
		} else if target.ID.IsDateTime() {
			target.Scale = 7
		} else if target.ID.IsBinary() {
			target = VarBinaryType(Max)
		}
		var err error
		if a, err = Convert(a, ta, target, -1); err != nil {
			return 0, err
		}
		if b, err = Convert(b, tb, target, -1); err != nil {
			return 0, err
		}
	}
	return compareSame(a, b, coll), nil
}

func compareSame(a, b any, coll Collation) int {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		// Not expected after conversion; order by text rather than fail.
		sa, _ := ToString(a, TypeOf(a), 2)
		sb, _ := ToString(b, TypeOf(b), 2)
		return CompareStrings(sa, sb, coll)
	}
	switch x := a.(type) {
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case int64:
		return cmp3(x, b.(int64))
	case float64:
		return cmp3(x, b.(float64))
	case float32:
		return cmp3(x, b.(float32))
	case MoneyValue:
		return cmp3(x, b.(MoneyValue))
	case DecimalValue:
		return x.Rat().Cmp(b.(DecimalValue).Rat())
	case string:
		return CompareStrings(x, b.(string), coll)
	case XMLValue:
		return strings.Compare(string(x), string(b.(XMLValue)))
	case []byte:
		return bytes.Compare(bytes.TrimRight(x, "\x00"), bytes.TrimRight(b.([]byte), "\x00"))
	case GUID:
		return compareGUID(x, b.(GUID))
	case DateTimeOffsetValue:
		y := b.(DateTimeOffsetValue)
		return cmp2(int64(x.UTC.Date), int64(x.UTC.Time), int64(y.UTC.Date), int64(y.UTC.Time))
	}
	ca, ok1 := toCivil(a)
	cb, ok2 := toCivil(b)
	if ok1 && ok2 {
		return cmp2(ca.days, ca.ticks, cb.days, cb.ticks)
	}
	return 0
}

// compareGUID orders uniqueidentifiers as SQL Server does: bytes 10-15
// first, then 8-9, 6-7, 4-5, 0-3.
func compareGUID(a, b GUID) int {
	for _, grp := range [][2]int{{10, 16}, {8, 10}, {6, 8}, {4, 6}, {0, 4}} {
		if c := bytes.Compare(a[grp[0]:grp[1]], b[grp[0]:grp[1]]); c != 0 {
			return c
		}
	}
	return 0
}

func cmp3[T int64 | float64 | float32 | MoneyValue](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmp2(a1, a2, b1, b2 int64) int {
	if c := cmp3(a1, b1); c != 0 {
		return c
	}
	return cmp3(a2, b2)
}

// CompareStrings compares under coll, ignoring trailing spaces.
func CompareStrings(a, b string, coll Collation) int {
	a = strings.TrimRight(a, " ")
	b = strings.TrimRight(b, " ")
	if !coll.CaseSensitive() {
		la, lb := strings.ToLower(a), strings.ToLower(b)
		if c := strings.Compare(la, lb); c != 0 {
			return c
		}
		return 0
	}
	return strings.Compare(a, b)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// variantFamily ranks a sql_variant's base type family for comparisons
// between families (higher compares greater): date and time, approximate
// numeric, exact numeric, character, binary, uniqueidentifier.
func variantFamily(id TypeID) int {
	switch {
	case id.IsDateTime():
		return 6
	case id == Float || id == Real:
		return 5
	case id.IsInteger() || id == Bit || id == Decimal || id == Numeric || id == Money || id == SmallMoney:
		return 4
	case id.IsCharacter():
		return 3
	case id.IsBinary():
		return 2
	case id == UniqueIdentifier:
		return 1
	}
	return 0
}

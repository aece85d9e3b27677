package avro

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// errNotNullable is returned for a NULL in a column that is NOT NULL.
var errNotNullable = errors.New("NULL in a NOT NULL column")

// encodeColumn writes one column value, with its union branch when the
// column's Avro type is nullable. nil is SQL NULL, and so are a nil *big.Rat
// and a nil []byte (as database/sql scans a NULL); []byte{} is empty binary.
func encodeColumn(w *writer, p *colPlan, v any) error {
	if isNull(v) {
		if !p.nullable {
			return errNotNullable
		}
		w.unionIndex(0)
		return nil
	}
	if p.nullable {
		w.unionIndex(1)
	}
	return encodeNonNull(w, p, v)
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	switch x := v.(type) {
	case *big.Rat:
		return x == nil
	case []byte:
		return x == nil
	}
	return false
}

func wrongType(p *colPlan, v any) error {
	return fmt.Errorf("want a %s, got a %T", p.m.GoType, v)
}

func encodeNonNull(w *writer, p *colPlan, v any) error {
	switch p.kind {
	case kindBoolean:
		b, ok := v.(bool)
		if !ok {
			return wrongType(p, v)
		}
		w.boolean(b)
	case kindInt, kindLong:
		n, ok := v.(int64)
		if !ok {
			return wrongType(p, v)
		}
		if n < p.m.min || n > p.m.max {
			return fmt.Errorf("%d is out of the range of %s (%d to %d)", n, p.col.Type, p.m.min, p.m.max)
		}
		w.long(n)
	case kindDecimal:
		r, ok := v.(*big.Rat)
		if !ok {
			return wrongType(p, v)
		}
		if writeSmallDecimal(w, r, p) {
			break
		}
		b, err := decimalBytes(r, p)
		if err != nil {
			return err
		}
		w.bytes(b)
	case kindDouble:
		f, ok := v.(float64)
		if !ok {
			return wrongType(p, v)
		}
		w.double(f)
	case kindFloat:
		f, ok := v.(float32)
		if !ok {
			return wrongType(p, v)
		}
		w.float(f)
	case kindString:
		s, ok := v.(string)
		if !ok {
			return wrongType(p, v)
		}
		if !utf8.ValidString(s) {
			return errors.New("string is not valid UTF-8")
		}
		w.str(s)
	case kindBytes:
		b, ok := v.([]byte)
		if !ok {
			return wrongType(p, v)
		}
		w.bytes(b)
	case kindUUID:
		s, ok := v.(string)
		if !ok {
			return wrongType(p, v)
		}
		if !isGUID(s) {
			return fmt.Errorf("%q is not a GUID in the form 6F9619FF-8B86-D011-B42D-00C04FC964FF", s)
		}
		w.str(strings.ToUpper(s))
	case kindDate:
		t, ok := v.(time.Time)
		if !ok {
			return wrongType(p, v)
		}
		d, err := dateDays(t)
		if err != nil {
			return err
		}
		w.long(d)
	case kindTime:
		d, ok := v.(time.Duration)
		if !ok {
			return wrongType(p, v)
		}
		if d < 0 || d >= 24*time.Hour {
			return fmt.Errorf("time of day %v is outside 00:00:00 to 23:59:59.9999999", d)
		}
		w.long(min(roundMicros(int64(d)), maxTimeMicros))
	case kindTimestamp:
		t, ok := v.(time.Time)
		if !ok {
			return wrongType(p, v)
		}
		us, err := wallMicros(t)
		if err != nil {
			return err
		}
		w.long(us)
	case kindZoned:
		t, ok := v.(time.Time)
		if !ok {
			return wrongType(p, v)
		}
		s, err := formatZoned(t, p.col.Scale)
		if err != nil {
			return err
		}
		w.str(s)
	default:
		return fmt.Errorf("no encoder for %s", p.col.Type)
	}
	return nil
}

// decodeColumn reads one column value written by encodeColumn.
func decodeColumn(r *reader, p *colPlan) (any, error) {
	if p.nullable {
		i, err := r.unionIndex(2)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			return nil, nil
		}
	}
	switch p.kind {
	case kindBoolean:
		return r.boolean()
	case kindInt, kindLong:
		n, err := r.long()
		if err != nil {
			return nil, err
		}
		if n < p.m.min || n > p.m.max {
			return nil, fmt.Errorf("%d is out of the range of %s", n, p.col.Type)
		}
		return n, nil
	case kindDecimal:
		b, err := r.bytes()
		if err != nil {
			return nil, err
		}
		return decimalFromBytes(b, p), nil
	case kindDouble:
		return r.double()
	case kindFloat:
		return r.float()
	case kindString:
		return r.str()
	case kindBytes:
		b, err := r.bytes()
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case kindUUID:
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return strings.ToUpper(s), nil
	case kindDate:
		d, err := r.int()
		if err != nil {
			return nil, err
		}
		return time.Unix(int64(d)*86400, 0).UTC(), nil
	case kindTime:
		us, err := r.long()
		if err != nil {
			return nil, err
		}
		if us < 0 || us > maxTimeMicros+1 { // 24:00:00 accepted from other writers
			return nil, fmt.Errorf("time-micros value %d is outside a day", us)
		}
		return time.Duration(us) * time.Microsecond, nil
	case kindTimestamp:
		us, err := r.long()
		if err != nil {
			return nil, err
		}
		return time.UnixMicro(us).UTC(), nil
	case kindZoned:
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return parseZoned(s)
	}
	return nil, fmt.Errorf("no decoder for %s", p.col.Type)
}

// skipColumn reads past a value of p's column without decoding it.
func skipColumn(r *reader, p *colPlan) error {
	if p.nullable {
		i, err := r.unionIndex(2)
		if err != nil || i == 0 {
			return err
		}
	}
	var err error
	switch p.kind {
	case kindBoolean:
		_, err = r.boolean()
	case kindInt, kindLong, kindDate, kindTime, kindTimestamp:
		_, err = r.long()
	case kindDouble:
		_, err = r.double()
	case kindFloat:
		_, err = r.float()
	case kindString, kindBytes, kindDecimal, kindUUID, kindZoned:
		_, err = r.bytes()
	default:
		err = fmt.Errorf("no reader for %s", p.col.Type)
	}
	return err
}

// decimalBytes is the Avro decimal form of r: the two's-complement,
// big-endian bytes of r×10^scale. It refuses, rather than rounds, a value
// with more decimals than the scale or more digits than the precision.
func decimalBytes(r *big.Rat, p *colPlan) ([]byte, error) {
	n := new(big.Int).Mul(r.Num(), p.pow10Scale)
	q, rem := new(big.Int).QuoRem(n, r.Denom(), new(big.Int))
	if rem.Sign() != 0 {
		return nil, fmt.Errorf("%s has more than %d decimal places; refusing to round it", r.RatString(), p.scale)
	}
	n = q
	if new(big.Int).Abs(n).Cmp(p.pow10Precision) >= 0 {
		return nil, fmt.Errorf("%s has more than %d digits", r.FloatString(p.scale), p.precision)
	}
	return twosComplement(n), nil
}

// pow10 holds 10^0 to 10^18, the powers of ten an int64 holds.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// writeSmallDecimal writes r, the usual decimal, without big.Int
// arithmetic when its unscaled value fits an int64 and it has at most
// p.scale decimal places and p.precision digits; it returns false, having
// written nothing, otherwise (decimalBytes then writes it or says why not).
func writeSmallDecimal(w *writer, r *big.Rat, p *colPlan) bool {
	if p.scale >= len(pow10) || !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return false
	}
	num, den := r.Num().Int64(), r.Denom().Int64()
	scale := pow10[p.scale]
	if scale%den != 0 {
		return false // more decimal places than the scale
	}
	f := scale / den
	if num > math.MaxInt64/f || num < math.MinInt64/f {
		return false
	}
	n := num * f
	if p.precision < len(pow10) && (n >= pow10[p.precision] || n <= -pow10[p.precision]) {
		return false // more digits than the precision
	}
	// The shortest big-endian two's complement of n, as twosComplement.
	k := 1
	for k < 8 && (n < -(1<<(8*k-1)) || n >= 1<<(8*k-1)) {
		k++
	}
	w.long(int64(k))
	for i := k - 1; i >= 0; i-- {
		w.b = append(w.b, byte(n>>(8*i)))
	}
	return true
}

func twosComplement(n *big.Int) []byte {
	switch n.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	one := big.NewInt(1)
	m := new(big.Int).Sub(new(big.Int).Neg(n), one) // |n|-1 fits in k bytes with the top bit clear
	k := m.BitLen()/8 + 1
	x := new(big.Int).Lsh(one, uint(8*k))
	x.Add(x, n)
	return x.FillBytes(make([]byte, k))
}

func decimalFromBytes(b []byte, p *colPlan) *big.Rat {
	if len(b) > 0 && len(b) <= 8 && p.scale >= 0 && p.scale <= 18 {
		// The usual case in machine words: an unscaled value that fits
		// an int64, reduced before big.Rat normalizes it.
		n := int64(int8(b[0]))
		for _, c := range b[1:] {
			n = n<<8 | int64(c)
		}
		d := int64(1)
		for range p.scale {
			d *= 10
		}
		if g := gcd64(n, d); g > 1 {
			n, d = n/g, d/g
		}
		if n == math.MinInt64 {
			return new(big.Rat).SetFrac64(n, d) // not reduced by gcd64
		}
		r := new(big.Rat).SetInt64(n)
		if d != 1 {
			// n/d is in lowest terms with d > 0: set the denominator in
			// place (Denom is a reference to it once r is set) instead of
			// SetFrac64, whose big.Int GCD finds 1 again at a tenth of
			// the consumer's decode time.
			r.Denom().SetInt64(d)
		}
		return r
	}
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return new(big.Rat).SetFrac(n, p.pow10Scale)
}

// gcd64 is the greatest common divisor of |a| and b > 0, or 1 when a is
// math.MinInt64, whose magnitude an int64 cannot hold (no reduction then:
// big.Rat normalizes anyway).
func gcd64(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		return 1
	}
	return a
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// roundMicros rounds non-negative nanoseconds to microseconds, half up.
func roundMicros(ns int64) int64 { return (ns + 500) / 1000 }

// Rounding half up never carries a value past the end of its range: time
// stops at 23:59:59.999999 (Java's LocalTime and Python's time have no
// 24:00:00) and datetime2 at 9999-12-31 23:59:59.999999 (not year 10000).
const (
	maxTimeMicros      = int64(24*time.Hour/time.Microsecond) - 1
	maxTimestampMicros = int64(253402300799999999) // 9999-12-31T23:59:59.999999
)

func checkYear(t time.Time) error {
	if y := t.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("year %d is outside SQL Server's 1 to 9999", y)
	}
	return nil
}

// dateDays is the number of days from 1970-01-01 to t's calendar date. t
// must be a midnight (in any location; its date is taken as written).
func dateDays(t time.Time) (int64, error) {
	if err := checkYear(t); err != nil {
		return 0, err
	}
	if h, m, s := t.Clock(); h != 0 || m != 0 || s != 0 || t.Nanosecond() != 0 {
		return 0, fmt.Errorf("date value %s has a time of day; want midnight", t.Format(time.RFC3339Nano))
	}
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / 86400, nil
}

// wallMicros is the wall-clock value of t as microseconds since
// 1970-01-01T00:00:00, rounded half up. It reads t's clock as written and
// never consults a time zone database or the process's zone: hamba's
// local-timestamp conversion would shift it by time.Local.
func wallMicros(t time.Time) (int64, error) {
	if err := checkYear(t); err != nil {
		return 0, err
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	sec := time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix()
	return min(sec*1_000_000+roundMicros(int64(t.Nanosecond())), maxTimestampMicros), nil
}

// formatZoned renders a datetimeoffset: ISO-8601 with the value's own
// offset (+00:00, never Z) and at least scale fractional digits, more when
// the value has non-zero digits beyond the scale.
func formatZoned(t time.Time, scale int) (string, error) {
	if err := checkYear(t); err != nil {
		return "", err
	}
	if _, off := t.Zone(); off%60 != 0 {
		return "", fmt.Errorf("offset of %d seconds is not a whole minute", off)
	}
	digits := min(max(scale, 0), 9)
	ns := t.Nanosecond()
	for digits < 9 && ns%pow10Int(9-digits) != 0 {
		digits++
	}
	layout := "2006-01-02T15:04:05"
	if digits > 0 {
		layout += "." + strings.Repeat("0", digits)
	}
	return t.Format(layout + "-07:00"), nil
}

func pow10Int(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// parseZoned reads formatZoned's text into a time.Time in a fixed zone with
// the written offset (never time.Local, even when the offsets agree).
func parseZoned(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("datetimeoffset text %q: %w", s, err)
	}
	_, off := t.Zone()
	return t.In(time.FixedZone("", off)), nil
}

package apply

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// positionLen is the length of an encoded source position.
const positionLen = 10 + 10 + 8

// position is an event's source position in a byte form whose byte order is
// log order: commit LSN, change LSN, then the serial number big-endian with
// its sign bit flipped.
type position [positionLen]byte

func encodePosition(e *event.Event) position {
	var p position
	commit, change, serial := e.Position()
	copy(p[0:10], commit[:])
	copy(p[10:20], change[:])
	binary.BigEndian.PutUint64(p[20:], uint64(serial)^(1<<63))
	return p
}

func (p position) compare(o position) int { return strings.Compare(string(p[:]), string(o[:])) }

// errNUL is the error for a string holding U+0000.
var errNUL = errors.New("value contains the character U+0000, which PostgreSQL text cannot store; set TARGET_STRIP_NUL=on to drop such characters")

// toPG converts an event value of column c to what pgx encodes for the
// column's target type. nil stays nil (NULL). With stripNUL, U+0000
// characters are dropped from strings; without, they are an error.
func toPG(c catalog.Column, v any, stripNUL bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case "tinyint", "smallint", "int", "bigint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int:
			return int64(x), nil
		case uint8:
			return int64(x), nil
		}
	case "decimal", "numeric", "money", "smallmoney":
		switch x := v.(type) {
		case *big.Rat:
			return ratToNumeric(x, scaleOf(c)), nil
		case string:
			return x, nil // already exact text
		}
	case "time":
		switch x := v.(type) {
		case time.Duration:
			if x < 0 || x >= 24*time.Hour {
				return nil, fmt.Errorf("time value %v is outside a day", x)
			}
			return pgtype.Time{Microseconds: int64(x / time.Microsecond), Valid: true}, nil
		}
	case "date", "datetime", "datetime2", "smalldatetime":
		if x, ok := v.(time.Time); ok {
			return x, nil
		}
	case "datetimeoffset":
		if x, ok := v.(time.Time); ok {
			return roundOffsetTime(x), nil
		}
	case "bit":
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case "float":
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case "real":
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		}
	case "binary", "varbinary", "image":
		if x, ok := v.([]byte); ok {
			return x, nil
		}
	default: // character types, xml, uniqueidentifier
		if x, ok := v.(string); ok {
			if strings.IndexByte(x, 0) >= 0 {
				if !stripNUL {
					return nil, errNUL
				}
				x = strings.ReplaceAll(x, "\x00", "")
			}
			return x, nil
		}
	}
	return nil, fmt.Errorf("value of Go type %T does not fit SQL Server type %s", v, c.TypeString())
}

// roundOffsetTime rounds a datetimeoffset's 100 ns digit half up to the
// microsecond PostgreSQL keeps (pgx would truncate it), as the producer does
// for time, datetime and datetime2, and like it never rounds the source's
// wall clock past 9999-12-31 23:59:59.999999.
func roundOffsetTime(t time.Time) time.Time {
	r := t.Round(time.Microsecond)
	if r.Year() > 9999 {
		return t.Truncate(time.Microsecond)
	}
	return r
}

func scaleOf(c catalog.Column) int {
	switch c.Type {
	case "money", "smallmoney":
		return 4
	}
	return c.Scale
}

// ratToNumeric converts r to a numeric with scale digits after the point,
// rounding half away from zero when r has more digits (it should not).
func ratToNumeric(r *big.Rat, scale int) pgtype.Numeric {
	// The usual case, without big arithmetic: a value whose denominator
	// divides 10^scale and whose result fits in an int64.
	if scale >= 0 && scale < len(pow10) && r.Num().IsInt64() && r.Denom().IsInt64() {
		n, d, p := r.Num().Int64(), r.Denom().Int64(), pow10[scale]
		if p%d == 0 {
			m := p / d
			if q := n * m; n == 0 || (q/m == n && q/n == m) {
				return pgtype.Numeric{Int: big.NewInt(q), Exp: int32(-scale), Valid: true}
			}
		}
	}
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	num := new(big.Int).Mul(r.Num(), pow)
	q, m := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		m.Abs(m).Lsh(m, 1)
		if m.Cmp(r.Denom()) >= 0 {
			if r.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return pgtype.Numeric{Int: q, Exp: int32(-scale), Valid: true}
}

// pow10 are the powers of ten an int64 holds.
var pow10 = func() []int64 {
	p := []int64{1}
	for p[len(p)-1] <= (1<<63-1)/10 {
		p = append(p, p[len(p)-1]*10)
	}
	return p
}()

// keyString is an injective text form of key values, for compaction in
// memory and for the deleted_keys table.
func keyString(key event.Row) (string, error) {
	var buf [64]byte
	b := buf[:0]
	for i, v := range key {
		var err error
		if b, err = appendKeyValue(b, i, v); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// appendKeyValue appends the text form of v, the i-th value of a key, to b
// (keyString's form; compaction builds it in place for every event).
func appendKeyValue(b []byte, i int, v any) ([]byte, error) {
	if i > 0 {
		b = append(b, ',')
	}
	switch x := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, x)
	case int64:
		b = strconv.AppendInt(b, x, 10)
	case int32, int16, int, uint8:
		b = fmt.Appendf(b, "%d", x)
	case *big.Rat:
		b = append(b, x.RatString()...)
	case float64:
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	case float32:
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	case string:
		b = strconv.AppendQuote(b, x)
	case []byte:
		b = append(b, "0x"...)
		b = hex.AppendEncode(b, x)
	case time.Time:
		b = x.UTC().AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		b = strconv.AppendInt(b, int64(x), 10)
		b = append(b, "ns"...)
	default:
		return b, fmt.Errorf("key value of Go type %T cannot be a key", v)
	}
	return b, nil
}

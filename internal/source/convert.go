package source

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// convert turns the value go-mssqldb returned for a column into the Go type
// event.Row fixes for the column's SQL Server type. It never passes a
// decimal through float64, and it fails rather than guess on a value of an
// unexpected Go type.
func convert(c *catalog.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("column %s (%s): unexpected value of Go type %T from the driver", c.Name, c.TypeString(), v)
	}
	switch c.Type {
	case "bit":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case "tinyint", "smallint", "int", "bigint":
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case "decimal", "numeric", "money", "smallmoney":
		var s string
		switch x := v.(type) {
		case []byte:
			s = string(x)
		case string:
			s = x
		default:
			return bad()
		}
		r, ok := parseDecimal(s)
		if !ok {
			return nil, fmt.Errorf("column %s (%s): %q is not a decimal number", c.Name, c.TypeString(), s)
		}
		return r, nil
	case "float":
		if x, ok := v.(float64); ok {
			return x, nil
		}
	case "real":
		switch x := v.(type) {
		case float64:
			return float32(x), nil
		case float32:
			return x, nil
		}
	case "char", "varchar", "nchar", "nvarchar", "text", "ntext", "xml":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "binary", "varbinary", "image":
		if x, ok := v.([]byte); ok {
			return append([]byte{}, x...), nil
		}
	case "uniqueidentifier":
		switch x := v.(type) {
		case []byte:
			if len(x) != 16 {
				return nil, fmt.Errorf("column %s (uniqueidentifier): want 16 bytes, got %d", c.Name, len(x))
			}
			return guidString(x), nil
		case string:
			return strings.ToUpper(x), nil
		}
	case "date":
		if t, ok := v.(time.Time); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	case "time":
		if t, ok := v.(time.Time); ok {
			return sinceMidnight(t), nil
		}
	case "datetime", "datetime2", "smalldatetime":
		if t, ok := v.(time.Time); ok {
			return wallUTC(t), nil
		}
	case "datetimeoffset":
		if t, ok := v.(time.Time); ok {
			_, off := t.Zone()
			return t.In(time.FixedZone("", off)), nil
		}
	default:
		return nil, fmt.Errorf("column %s: type %s is not synchronized", c.Name, c.Type)
	}
	return bad()
}

// guidString renders a uniqueidentifier's 16 bytes, which SQL Server stores
// and sends with the first three groups little-endian, in SQL Server's text
// form: 6F9619FF-8B86-D011-B42D-00C04FC964FF.
func guidString(b []byte) string {
	// By hand rather than through mssql.UniqueIdentifier's String, whose
	// fmt.Sprintf was the largest cost of converting a row.
	const digits = "0123456789ABCDEF"
	var out [36]byte
	o := 0
	for i, j := range [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15} {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[o] = '-'
			o++
		}
		out[o], out[o+1] = digits[b[j]>>4], digits[b[j]&0x0f]
		o += 2
	}
	return string(out[:])
}

// parseDecimal reads the decimal text go-mssqldb returns ("-1234.25") as
// a big.Rat, through int64 arithmetic when it has at most 18 digits (the
// usual case; big.Rat's SetString costs several times more), else through
// SetString.
func parseDecimal(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	neg, digits := false, s
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		neg, digits = digits[0] == '-', digits[1:]
	}
	var n, den int64 = 0, 1
	count, point := 0, false
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if count++; count > 18 {
				return new(big.Rat).SetString(s)
			}
			n = n*10 + int64(c-'0')
			if point {
				den *= 10
			}
		default:
			return new(big.Rat).SetString(s)
		}
	}
	if count == 0 {
		return new(big.Rat).SetString(s)
	}
	if neg {
		n = -n
	}
	return new(big.Rat).SetFrac64(n, den), true
}

// wallUTC keeps t's wall clock and calls it UTC: datetime values have no
// zone, whatever location the driver decoded them in.
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// keyText renders a converted primary-key value as text for Position, in a
// form keyValue reads back exactly.
func keyText(c *catalog.Column, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", fmt.Errorf("key column %s is NULL", c.Name)
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case *big.Rat:
		return x.RatString(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case string:
		return x, nil
	case []byte:
		return hex.EncodeToString(x), nil
	case time.Duration:
		return strconv.FormatInt(int64(x), 10), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("key column %s: cannot save a value of Go type %T", c.Name, v)
}

// keyValue reads back what keyText wrote, as the column's event.Row type.
func keyValue(c *catalog.Column, s string) (any, error) {
	var v any
	var err error
	switch c.Type {
	case "bit":
		v, err = strconv.ParseBool(s)
	case "tinyint", "smallint", "int", "bigint":
		v, err = strconv.ParseInt(s, 10, 64)
	case "decimal", "numeric", "money", "smallmoney":
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			err = fmt.Errorf("%q is not a number", s)
		}
		v = r
	case "float":
		v, err = strconv.ParseFloat(s, 64)
	case "real":
		var f float64
		f, err = strconv.ParseFloat(s, 32)
		v = float32(f)
	case "char", "varchar", "nchar", "nvarchar", "text", "ntext", "xml", "uniqueidentifier":
		v = s
	case "binary", "varbinary", "image":
		v, err = hex.DecodeString(s)
	case "time":
		var n int64
		n, err = strconv.ParseInt(s, 10, 64)
		v = time.Duration(n)
	case "date", "datetime", "datetime2", "smalldatetime", "datetimeoffset":
		v, err = time.Parse(time.RFC3339Nano, s)
	default:
		err = fmt.Errorf("type %s cannot be in a key", c.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("saved key of column %s (%s): %w", c.Name, c.TypeString(), err)
	}
	return v, nil
}

// keyParam turns a key value into a query argument that SQL Server compares
// with the column without surprises: varchar as varchar, datetime2 as
// datetime2, GUIDs in their byte order.
func keyParam(c *catalog.Column, v any) (any, error) {
	switch c.Type {
	case "decimal", "numeric", "money", "smallmoney":
		r, ok := v.(*big.Rat)
		if !ok {
			break
		}
		scale := c.Scale
		if c.Type == "money" || c.Type == "smallmoney" {
			scale = 4
		}
		return r.FloatString(scale), nil
	case "char", "varchar", "text":
		if s, ok := v.(string); ok {
			return mssql.VarChar(s), nil
		}
	case "uniqueidentifier":
		s, ok := v.(string)
		if !ok {
			break
		}
		var u mssql.UniqueIdentifier
		if err := u.Scan(s); err != nil {
			return nil, fmt.Errorf("key column %s: %q is not a uniqueidentifier: %w", c.Name, s, err)
		}
		return u, nil
	case "date":
		if t, ok := v.(time.Time); ok {
			return civil.DateOf(t), nil
		}
	case "time":
		if d, ok := v.(time.Duration); ok {
			t := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(d)
			return civil.TimeOf(t), nil
		}
	case "datetime", "datetime2", "smalldatetime":
		if t, ok := v.(time.Time); ok {
			return civil.DateTimeOf(t), nil
		}
	case "datetimeoffset":
		if t, ok := v.(time.Time); ok {
			return mssql.DateTimeOffset(t), nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("key column %s (%s): unexpected key value of Go type %T", c.Name, c.TypeString(), v)
}

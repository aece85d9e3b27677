// Package verify compares a source table with its target copy row by row: it
// reduces each side to a map from primary key to a digest of the row's
// canonical text, so the comparison does not depend on either database's
// sort order or collation, and reports counts, a content checksum and the
// keys that differ.
package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Side is one table's content, reduced.
type Side struct {
	Rows   int
	digest map[string][32]byte // key text → row digest
}

// NewSide returns an empty side.
func NewSide() *Side { return &Side{digest: map[string][32]byte{}} }

// Add records one row given its values in column order and the indexes of the
// key columns. Values are canonicalised with Canonical.
func (s *Side) Add(values []any, keyIdx []int) error {
	var row, key strings.Builder
	for i, v := range values {
		c, err := Canonical(v)
		if err != nil {
			return fmt.Errorf("column %d: %w", i+1, err)
		}
		row.WriteString(c)
		row.WriteByte(0x1f)
	}
	for _, i := range keyIdx {
		c, err := Canonical(values[i])
		if err != nil {
			return err
		}
		key.WriteString(c)
		key.WriteByte(0x1f)
	}
	k := key.String()
	if _, dup := s.digest[k]; dup {
		return fmt.Errorf("duplicate key %q", k)
	}
	s.digest[k] = sha256.Sum256([]byte(row.String()))
	s.Rows++
	return nil
}

// Checksum is a digest of the whole content, independent of row order.
func (s *Side) Checksum() string {
	keys := make([]string, 0, len(s.digest))
	for k := range s.digest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		d := s.digest[k]
		h.Write([]byte(k))
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Diff lists up to max keys that are missing on one side or differ.
type Diff struct {
	Missing   []string // in source, not in target
	Extra     []string // in target, not in source
	Different []string // in both, other content
}

// Equal reports whether there is no difference.
func (d Diff) Equal() bool { return len(d.Missing)+len(d.Extra)+len(d.Different) == 0 }

func (d Diff) String() string {
	if d.Equal() {
		return "identical"
	}
	return fmt.Sprintf("%d missing in target %v, %d extra in target %v, %d different %v",
		len(d.Missing), d.Missing, len(d.Extra), d.Extra, len(d.Different), d.Different)
}

// Compare returns how target differs from source, listing at most max keys of
// each kind (key values shown separated by '|').
func Compare(source, target *Side, max int) Diff {
	var d Diff
	show := func(k string) string { return strings.ReplaceAll(strings.TrimSuffix(k, "\x1f"), "\x1f", "|") }
	for k, sd := range source.digest {
		td, ok := target.digest[k]
		switch {
		case !ok:
			if len(d.Missing) < max {
				d.Missing = append(d.Missing, show(k))
			}
		case td != sd:
			if len(d.Different) < max {
				d.Different = append(d.Different, show(k))
			}
		}
	}
	for k := range target.digest {
		if _, ok := source.digest[k]; !ok && len(d.Extra) < max {
			d.Extra = append(d.Extra, show(k))
		}
	}
	sort.Strings(d.Missing)
	sort.Strings(d.Extra)
	sort.Strings(d.Different)
	return d
}

// Canonical renders a value read from either database (the source reader's
// event.Row types, or what pgx returns) as text that is equal exactly when
// the values are equal: numbers by value, times as UTC instants or wall
// clocks to the microsecond the target keeps, UUIDs in upper case.
func Canonical(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "\x00NULL", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int:
		return strconv.Itoa(x), nil
	case uint8:
		return strconv.Itoa(int(x)), nil
	case *big.Rat:
		return x.RatString(), nil
	case pgtype.Numeric:
		if !x.Valid {
			return "\x00NULL", nil
		}
		r := new(big.Rat).SetInt(x.Int)
		e := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(x.Exp))), nil))
		if x.Exp >= 0 {
			r.Mul(r, e)
		} else {
			r.Quo(r, e)
		}
		return r.RatString(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case string:
		return x, nil
	case []byte:
		return "0x" + hex.EncodeToString(x), nil
	case [16]byte: // pgx's uuid
		h := strings.ToUpper(hex.EncodeToString(x[:]))
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
	case time.Time:
		return x.UTC().Round(time.Microsecond).Format("2006-01-02T15:04:05.000000"), nil
	case time.Duration:
		return strconv.FormatInt(x.Round(time.Microsecond).Microseconds(), 10) + "us", nil
	case pgtype.Time:
		if !x.Valid {
			return "\x00NULL", nil
		}
		return strconv.FormatInt(x.Microseconds, 10) + "us", nil
	}
	return "", fmt.Errorf("no canonical form for %T", v)
}

func abs(i int32) int32 {
	if i < 0 {
		return -i
	}
	return i
}

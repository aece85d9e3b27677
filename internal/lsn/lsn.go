// Package lsn holds SQL Server's log sequence number, the binary(10) value that
// orders every change that change data capture records.
package lsn

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// LSN is a SQL Server log sequence number as stored in binary(10) columns:
// a 4-byte virtual log file number, a 4-byte log block offset and a 2-byte
// slot number, big-endian, so byte order is log order.
type LSN [10]byte

// Zero is the LSN before every other one.
var Zero LSN

// FromBytes converts a binary(10) value read from SQL Server. It refuses any
// other length, since a truncated LSN would silently compare wrong.
func FromBytes(b []byte) (LSN, error) {
	var l LSN
	if len(b) != len(l) {
		return l, fmt.Errorf("lsn: want 10 bytes, got %d (%x)", len(b), b)
	}
	copy(l[:], b)
	return l, nil
}

// Bytes returns the binary(10) form, for use as a query parameter.
func (l LSN) Bytes() []byte { return append([]byte(nil), l[:]...) }

// Compare returns -1, 0 or +1 as l sorts before, with or after o.
func (l LSN) Compare(o LSN) int { return bytes.Compare(l[:], o[:]) }

// IsZero reports whether l is the zero LSN.
func (l LSN) IsZero() bool { return l == Zero }

// Hex is the 0x-prefixed form T-SQL literals use: 0x0000002A000001A80003.
func (l LSN) Hex() string { return "0x" + strings.ToUpper(hex.EncodeToString(l[:])) }

// String is the Debezium form, used in the change event's source block:
// 0000002a:000001a8:0003.
func (l LSN) String() string {
	h := hex.EncodeToString(l[:])
	return h[0:8] + ":" + h[8:16] + ":" + h[16:20]
}

// ParseBytes is Parse of text held in b, without copying it into a string:
// the decoder reads two LSNs from every change event's bytes.
func ParseBytes(b []byte) (LSN, error) {
	// Parse keeps nothing of its argument (its errors format a copy), so
	// it may read b in place.
	return Parse(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Parse reads either the Debezium form (0000002a:000001a8:0003) or the hex
// form, with or without 0x (0x0000002A000001A80003).
func Parse(s string) (LSN, error) {
	// Every change event carries two LSNs, in the form the producer
	// writes: read it digit by digit, the other forms below.
	if l, ok := parseDebezium(s); ok {
		return l, nil
	}
	return parseAny(s)
}

// parseDebezium reads exactly the form String writes (8:8:4 hex digits);
// ok is false for anything else, left to parseAny.
func parseDebezium(s string) (l LSN, ok bool) {
	if len(s) != 22 || s[8] != ':' || s[17] != ':' {
		return l, false
	}
	ok = unhexInto(l[0:4], s[0:8]) && unhexInto(l[4:8], s[9:17]) && unhexInto(l[8:10], s[18:22])
	return l, ok
}

// unhexInto decodes the 2*len(dst) hex digits of s into dst.
func unhexInto(dst []byte, s string) bool {
	for i := range dst {
		hi, lo := unhex(s[2*i]), unhex(s[2*i+1])
		if hi > 15 || lo > 15 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// unhex is the value of hex digit c, or 255.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// parseAny reads every form Parse accepts, without allocating.
func parseAny(s string) (LSN, error) {
	var l LSN
	t := s
	if len(t) >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
	}
	if strings.Count(t, ":") == 2 {
		i := strings.IndexByte(t, ':')
		j := i + 1 + strings.IndexByte(t[i+1:], ':')
		parts := [3]string{t[:i], t[i+1 : j], t[j+1:]}
		widths := [3]int{8, 8, 4}
		off := 0
		for k, p := range parts {
			if len(p) == 0 || len(p) > widths[k] {
				return LSN{}, fmt.Errorf("lsn %q: part %d must be 1 to %d hex digits", s, k+1, widths[k])
			}
			v, err := strconv.ParseUint(p, 16, 64)
			if err != nil {
				return LSN{}, fmt.Errorf("lsn %q: part %d is not hex", s, k+1)
			}
			n := widths[k] / 2
			for b := n - 1; b >= 0; b-- {
				l[off+b] = byte(v)
				v >>= 8
			}
			off += n
		}
		return l, nil
	}
	if len(t) != 20 {
		return LSN{}, fmt.Errorf("lsn %q: want 20 hex digits or the form vlf:block:slot", s)
	}
	if _, err := hex.Decode(l[:], []byte(t)); err != nil {
		return LSN{}, fmt.Errorf("lsn %q: %w", s, err)
	}
	return l, nil
}

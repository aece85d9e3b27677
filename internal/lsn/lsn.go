// Package lsn holds SQL Server's log sequence number, the binary(10) value that
// orders every change that change data capture records.
package lsn

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
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

// Parse reads either the Debezium form (0000002a:000001a8:0003) or the hex
// form, with or without 0x (0x0000002A000001A80003).
func Parse(s string) (LSN, error) {
	var l LSN
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if strings.Count(t, ":") == 2 {
		parts := strings.Split(t, ":")
		widths := []int{8, 8, 4}
		var sb strings.Builder
		for i, p := range parts {
			if len(p) == 0 || len(p) > widths[i] {
				return l, fmt.Errorf("lsn %q: part %d must be 1 to %d hex digits", s, i+1, widths[i])
			}
			if _, err := strconv.ParseUint(p, 16, 64); err != nil {
				return l, fmt.Errorf("lsn %q: part %d is not hex", s, i+1)
			}
			sb.WriteString(strings.Repeat("0", widths[i]-len(p)) + p)
		}
		t = sb.String()
	}
	if len(t) != 20 {
		return l, fmt.Errorf("lsn %q: want 20 hex digits or the form vlf:block:slot", s)
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return l, fmt.Errorf("lsn %q: %w", s, err)
	}
	copy(l[:], b)
	return l, nil
}

package apply

import (
	"math/big"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// The key's text form is stored in deleted_keys: a change of form would
// leave earlier tombstones unmatched, so it is pinned here, type by type.
func TestKeyStringForm(t *testing.T) {
	at := time.Date(2024, 2, 29, 13, 4, 5, 123456700, time.FixedZone("x", 3600))
	tests := []struct {
		key  event.Row
		want string
	}{
		{event.Row{int64(-42)}, "-42"},
		{event.Row{int64(7), "a,\"b\"\n"}, `7,"a,\"b\"\n"`},
		{event.Row{int32(5), int16(-6), 8, uint8(9)}, "5,-6,8,9"},
		{event.Row{big.NewRat(12345, 100)}, "2469/20"},
		{event.Row{big.NewRat(3, 1)}, "3"},
		{event.Row{1.5, float32(0.1)}, "1.5,0.1"},
		{event.Row{true, false}, "true,false"},
		{event.Row{[]byte{0xde, 0xad}}, "0xdead"},
		{event.Row{at}, "2024-02-29T12:04:05.1234567Z"},
		{event.Row{90 * time.Second}, "90000000000ns"},
		{event.Row{nil}, "null"},
	}
	for _, tt := range tests {
		got, err := keyString(tt.key)
		if err != nil || got != tt.want {
			t.Errorf("keyString(%v) = %q, %v; want %q", tt.key, got, err, tt.want)
		}
	}
	if _, err := keyString(event.Row{struct{}{}}); err == nil {
		t.Error("keyString accepted a struct")
	}
	// Compaction builds the same form in place.
	tb := &tableBatch{key: []int{1, 0}}
	got, err := tb.keyOf(event.Row{"b", int64(1)})
	if want, _ := keyString(event.Row{int64(1), "b"}); err != nil || got != want {
		t.Errorf("keyOf = %q, %v; want %q", got, err, want)
	}
}

package event

import (
	"math/big"
	"testing"
	"time"
)

func TestRowEqual(t *testing.T) {
	utc := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	plus2 := utc.In(time.FixedZone("", 2*3600))
	tests := []struct {
		name string
		a, b Row
		want bool
	}{
		{"same ints and strings", Row{int64(1), "a"}, Row{int64(1), "a"}, true},
		{"another int", Row{int64(1)}, Row{int64(2)}, false},
		{"int64 and int32 are different types", Row{int64(1)}, Row{int32(1)}, false},
		{"decimals by value", Row{big.NewRat(10, 4)}, Row{big.NewRat(5, 2)}, true},
		{"another decimal", Row{big.NewRat(1, 2)}, Row{big.NewRat(1, 3)}, false},
		{"bytes by content", Row{[]byte{1, 2}}, Row{[]byte{1, 2}}, true},
		{"other bytes", Row{[]byte{1, 2}}, Row{[]byte{1, 3}}, false},
		{"times by instant and offset", Row{utc}, Row{utc.Add(0)}, true},
		{"one instant at two offsets", Row{utc}, Row{plus2}, false},
		{"nulls", Row{nil, int64(1)}, Row{nil, int64(1)}, true},
		{"null and zero", Row{nil}, Row{int64(0)}, false},
		{"lengths", Row{int64(1)}, Row{int64(1), nil}, false},
		{"durations", Row{time.Second}, Row{time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Fatalf("%v.Equal(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

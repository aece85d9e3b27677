package avro

import (
	"math"
	"math/big"
	"testing"
)

// TestDecimalFromBytesFastPath: values that fit an int64 decode to the
// same number as through big.Int.
func TestDecimalFromBytesFastPath(t *testing.T) {
	for _, scale := range []int{0, 2, 4, 18} {
		p := &colPlan{scale: scale, pow10Scale: new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)}
		for _, v := range []int64{0, 1, -1, 5, -5, 100, 12345, -1234567, 1 << 40, math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 127, -128, 128, -129} {
			n := big.NewInt(v)
			b := twosComplement(n)
			want := new(big.Rat).SetFrac(n, p.pow10Scale)
			if got := decimalFromBytes(b, p); got.Cmp(want) != 0 || got.RatString() != want.RatString() {
				t.Errorf("scale %d value %d (% x): got %s, want %s", scale, v, b, got.RatString(), want.RatString())
			}
		}
	}
}

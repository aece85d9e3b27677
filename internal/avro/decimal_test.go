package avro

import (
	"math"
	"math/big"
	"math/rand/v2"
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

// TestDecimalFromBytesIsNormalized: the fast path builds its big.Rat in
// lowest terms without big.Rat's own normalization; random values at every
// scale it takes end equal, term for term, to SetFrac's, and compute alike.
func TestDecimalFromBytesIsNormalized(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for scale := 0; scale <= 18; scale++ {
		p := &colPlan{scale: scale, pow10Scale: new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)}
		for i := range 2000 {
			v := int64(rng.Uint64()) >> rng.IntN(64)
			if i%3 == 0 {
				v *= int64(math.Pow10(rng.IntN(6))) // trailing zeros: reducible
			}
			n := big.NewInt(v)
			want := new(big.Rat).SetFrac(n, p.pow10Scale)
			got := decimalFromBytes(twosComplement(n), p)
			if got.Num().Cmp(want.Num()) != 0 || got.Denom().Cmp(want.Denom()) != 0 {
				t.Fatalf("scale %d value %d: got %s, want %s", scale, v, got.RatString(), want.RatString())
			}
			if sum, wsum := new(big.Rat).Add(got, big.NewRat(1, 3)), new(big.Rat).Add(want, big.NewRat(1, 3)); sum.Cmp(wsum) != 0 {
				t.Fatalf("scale %d value %d: %s + 1/3 = %s, want %s", scale, v, got.RatString(), sum.RatString(), wsum.RatString())
			}
		}
	}
}

// TestSmallDecimalMatchesBigPath: the int64 encoding of a decimal writes
// the bytes the big.Int path writes, and leaves to it (writing nothing)
// every value it cannot encode exactly: too many places, too many digits,
// beyond an int64.
func TestSmallDecimalMatchesBigPath(t *testing.T) {
	ten := big.NewInt(10)
	rat := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad test value %q", s)
		}
		return r
	}
	values := []string{"0", "1", "-1", "0.5", "-0.5", "1234.25", "-1234.25", "127", "128", "-128", "-129", "32767", "32768",
		"0.01", "-0.01", "99999999.99", "-99999999.99", "100000000", "0.001", "1/3", "92233720368547758.07", "-92233720368547758.08",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "12345678901234567890123", "0.000000000000000001"}
	for _, ps := range [][2]int{{18, 2}, {10, 4}, {19, 4}, {38, 0}, {38, 18}, {5, 5}, {18, 0}, {38, 20}} {
		p := &colPlan{precision: ps[0], scale: ps[1],
			pow10Scale:     new(big.Int).Exp(ten, big.NewInt(int64(ps[1])), nil),
			pow10Precision: new(big.Int).Exp(ten, big.NewInt(int64(ps[0])), nil)}
		for _, s := range values {
			r := rat(s)
			var fast writer
			ok := writeSmallDecimal(&fast, r, p)
			b, err := decimalBytes(r, p)
			if !ok {
				if len(fast.b) != 0 {
					t.Errorf("decimal(%d,%d) %s: declined but wrote % x", ps[0], ps[1], s, fast.b)
				}
				continue
			}
			if err != nil {
				t.Errorf("decimal(%d,%d) %s: written as % x, but the big.Int path refuses it: %v", ps[0], ps[1], s, fast.b, err)
				continue
			}
			var slow writer
			slow.bytes(b)
			if string(fast.b) != string(slow.b) {
				t.Errorf("decimal(%d,%d) %s: % x, want % x", ps[0], ps[1], s, fast.b, slow.b)
			}
		}
	}
}

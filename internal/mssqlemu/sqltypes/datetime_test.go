package sqltypes

import "testing"

func TestCivilDays(t *testing.T) {
	for _, c := range []struct {
		y, m, d int
		want    int64
	}{{1, 1, 1, 0}, {1900, 1, 1, 693595}, {1, 3, 1, 59}, {2000, 3, 1, 730179}, {9999, 12, 31, 3652058}} {
		if got := civilFromDate(c.y, c.m, c.d); got != c.want {
			t.Errorf("%v: got %d", c, got)
		}
	}
}

package engine

import (
	"fmt"
	"testing"
)

// TestLabelBetween: GetDescendant's new label lies strictly between its
// bounds, in the order hierarchyid compares labels (1 < 1.1 < 1.2 < 2).
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getdescendant-database-engine
func TestLabelBetween(t *testing.T) {
	for _, tc := range []struct {
		lo, hi []int64
		want   string
	}{
		{nil, nil, "[1]"},
		{[]int64{4}, nil, "[5]"},
		{[]int64{1, 7}, nil, "[2]"},
		{nil, []int64{0}, "[-1]"},
		{nil, []int64{3, 2}, "[3]"},
		{[]int64{0}, []int64{1}, "[0 1]"},
		{[]int64{1}, []int64{3}, "[2]"},
		{[]int64{1}, []int64{2, 5}, "[2]"},
		{[]int64{1, 5}, []int64{2}, "[1 6]"},
		{[]int64{1}, []int64{1, 5}, "[1 4]"},
		{[]int64{1, 1}, []int64{1, 2}, "[1 1 1]"},
	} {
		got := labelBetween(tc.lo, tc.hi)
		if fmt.Sprint(got) != tc.want {
			t.Errorf("between %v and %v: %v; want %s", tc.lo, tc.hi, got, tc.want)
		}
		if tc.lo != nil && !labelLess(tc.lo, got) || tc.hi != nil && !labelLess(got, tc.hi) {
			t.Errorf("between %v and %v: %v is out of order", tc.lo, tc.hi, got)
		}
	}
}

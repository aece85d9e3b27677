package source

import (
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestSplitRange(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi int64
		n      int
		want   []KeyRange
	}{
		{"even", 1, 100, 4, []KeyRange{{To: "26"}, {From: "26", To: "51"}, {From: "51", To: "76"}, {From: "76"}}},
		{"negative keys", -100, -1, 2, []KeyRange{{To: "-50"}, {From: "-50"}}},
		{"one part", 1, 100, 1, []KeyRange{{}}},
		{"one value", 7, 7, 4, []KeyRange{{}}},
		{"fewer values than parts", 1, 3, 8, []KeyRange{{To: "2"}, {From: "2", To: "3"}, {From: "3"}}},
		{"whole bigint range", math.MinInt64, math.MaxInt64, 2, []KeyRange{{To: "-1"}, {From: "-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitRange(tt.lo, tt.hi, tt.n)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitRange(%d, %d, %d) = %+v, want %+v", tt.lo, tt.hi, tt.n, got, tt.want)
			}
		})
	}
}

// TestSplitRangeCovers: every key, inside the bounds read or beyond them
// (rows inserted after the split), falls in exactly one range, so that each
// key is read by exactly one reader and its events stay in order.
func TestSplitRangeCovers(t *testing.T) {
	in := func(kr KeyRange, v int64) bool {
		if kr.From != "" {
			from, _ := strconv.ParseInt(kr.From, 10, 64)
			if v < from {
				return false
			}
		}
		if kr.To != "" {
			to, _ := strconv.ParseInt(kr.To, 10, 64)
			if v >= to {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		lo, hi int64
		n      int
	}{{0, 999, 3}, {-50, 50, 7}, {10, 13, 4}, {1, 1_000_000_007, 16}, {math.MinInt64, math.MaxInt64, 5}} {
		ranges := splitRange(c.lo, c.hi, c.n)
		if len(ranges) > c.n {
			t.Errorf("splitRange(%d, %d, %d): %d ranges, want at most %d", c.lo, c.hi, c.n, len(ranges), c.n)
		}
		probes := []int64{math.MinInt64, c.lo - 1, c.lo, c.lo + 1, c.hi - 1, c.hi, c.hi + 1, math.MaxInt64, c.lo/2 + c.hi/2}
		for _, kr := range ranges {
			for _, b := range []string{kr.From, kr.To} {
				if v, err := strconv.ParseInt(b, 10, 64); err == nil {
					probes = append(probes, v-1, v, v+1)
				}
			}
		}
		for _, v := range probes {
			hits := 0
			for _, kr := range ranges {
				if in(kr, v) {
					hits++
				}
			}
			if hits != 1 {
				t.Errorf("splitRange(%d, %d, %d) = %+v: key %d is in %d ranges, want 1", c.lo, c.hi, c.n, ranges, v, hits)
			}
		}
	}
}

// TestChunkArgsResume: a range read before a restart resumes after its
// saved last key and stays within its bounds; a whole table without a
// saved key starts at its beginning.
func TestChunkArgsResume(t *testing.T) {
	ts := &tableState{t: &catalog.Table{Schema: "dbo", Name: "t",
		Columns:    []catalog.Column{{Name: "a", Type: "bigint"}, {Name: "b", Type: "nvarchar", Length: 10}, {Name: "v", Type: "int"}},
		PrimaryKey: []string{"a", "b"}}, keyIdx: []int{0, 1}}
	tests := []struct {
		name string
		part KeyRange
		want []any
	}{
		{"fresh table", KeyRange{}, []any{int64(11)}},
		{"fresh range", KeyRange{From: "100", To: "200"}, []any{int64(11), int64(100), int64(200)}},
		{"resumed range", KeyRange{From: "100", To: "200", Rows: 10, LastKey: []string{"150", "x"}},
			[]any{int64(11), int64(150), "x", int64(100), int64(200)}},
		{"resumed last range", KeyRange{From: "200", LastKey: []string{"250", "y"}}, []any{int64(11), int64(250), "y", int64(200)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chunkArgs(ts, tt.part, 11)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("chunkArgs = %#v, want %#v", got, tt.want)
			}
		})
	}
	if _, err := chunkArgs(ts, KeyRange{LastKey: []string{"1"}}, 11); err == nil {
		t.Error("a saved key of 1 value for a 2-column key was accepted")
	}
}

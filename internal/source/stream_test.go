package source

import (
	"slices"
	"testing"
	"time"
)

// The wait after each poll: none after changes, then from the shortest
// wait doubling up to the longest, where a quiet source stays.
func TestPollWaits(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name              string
		shortest, longest time.Duration
		found             []int // events emitted by each poll in turn
		want              []time.Duration
	}{
		{"quiet from the start", 20 * ms, 500 * ms, []int{0, 0, 0}, []time.Duration{500 * ms, 500 * ms, 500 * ms}},
		{"changes, then quiet: doubling up to the longest", 20 * ms, 500 * ms, []int{3, 0, 0, 0, 0, 0, 0, 0, 0},
			[]time.Duration{0, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 500 * ms, 500 * ms, 500 * ms}},
		{"changes again start over", 20 * ms, 500 * ms, []int{1, 0, 0, 0, 7, 0, 0},
			[]time.Duration{0, 20 * ms, 40 * ms, 80 * ms, 0, 20 * ms, 40 * ms}},
		{"a busy source is polled without waiting", 20 * ms, 500 * ms, []int{5000, 5000, 1}, []time.Duration{0, 0, 0}},
		{"shortest equal to longest: a fixed interval", 500 * ms, 500 * ms, []int{0, 2, 0, 0}, []time.Duration{500 * ms, 0, 500 * ms, 500 * ms}},
		{"longest not a power-of-two multiple", 30 * ms, 100 * ms, []int{1, 0, 0, 0, 0}, []time.Duration{0, 30 * ms, 60 * ms, 100 * ms, 100 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newPollWaits(tt.shortest, tt.longest)
			var got []time.Duration
			for _, n := range tt.found {
				got = append(got, w.after(n))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("waits after polls finding %v = %v, want %v", tt.found, got, tt.want)
			}
		})
	}
}

// PollIntervalMin defaults to DefaultPollIntervalMin and never exceeds
// PollInterval.
func TestPollIntervalDefaults(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name              string
		interval, minimum time.Duration
		wantInterval      time.Duration
		wantMin           time.Duration
	}{
		{"defaults", 0, 0, 500 * ms, DefaultPollIntervalMin},
		{"set", 2 * time.Second, 100 * ms, 2 * time.Second, 100 * ms},
		{"interval below the default minimum", 10 * ms, 0, 10 * ms, 10 * ms},
		{"minimum above the interval", 100 * ms, 300 * ms, 100 * ms, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{PollInterval: tt.interval, PollIntervalMin: tt.minimum}.withDefaults()
			if c.PollInterval != tt.wantInterval || c.PollIntervalMin != tt.wantMin {
				t.Errorf("PollInterval, PollIntervalMin = %s, %s; want %s, %s", c.PollInterval, c.PollIntervalMin, tt.wantInterval, tt.wantMin)
			}
		})
	}
}

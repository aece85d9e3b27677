package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds reads /proc/<pid>/stat: it agrees with getrusage on this
// process after some work.
func TestCPUSeconds(t *testing.T) {
	x := 0
	for began := time.Now(); time.Since(began) < 300*time.Millisecond; {
		x++
	}
	_ = x
	got := cpuSeconds(os.Getpid())
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	want := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	if got < 0.2 || got > want+0.05 || got < want-0.1 {
		t.Errorf("cpuSeconds = %.2f, getrusage says %.2f", got, want)
	}
	if got := cpuSeconds(-1); got != 0 {
		t.Errorf("cpuSeconds of no process = %v, want 0", got)
	}
}

// A BENCH_* value that does not parse is refused, naming it, instead of
// the default being measured silently.
func TestEnvSettings(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want int
		ok   bool
	}{{"", 7, true}, {"300000", 300000, true}, {"3e5", 0, false}, {"0", 0, false}, {"-1", 0, false}} {
		got, err := parseEnvInt("BENCH_ROWS", tt.v, 7)
		if (err == nil) != tt.ok || got != tt.want || (err != nil && !strings.Contains(err.Error(), "BENCH_ROWS")) {
			t.Errorf("parseEnvInt(%q) = %d, %v", tt.v, got, err)
		}
	}
	for _, tt := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{{"", time.Millisecond, true}, {"0", 0, true}, {"5ms", 5 * time.Millisecond, true}, {"5", 0, false}, {"-1s", 0, false}} {
		got, err := parseEnvDuration("BENCH_TARGET_RTT", tt.v, time.Millisecond)
		if (err == nil) != tt.ok || got != tt.want || (err != nil && !strings.Contains(err.Error(), "BENCH_TARGET_RTT")) {
			t.Errorf("parseEnvDuration(%q) = %s, %v", tt.v, got, err)
		}
	}
}

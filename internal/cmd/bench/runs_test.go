package main

import (
	"os"
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

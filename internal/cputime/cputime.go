// Package cputime reports the CPU time a benchmark used, next to Go's
// wall-clock ns/op: on a shared machine (two cores, several test runs) the
// wall clock measures the neighbours as much as the code, while the
// process's user and system time per operation does not.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Process returns the user plus system CPU time the process has used so
// far (garbage collection and every goroutine included).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report starts counting CPU time for b; call the returned function after
// the benchmark loop to report the CPU nanoseconds per unit, where perOp
// units make one operation (events in a batch, say).
func Report(b *testing.B, perOp int, unit string) func() {
	b.Helper()
	start := Process()
	return func() {
		used := Process() - start
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N*perOp), "cpu-ns/"+unit)
	}
}

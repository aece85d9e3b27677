package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM cancels the run's context: a run that stops exits 0, a run that
// does not is given up after the timeout with status 1 and a sentence.
func TestRunUntilSignal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		obeys    bool
		status   int
		contains string
	}{
		{"stops on cancel", true, 0, ""},
		{"ignores cancel", false, 1, "did not stop within SHUTDOWN_TIMEOUT 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			var stderr bytes.Buffer
			status := make(chan int, 1)
			go func() {
				status <- runUntilSignal("prog", 200*time.Millisecond, &stderr, func(ctx context.Context) error {
					close(started)
					if tc.obeys {
						<-ctx.Done()
						return ctx.Err()
					}
					<-release
					return errors.New("too late")
				})
			}()
			<-started
			if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-status:
				if got != tc.status {
					t.Errorf("status %d, want %d; stderr: %s", got, tc.status, stderr.String())
				}
			case <-time.After(time.Minute):
				t.Fatal("runUntilSignal did not return")
			}
			if !strings.Contains(stderr.String(), "terminated: stopping (SHUTDOWN_TIMEOUT 200ms)") || !strings.Contains(stderr.String(), tc.contains) {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

// A run that fails reports its error with status 1; one that ends with the
// context's cancellation is a clean stop.
func TestRunUntilSignalStatus(t *testing.T) {
	var stderr bytes.Buffer
	if got := runUntilSignal("prog", time.Second, &stderr, func(context.Context) error { return errors.New("boom") }); got != 1 || stderr.String() != "prog: boom\n" {
		t.Errorf("failing run: status %d, stderr %q", got, stderr.String())
	}
	if got := runUntilSignal("prog", time.Second, &stderr, func(context.Context) error { return context.Canceled }); got != 0 {
		t.Errorf("cancelled run: status %d", got)
	}
}

// An *ExitError sets the status, printing its error only when it has one
// (a precheck that printed its report).
func TestRunUntilSignalExitError(t *testing.T) {
	var stderr bytes.Buffer
	if got := runUntilSignal("prog", time.Second, &stderr, func(context.Context) error { return &ExitError{Code: 1} }); got != 1 || stderr.Len() != 0 {
		t.Errorf("ExitError without error: status %d, stderr %q", got, stderr.String())
	}
	err := &ExitError{Code: 2, Err: errors.New("MAPPING_FILE: no such file")}
	if got := runUntilSignal("prog", time.Second, &stderr, func(context.Context) error { return err }); got != 2 || stderr.String() != "prog: MAPPING_FILE: no such file\n" {
		t.Errorf("ExitError: status %d, stderr %q", got, stderr.String())
	}
}

func TestLoadCommand(t *testing.T) {
	bad := errors.New("TOPIC_PREFIX: bad")
	tests := []struct {
		name     string
		args     []string
		validate error
		command  string
		exitCode int // 0: a plain error, or none when validate is nil
	}{
		{"run", nil, nil, "", 0},
		{"precheck", []string{"precheck"}, nil, "precheck", 0},
		{"bad setting", nil, bad, "", 0},
		{"bad setting for precheck exits 2", []string{"precheck"}, bad, "precheck", 2},
		{"bad setting for status", []string{"status", "--json"}, bad, "status", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SAMPLE_DSN", "x")
			var s sample
			command, err := LoadCommand(context.Background(), tt.args, &s, func() error { return tt.validate })
			if command != tt.command || !errors.Is(err, tt.validate) {
				t.Fatalf("LoadCommand = %q, %v; want %q, %v", command, err, tt.command, tt.validate)
			}
			var exit *ExitError
			if got := errors.As(err, &exit); got != (tt.exitCode != 0) || got && exit.Code != tt.exitCode {
				t.Fatalf("err = %#v, want exit status %d", err, tt.exitCode)
			}
			if s.DSN != "x" {
				t.Fatalf("settings not loaded: %+v", s)
			}
		})
	}
}

// CPU_PROFILE writes a profile that go tool pprof reads; a path that cannot
// be written is refused at start, naming the setting.
func TestStartProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	stop, err := startProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1e6; i++ { // some work to sample
		_ = fmt.Sprint(i)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
	if _, err := startProfile(filepath.Join(t.TempDir(), "missing", "cpu.prof")); err == nil || !strings.Contains(err.Error(), "CPU_PROFILE") {
		t.Errorf("an unwritable path: %v, want an error naming CPU_PROFILE", err)
	}
	stop, err = startProfile("")
	if err != nil || stop() != nil {
		t.Errorf("no CPU_PROFILE: %v", err)
	}
}

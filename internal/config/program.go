package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// Shutdown is the setting, shared by both programs, that bounds a graceful
// stop; embed it in a program's Config so --help and the README list it.
type Shutdown struct {
	Timeout time.Duration `env:"SHUTDOWN_TIMEOUT,default=30s" help:"On SIGTERM or SIGINT the program stops taking new work and abandons its in-flight batch (the producer aborts its Kafka transaction, the consumer rolls back its target transaction: the next run writes it again, exactly once); if it has not exited within this time it exits anyway, with status 1. Keep it below Kubernetes' terminationGracePeriodSeconds. A second signal exits at once."`
}

// Profile is the setting, shared by both programs, that records a CPU
// profile of a whole run (make bench reads it to show where time goes);
// embed it in a program's Config so --help and the README list it.
type Profile struct {
	CPUProfile string `env:"CPU_PROFILE" help:"Write a Go CPU profile of the whole run to this file (read it with go tool pprof), for investigating throughput; empty (the default) records none. The profile costs a few percent of CPU while on."`
}

// Main is a program's entry point: with -h or --help it prints Usage for
// settings and returns; otherwise it calls run with a context that SIGINT and
// SIGTERM cancel, and exits with status 1 and the error on failure. After
// the signal, run has SHUTDOWN_TIMEOUT to return (see Shutdown).
func Main(program, summary string, settings any, run func(context.Context) error) {
	for _, a := range os.Args[1:] {
		if a == "-h" || a == "--help" || a == "-help" || a == "help" {
			Usage(os.Stdout, program, summary, settings)
			return
		}
	}
	var sd Shutdown
	var prof Profile
	err := Load(context.Background(), &sd, nil)
	if err == nil {
		err = Load(context.Background(), &prof, nil)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
	stop, err := startProfile(prof.CPUProfile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
	code := runUntilSignal(program, sd.Timeout, os.Stderr, run)
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
	}
	os.Exit(code)
}

// startProfile starts a CPU profile into path (none when path is empty)
// and returns what stops it and closes the file.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU_PROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("CPU_PROFILE %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("CPU_PROFILE %s: %w", path, err)
		}
		return nil
	}, nil
}

// runUntilSignal runs run until it returns, and returns the exit status.
// The first SIGINT or SIGTERM cancels run's context; if run has not
// returned timeout later, or at a second signal, it gives up on run.
func runUntilSignal(program string, timeout time.Duration, stderr io.Writer, run func(context.Context) error) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()

	var deadline <-chan time.Time
	for {
		select {
		case err := <-done:
			var exit *ExitError
			if errors.As(err, &exit) {
				if exit.Err != nil {
					fmt.Fprintf(stderr, "%s: %v\n", program, exit.Err)
				}
				return exit.Code
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(stderr, "%s: %v\n", program, err)
				return 1
			}
			return 0
		case sig := <-sigs:
			if deadline != nil {
				fmt.Fprintf(stderr, "%s: %s again: exiting now without waiting for the in-flight work\n", program, sig)
				return 1
			}
			fmt.Fprintf(stderr, "%s: %s: stopping (SHUTDOWN_TIMEOUT %s)\n", program, sig, timeout)
			cancel()
			deadline = time.After(timeout)
		case <-deadline:
			fmt.Fprintf(stderr, "%s: did not stop within SHUTDOWN_TIMEOUT %s: exiting anyway; the work in flight is written again at the next start\n", program, timeout)
			return 1
		}
	}
}

// ExitError makes Main exit with Code, printing Err when not nil: for
// commands whose exit status scripts read (precheck).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// LoadCommand loads a program's settings into cfg, checks them with
// validate, and returns the command named by args[0] ("" when args is
// empty). A bad setting is an error; for the precheck command an ExitError
// with status 2, since its status 1 means a precheck item failed.
func LoadCommand(ctx context.Context, args []string, cfg any, validate func() error) (string, error) {
	command := ""
	if len(args) > 0 {
		command = args[0]
	}
	err := Load(ctx, cfg, nil)
	if err == nil {
		err = validate()
	}
	if err != nil && command == "precheck" {
		return command, &ExitError{Code: 2, Err: err}
	}
	return command, err
}

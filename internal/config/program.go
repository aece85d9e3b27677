package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main is a program's entry point: with -h or --help it prints Usage for
// settings and returns; otherwise it calls run with a context that SIGINT and
// SIGTERM cancel, and exits with status 1 and the error on failure.
func Main(program, summary string, settings any, run func(context.Context) error) {
	for _, a := range os.Args[1:] {
		if a == "-h" || a == "--help" || a == "-help" || a == "help" {
			Usage(os.Stdout, program, summary, settings)
			return
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx)
	stop()
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", program, exit.Err)
		}
		os.Exit(exit.Code)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
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

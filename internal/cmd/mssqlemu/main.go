// Command mssqlemu runs the in-process SQL Server stand-in as a server, for
// local development and for tools that cannot embed it:
//
//	go run ./internal/cmd/mssqlemu -addr 127.0.0.1:1433 -sa-password 'Str0ng!Pass'
//
// Flags fall back to the environment: MSSQLEMU_ADDR, MSSQLEMU_SA_PASSWORD
// (or MSSQL_SA_PASSWORD), MSSQLEMU_CAPTURE_DELAY, MSSQLEMU_CLEANUP_RETENTION.
// It prints its address and a connection string without the password, and
// exits cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mssqlemu:", err)
		os.Exit(1)
	}
}

func envOr(keys []string, def string) string {
	for _, k := range keys {
		if v, ok := os.LookupEnv(k); ok && v != "" {
			return v
		}
	}
	return def
}

func envDuration(key string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 200ms: %w", key, v, err)
	}
	return d, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	delay, err := envDuration("MSSQLEMU_CAPTURE_DELAY", mssqlemu.DefaultCaptureDelay)
	if err != nil {
		return err
	}
	retention, err := envDuration("MSSQLEMU_CLEANUP_RETENTION", 0)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("mssqlemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr([]string{"MSSQLEMU_ADDR"}, "127.0.0.1:1433"), "TCP address to listen on (env MSSQLEMU_ADDR)")
	pass := fs.String("sa-password", envOr([]string{"MSSQLEMU_SA_PASSWORD", "MSSQL_SA_PASSWORD"}, ""), "password of the sa login; empty accepts any (env MSSQLEMU_SA_PASSWORD)")
	fs.DurationVar(&delay, "capture-delay", delay, "how long after commit changes reach the CDC change tables (env MSSQLEMU_CAPTURE_DELAY)")
	fs.DurationVar(&retention, "cleanup-retention", retention, "CDC change-table retention; 0 keeps everything (env MSSQLEMU_CLEANUP_RETENTION)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if delay < 0 || retention < 0 {
		return fmt.Errorf("-capture-delay and -cleanup-retention must not be negative")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	emu, err := mssqlemu.Start(ctx, mssqlemu.Config{Addr: *addr, SAPassword: *pass, CaptureDelay: delay, CleanupRetention: retention, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mssqlemu listening on %s\n", emu.Addr())
	fmt.Fprintf(stdout, "dsn: %s\n", emu.RedactedDSN("master"))
	<-ctx.Done()
	log.Info("shutting down")
	return emu.Close()
}

package source

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// startEmulator starts the in-repo SQL Server emulator for one test; its
// capture job makes changes visible captureDelay after commit.
func startEmulator(t testing.TB, captureDelay time.Duration) func(db string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := mssqlemu.Start(ctx, mssqlemu.Config{CaptureDelay: captureDelay, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatalf("start the SQL Server emulator: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return srv.DSN
}

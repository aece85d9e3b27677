//go:build mssqlemu

package source

import (
	"context"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// startEmulator starts the in-repo SQL Server emulator for one test.
func startEmulator(t *testing.T) (func(db string) string, bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := mssqlemu.Start(ctx, mssqlemu.Config{})
	if err != nil {
		cancel()
		t.Fatalf("start the SQL Server emulator: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return srv.DSN, true
}

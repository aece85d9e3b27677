//go:build !mssqlemu

package source

import "testing"

// startEmulator reports that no emulator is built in: the end-to-end tests
// skip unless MSSQL_DSN names a real SQL Server. Build with -tags mssqlemu
// to run them against internal/mssqlemu.
func startEmulator(t *testing.T) (func(db string) string, bool) { return nil, false }

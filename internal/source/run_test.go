package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// failingConnector is a driver.Connector whose every connection attempt
// fails with err, as an unreachable server or a refused login does.
type failingConnector struct {
	err   error
	calls int
}

func (c *failingConnector) Connect(context.Context) (driver.Conn, error) {
	c.calls++
	return nil, c.err
}
func (c *failingConnector) Driver() driver.Driver { return failingDriver{c} }

type failingDriver struct{ c *failingConnector }

func (d failingDriver) Open(string) (driver.Conn, error) { return d.c.Connect(context.Background()) }

func runAgainst(t *testing.T, err error, window time.Duration) (*Reader, *failingConnector, error) {
	t.Helper()
	conn := &failingConnector{err: err}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	cfg := Config{Database: "db", RetryWindow: window, Logger: slog.New(slog.DiscardHandler)}
	r := NewReader(db, cfg, []*catalog.Table{testTable().t})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runErr := r.Run(ctx, Position{}, func(context.Context, Batch) error {
		t.Error("emit called without a database")
		return nil
	})
	return r, conn, runErr
}

func TestRunRetriesUnreachableServerWithinWindow(t *testing.T) {
	refused := fmt.Errorf("unable to open tcp connection with host 'db:1433': %w", os.NewSyscallError("connect", syscall.ECONNREFUSED))
	r, conn, err := runAgainst(t, refused, 30*time.Millisecond)
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("Run = %v, want a give-up error wrapping ECONNREFUSED", err)
	}
	if r.Progress().Retries < 1 || conn.calls < 2 {
		t.Errorf("retries %d, connection attempts %d; want the failure retried", r.Progress().Retries, conn.calls)
	}
}

func TestRunDoesNotRetryLoginFailure(t *testing.T) {
	login := mssql.Error{Number: 18456, Message: "Login failed for user 'sa'."}
	r, _, err := runAgainst(t, login, time.Hour)
	var got mssql.Error
	if !errors.As(err, &got) || got.Number != 18456 {
		t.Fatalf("Run = %v, want the login failure", err)
	}
	if r.Progress().Retries != 0 {
		t.Errorf("retries %d, want 0 for a permanent error", r.Progress().Retries)
	}
}

func TestRunNeedsTables(t *testing.T) {
	r := NewReader(nil, Config{}, nil)
	if err := r.Run(context.Background(), Position{}, nil); err == nil {
		t.Error("Run without tables succeeded")
	}
}

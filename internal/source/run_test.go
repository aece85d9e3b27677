package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
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

func runAgainst(t *testing.T, err error) (*failingConnector, error) {
	t.Helper()
	conn := &failingConnector{err: err}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	cfg := Config{Database: "db", Logger: slog.New(slog.DiscardHandler)}
	r := NewReader(db, cfg, []*catalog.Table{testTable().t})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runErr := r.Run(ctx, Position{}, func(context.Context, Batch) error {
		t.Error("emit called without a database")
		return nil
	})
	return conn, runErr
}

// Run does not retry (internal/capture does): it returns the failure,
// transient or not, for the caller's policy to classify.
func TestRunReturnsConnectionFailures(t *testing.T) {
	refused := fmt.Errorf("unable to open tcp connection with host 'db:1433': %w", os.NewSyscallError("connect", syscall.ECONNREFUSED))
	login := mssql.Error{Number: 18456, Message: "Login failed for user 'sa'."}
	for _, want := range []error{refused, login} {
		_, err := runAgainst(t, want)
		if !errors.Is(err, want) && !errors.As(err, new(mssql.Error)) {
			t.Errorf("Run = %v, want %v", err, want)
		}
	}
}

func TestRunNeedsTables(t *testing.T) {
	r := NewReader(nil, Config{}, nil)
	if err := r.Run(context.Background(), Position{}, nil); err == nil {
		t.Error("Run without tables succeeded")
	}
}

// Package pgtest gives tests fresh PostgreSQL databases: on a server named
// by TARGET_DSN, or on one throwaway cluster (internal/pgcluster) that a
// test binary starts on first use and stops when its tests end. It is for
// tests only; the programs and the dev stack use pgcluster directly.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/pgcluster"
)

// shared is the one cluster a test binary starts on first use. It is the
// package's only mutable state, by purpose: a test binary shares one server.
var shared struct {
	mu      sync.Mutex
	cluster *pgcluster.Cluster
	err     error
	seq     atomic.Int64
}

// ForTest returns a DSN to a fresh, empty database for t. With TARGET_DSN set,
// it creates a uniquely named database on that server (the role needs
// CREATEDB); otherwise on one cluster shared by the test binary, started on
// first use. The database is dropped when t ends. Call StopShared from
// TestMain (or use Main) so the shared cluster does not outlive the binary.
func ForTest(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := os.Getenv("TARGET_DSN")
	if admin == "" {
		c, err := sharedCluster(ctx)
		if err != nil {
			t.Fatalf("start the test PostgreSQL cluster: %v", err)
		}
		admin = c.DSN("postgres")
	}
	name := fmt.Sprintf("t_%d_%d_%s", os.Getpid(), shared.seq.Add(1), sanitize(t.Name()))
	if err := pgcluster.CreateDatabase(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return replaceDatabase(admin, name)
}

// StopShared stops the cluster ForTest started, if any.
func StopShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	c := shared.cluster
	shared.cluster, shared.err = nil, nil
	return c.Stop()
}

// Main runs the tests and then stops the shared cluster; use it as
// func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if err := StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func sharedCluster(ctx context.Context) (*pgcluster.Cluster, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil && shared.err == nil {
		shared.cluster, shared.err = pgcluster.Start(ctx, pgcluster.Options{})
	}
	return shared.cluster, shared.err
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// replaceDatabase returns dsn with its database replaced by db; dsn may be a
// URL or a key=value string.
func replaceDatabase(dsn, db string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		rest := dsn[strings.Index(dsn, "://")+3:]
		query := ""
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest, query = rest[:i], rest[i:]
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i]
		}
		return dsn[:strings.Index(dsn, "://")+3] + rest + "/" + url.PathEscape(db) + query
	}
	return dsn + " dbname=" + db
}

package pgcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	base := c.baseDir
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(base, "data"))
		if err != nil {
			t.Fatal(err)
		}
		if c.cred == nil || fi.Sys() == nil {
			t.Fatal("running as root but the cluster was not started as another user")
		}
	}
	if err := c.CreateDatabase(ctx, "Mixed Case"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.DSN("Mixed Case"))
	if err != nil {
		t.Fatal(err)
	}
	var enc, user string
	if err := conn.QueryRow(ctx, "SELECT pg_encoding_to_char(encoding), current_user FROM pg_database WHERE datname = current_database()").Scan(&enc, &user); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if enc != "UTF8" || user != "postgres" {
		t.Errorf("encoding %q user %q, want UTF8 postgres", enc, user)
	}
	pid, err := os.ReadFile(filepath.Join(base, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		t.Errorf("data directory %s still exists after Stop", base)
	}
	var p int
	if _, err := fmt.Sscan(string(pid), &p); err == nil && p > 0 {
		// A zombie waiting for init to reap it is not running.
		if st, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
			t.Errorf("postmaster %d still running after Stop", p)
		}
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	_, err := findBinDir(t.TempDir()+"/nope", "")
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("error %q does not say how to install", err)
	}
}

func TestReapOrphans(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// The postgres user must be able to reach its data directory.
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	// Pretend its owner died: a pid that cannot exist.
	if err := os.WriteFile(filepath.Join(c.baseDir, ownerFile), []byte("2147483646"), 0o644); err != nil {
		t.Fatal(err)
	}
	c2, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	if _, err := os.Stat(c.baseDir); !os.IsNotExist(err) {
		t.Errorf("orphan cluster %s was not removed", c.baseDir)
	}
	if _, err := pgx.Connect(ctx, c.DSN("postgres")); err == nil {
		t.Error("orphan cluster still accepts connections")
	}
}

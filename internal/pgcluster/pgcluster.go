// Package pgcluster runs a throwaway PostgreSQL 15 cluster for tests and the
// development stack: initdb into a temporary directory, pg_ctl start on
// 127.0.0.1 and a free port, and a Stop that leaves no process or file behind.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian's postgresql-15 package installs the server binaries.
const BinDir = "/usr/lib/postgresql/15/bin"

// Options configure Start.
type Options struct {
	// Dir is the parent directory of the cluster's data directory; empty
	// means the system's temporary directory. The data directory itself is
	// always a fresh temporary directory removed by Stop.
	Dir string
	// Port is the TCP port to listen on; 0 picks a free one.
	Port int
	// BinDir overrides where initdb, pg_ctl and postgres are found; empty
	// means BinDir, then the directories of $PATH.
	BinDir string
}

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dataDir string
	baseDir string
	binDir  string
	port    int
	cred    *syscall.Credential // non-nil when the server runs as another user
}

// Start creates and starts a cluster. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	candidates := []string{opts.BinDir, BinDir}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	bin, err := findBinDir(candidates...)
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	reapOrphans(opts.Dir, bin)
	base, err := os.MkdirTemp(opts.Dir, "pgcluster-")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: create temporary directory: %w", err)
	}
	c := &Cluster{baseDir: base, dataDir: filepath.Join(base, "data"), binDir: bin, port: port}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root: run them as postgres.
		cred, err := postgresUser()
		if err != nil {
			_ = os.RemoveAll(base)
			return nil, err
		}
		c.cred = cred
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(base)
			return nil, fmt.Errorf("pgcluster: give %s to the postgres user: %w", base, err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(base)
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.run(ctx, "initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		_ = os.RemoveAll(base)
		if c.cred != nil {
			return nil, fmt.Errorf("%w (running as root, the server runs as user postgres, which must be able to reach %s: every parent directory needs o+x)", err, base)
		}
		return nil, err
	}
	serverOpts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, base)
	if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.dataDir,
		"-l", filepath.Join(base, "server.log"), "-o", serverOpts); err != nil {
		log, _ := os.ReadFile(filepath.Join(base, "server.log"))
		_ = c.run(context.Background(), "pg_ctl", "stop", "-m", "immediate", "-D", c.dataDir)
		_ = os.RemoveAll(base)
		return nil, fmt.Errorf("%w; server log:\n%s", err, log)
	}
	return c, nil
}

// DataDir is the cluster's data directory (where postmaster.pid lives).
func (c *Cluster) DataDir() string { return c.dataDir }

// Port is the TCP port the cluster listens on.
func (c *Cluster) Port() int { return c.port }

// DSN is a connection string to database db as the superuser postgres.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, url.PathEscape(db))
}

// CreateDatabase creates database name (UTF8, C collation).
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	return CreateDatabase(ctx, c.DSN("postgres"), name)
}

// CreateDatabase creates database name on the server dsn points to.
func CreateDatabase(ctx context.Context, dsn, name string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgcluster: connect to create database %s: %w", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("pgcluster: create database %s: %w", name, err)
	}
	return nil
}

// Restart shuts the server down (fast: open transactions are rolled back
// and connections closed, as in a maintenance restart) and starts it again
// on the same port, for tests of a target that restarts.
func (c *Cluster) Restart(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "restart", "-w", "-t", "60", "-m", "fast", "-D", c.dataDir,
		"-l", filepath.Join(c.baseDir, "server.log"))
}

// Stop shuts the server down (pg_ctl stop -m fast) and removes its files.
// It is safe to call more than once.
func (c *Cluster) Stop() error {
	if c == nil || c.baseDir == "" {
		return nil
	}
	var errs []error
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); err == nil {
		if err := c.run(context.Background(), "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.dataDir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(c.baseDir); err != nil {
		errs = append(errs, fmt.Errorf("pgcluster: remove %s: %w", c.baseDir, err))
	}
	c.baseDir = ""
	return errors.Join(errs...)
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Dir = c.baseDir
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgcluster: %s %v: %w: %s", name, args, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

func findBinDir(candidates ...string) (string, error) {
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgcluster: PostgreSQL server binaries (initdb, pg_ctl) not found in %s or $PATH: install them with `apt-get install postgresql`", BinDir)
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, and PostgreSQL refuses root; no postgres user to run it as (%w): create one or install the postgresql package", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgcluster: postgres user has non-numeric uid %q / gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ownerFile holds the pid of the process that started a cluster.
const ownerFile = "owner.pid"

// reapOrphans stops and removes clusters under dir (the temporary directory
// when empty) whose starting process is gone: a test binary killed by a
// timeout cannot call Stop, and its server would otherwise run forever.
func reapOrphans(dir, bin string) {
	if dir == "" {
		dir = os.TempDir()
	}
	bases, _ := filepath.Glob(filepath.Join(dir, "pgcluster-*"))
	for _, base := range bases {
		b, err := os.ReadFile(filepath.Join(base, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // alive, or not ours to judge
		}
		c := &Cluster{baseDir: base, dataDir: filepath.Join(base, "data"), binDir: bin}
		if os.Geteuid() == 0 {
			c.cred, _ = postgresUser()
		}
		_ = c.Stop()
	}
}

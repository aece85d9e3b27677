// Package mssqlemu is an in-process SQL Server stand-in for tests and local
// development: the TDS protocol (package tds), T-SQL parsing (package tsql)
// and SQL Server's semantics with change data capture (package engine),
// reachable through the real go-mssqldb driver.
//
//	emu, err := mssqlemu.Start(ctx, mssqlemu.Config{SAPassword: "Passw0rd!"})
//	...
//	defer emu.Close()
//	db, err := sql.Open("sqlserver", emu.DSN("master"))
package mssqlemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/engine"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

// DefaultCaptureDelay is the capture delay of the mssqlemu program: how
// long after commit changes appear in the change tables.
const DefaultCaptureDelay = 200 * time.Millisecond

// Config configures an emulator.
type Config struct {
	// Addr is the TCP address to listen on; default "127.0.0.1:0" (any free port).
	Addr string
	// SAPassword is the sa login's password; empty accepts any password.
	SAPassword string
	// CaptureDelay is how long after commit a change appears in the change
	// tables, like the capture job's polling. 0 captures at commit, which
	// tests want; the program uses DefaultCaptureDelay.
	CaptureDelay time.Duration
	// CleanupRetention is how long change rows are kept before the cleanup
	// job removes them and advances the minimum LSN; 0 keeps them.
	CleanupRetention time.Duration
	// ServerName is @@SERVERNAME; default "MSSQLEMU".
	ServerName string
	// Logins are SQL logins besides sa, with server and database roles
	// (only membership is emulated; see engine.Login).
	Logins []engine.Login
	// ProductVersion is SERVERPROPERTY('ProductVersion'); default 2019's.
	ProductVersion string
	// AgentStopped shows the SQL Server Agent as stopped in sys.dm_server_services.
	AgentStopped bool
	// Logger receives server events; default slog.Default().
	Logger *slog.Logger
}

// Emulator is a running SQL Server stand-in.
type Emulator struct {
	cfg    Config
	eng    *engine.Engine
	sctx   context.Context // the server's; ends with Close
	cancel context.CancelFunc

	// mu guards the server, listener and done, which Restart replaces.
	mu   sync.Mutex
	srv  *tds.Server
	ln   net.Listener
	done chan error

	closeOnce sync.Once
	closeErr  error
}

// Start listens on cfg.Addr and serves TDS until Close or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Emulator, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CaptureDelay < 0 || cfg.CleanupRetention < 0 {
		return nil, errors.New("mssqlemu: CaptureDelay and CleanupRetention must not be negative")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mssqlemu: listen on %s: %w", cfg.Addr, err)
	}
	eng := engine.New(engine.Config{
		SAPassword: cfg.SAPassword, CaptureDelay: cfg.CaptureDelay, CleanupRetention: cfg.CleanupRetention,
		ServerName: cfg.ServerName, Logger: cfg.Logger, Logins: cfg.Logins, ProductVersion: cfg.ProductVersion, AgentStopped: cfg.AgentStopped,
	})
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Emulator{cfg: cfg, eng: eng, sctx: sctx, cancel: cancel}
	e.serve(ln)
	go func() {
		select {
		case <-ctx.Done():
			_ = e.Close()
		case <-sctx.Done():
		}
	}()
	return e, nil
}

// serve serves TDS on ln with a new server; e.mu is held or e not shared yet.
func (e *Emulator) serve(ln net.Listener) {
	srv := tds.NewServer(tds.Config{ServerName: e.cfg.ServerName, Logger: e.cfg.Logger}, e.eng)
	done := make(chan error, 1)
	e.srv, e.ln, e.done = srv, ln, done
	go func() { done <- srv.Serve(e.sctx, ln) }()
}

// stopServing closes the listener and every connection (their sessions end,
// rolling back what they left open) and waits for the server to stop.
func (e *Emulator) stopServing() error {
	var errs []error
	if err := e.srv.Close(); err != nil {
		errs = append(errs, fmt.Errorf("mssqlemu: close server: %w", err))
	}
	if err := <-e.done; err != nil && !errors.Is(err, tds.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("mssqlemu: serve: %w", err))
	}
	return errors.Join(errs...)
}

// Restart does what a restart of the SQL Server service does to its
// clients, keeping the data: it closes the listener and every connection
// (open transactions roll back), refuses connections for down, then listens
// on the same address again. Committed rows, change tables, LSNs and the
// databases' create_date stay as they were; the capture and cleanup jobs
// go on.
func (e *Emulator) Restart(ctx context.Context, down time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sctx.Err() != nil {
		return errors.New("mssqlemu: restart: the emulator is closed")
	}
	addr := e.ln.Addr().String()
	if err := e.stopServing(); err != nil {
		return fmt.Errorf("mssqlemu: restart: %w", err)
	}
	t := time.NewTimer(down)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.WithoutCancel(ctx), "tcp", addr)
	if err != nil {
		return fmt.Errorf("mssqlemu: restart: listen on %s again: %w", addr, err)
	}
	e.serve(ln)
	return ctx.Err()
}

// Addr is the address the emulator listens on (host:port).
func (e *Emulator) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ln.Addr().String()
}

// DSN is a go-mssqldb connection string for database (empty: master).
func (e *Emulator) DSN(database string) string {
	q := url.Values{}
	if database != "" {
		q.Set("database", database)
	}
	q.Set("encrypt", "disable")
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword("sa", e.cfg.SAPassword), Host: e.Addr(), RawQuery: q.Encode()}
	return u.String()
}

// LoginDSN is DSN for the configured login user (see Config.Logins).
func (e *Emulator) LoginDSN(database, user, password string) string {
	q := url.Values{}
	if database != "" {
		q.Set("database", database)
	}
	q.Set("encrypt", "disable")
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(user, password), Host: e.Addr(), RawQuery: q.Encode()}
	return u.String()
}

// Engine is the emulator's engine, for white-box tests.
func (e *Emulator) Engine() *engine.Engine { return e.eng }

// Close stops serving, closes every connection and the background jobs.
// It is safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.cancel()
		e.mu.Lock()
		errs := []error{e.stopServing()}
		e.mu.Unlock()
		if err := e.eng.Close(); err != nil {
			errs = append(errs, err)
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// Exec runs a T-SQL batch in database from Go (seeding fixtures) and
// returns the first error SQL Server would have reported.
func (e *Emulator) Exec(ctx context.Context, database, sql string) error {
	s, err := e.eng.NewSession(database)
	if err != nil {
		return fmt.Errorf("mssqlemu: open session in %q: %w", database, err)
	}
	defer s.Close()
	var rec engine.Recorder
	if err := s.ExecBatch(ctx, sql, &rec); err != nil {
		return fmt.Errorf("mssqlemu: exec in %q: %w", database, err)
	}
	if errs := rec.Errors(); len(errs) > 0 {
		return fmt.Errorf("mssqlemu: exec in %q: %w", database, errs[0])
	}
	return nil
}

// Query runs a batch and returns its result sets (nil values are NULL).
func (e *Emulator) Query(ctx context.Context, database, sql string) ([]engine.ResultSet, error) {
	s, err := e.eng.NewSession(database)
	if err != nil {
		return nil, fmt.Errorf("mssqlemu: open session in %q: %w", database, err)
	}
	defer s.Close()
	var rec engine.Recorder
	if err := s.ExecBatch(ctx, sql, &rec); err != nil {
		return nil, fmt.Errorf("mssqlemu: query in %q: %w", database, err)
	}
	if errs := rec.Errors(); len(errs) > 0 {
		return rec.Sets, fmt.Errorf("mssqlemu: query in %q: %w", database, errs[0])
	}
	return rec.Sets, nil
}

// FlushCapture makes every committed change visible in the change tables
// now, whatever CaptureDelay is.
func (e *Emulator) FlushCapture() { e.eng.FlushCapture() }

// Cleanup runs the CDC cleanup job of database with the given retention,
// advancing each capture instance's minimum LSN.
func (e *Emulator) Cleanup(database string, retention time.Duration) error {
	return e.eng.Cleanup(database, retention)
}

// RedactedDSN is DSN without the password, for logs.
func (e *Emulator) RedactedDSN(database string) string {
	return strings.Replace(e.DSN(database), url.QueryEscape(e.cfg.SAPassword)+"@", "xxxxx@", 1)
}

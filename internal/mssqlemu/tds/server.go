package tds

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Config configures a Server. The zero value works: a self-signed
// certificate, SQL Server's default collation, us_english.
type Config struct {
	// ServerName appears in messages and the certificate; default "mssqlemu".
	ServerName string
	// Certificate is offered for TLS; when nil a self-signed certificate
	// for localhost is generated when Serve starts.
	Certificate *tls.Certificate
	// ForceEncryption makes the server require TLS for the whole session,
	// as SQL Server's "Force Encryption" setting does. Default off: the
	// client decides.
	ForceEncryption bool
	// Collation is the server collation reported at login; default
	// SQL_Latin1_General_CP1_CI_AS.
	Collation sqltypes.Collation
	// Language is reported at login; default "us_english".
	Language string
	// LoginTimeout bounds PRELOGIN, TLS and LOGIN7; default 30 s.
	LoginTimeout time.Duration
	// MaxMessageSize bounds one client request; default 64 MiB.
	MaxMessageSize int
	// Logger receives connection-level events; default: discarded.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ServerName == "" {
		c.ServerName = "mssqlemu"
	}
	if isZeroCollation(c.Collation) {
		c.Collation = DefaultCollation()
	}
	if c.Collation.CodePage == 0 {
		c.Collation.CodePage = collationCodePage(c.Collation)
	}
	if c.Language == "" {
		c.Language = "us_english"
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = 30 * time.Second
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("tds: server closed")

// Server accepts TDS connections and serves each in its own goroutine.
type Server struct {
	cfg     Config
	backend Backend

	mu        sync.Mutex
	cert      *tls.Certificate
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	nextSPID  uint16
	wg        sync.WaitGroup // connection goroutines
	serving   sync.WaitGroup // Serve calls
}

// NewServer returns a server that runs requests on b.
func NewServer(cfg Config, b Backend) *Server {
	return &Server{
		cfg:       cfg.withDefaults(),
		backend:   b,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		nextSPID:  51,
	}
}

// certificate returns the configured certificate or generates one once.
func (s *Server) certificate() (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert != nil {
		return s.cert, nil
	}
	if s.cfg.Certificate != nil {
		s.cert = s.cfg.Certificate
		return s.cert, nil
	}
	c, err := selfSignedCertificate(s.cfg.ServerName)
	if err != nil {
		return nil, err
	}
	s.cert = &c
	return s.cert, nil
}

// Serve accepts connections on l until ctx is cancelled or Close is
// called; it then closes l and every connection it accepted and waits for
// their goroutines. It returns nil after a cancelled ctx, ErrServerClosed
// after Close, or the listener's error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if _, err := s.certificate(); err != nil {
		return fmt.Errorf("tds: prepare TLS certificate: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()

	s.serving.Add(1)
	defer s.serving.Done()
	ctx, cancel := context.WithCancel(ctx)
	// The watcher closes the listener when ctx ends; Serve waits for it so
	// that no goroutine outlives Serve.
	quit := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-ctx.Done():
			_ = l.Close()
		case <-quit:
		}
	}()
	defer func() {
		close(quit)
		<-watcherDone
		cancel()
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			cancel() // ends running requests
			s.closeConns()
			s.wg.Wait()
			switch {
			case closed:
				return ErrServerClosed
			case ctx.Err() != nil:
				return nil
			}
			return fmt.Errorf("tds: accept on %s: %w", l.Addr(), err)
		}
		c := s.track(nc)
		if c == nil {
			_ = nc.Close()
			continue
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			c.serve(ctx)
		}()
	}
}

// track registers a new connection; nil once the server is closed.
func (s *Server) track(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	spid := s.nextSPID
	s.nextSPID++
	if s.nextSPID == 0 {
		s.nextSPID = 51
	}
	c := newConn(s, nc, spid)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) closeConns() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Close stops every Serve call, closes all connections and waits for
// their goroutines and for the Serve calls to return. It must not be
// called from a Backend method.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	ls := make([]net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	var errs []error
	for _, l := range ls {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.closeConns()
	s.wg.Wait()
	s.serving.Wait()
	return errors.Join(errs...)
}

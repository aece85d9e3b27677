package registry

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultTopic is the schemas topic, named as Confluent's registry names it.
const DefaultTopic = "_schemas"

// Config configures a Registry.
type Config struct {
	// Brokers are the Kafka seed brokers. Empty keeps schemas in memory
	// only (unit tests).
	Brokers []string
	// Topic is the compacted schemas topic; default DefaultTopic.
	Topic string
	// ReplicationFactor of the topic if it is created; 0 means the
	// broker's default.
	ReplicationFactor int16
	// KafkaOpts are extra client options (TLS, SASL, ...).
	KafkaOpts []kgo.Opt
	// DefaultCompatibility is the global level until one is PUT; default
	// BACKWARD.
	DefaultCompatibility string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Users, when not empty, are the user names and passwords of HTTP
	// basic authentication, required on every request: a request without
	// them, or with others, is answered 401 as Confluent's registry does.
	Users map[string]string
	// TLS, when set, serves HTTPS with this configuration (its
	// certificates; ClientAuth to require client certificates).
	TLS *tls.Config
}

// Registry is an embedded Confluent-compatible schema registry. It is an
// http.Handler; Start serves it on a TCP address.
type Registry struct {
	cfg   Config
	log   *slog.Logger
	store store
	mux   *http.ServeMux

	mu sync.RWMutex // guards st; writers hold it across append and catch-up
	st *state

	srvMu sync.Mutex
	srv   *http.Server
	ln    net.Listener
	done  chan struct{}
}

// New builds a registry and, with brokers configured, creates the schemas
// topic if missing and reads it fully, so ids survive restarts.
func New(ctx context.Context, cfg Config) (*Registry, error) {
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.DefaultCompatibility == "" {
		cfg.DefaultCompatibility = Backward
	}
	level, ok := normaliseLevel(cfg.DefaultCompatibility)
	if !ok {
		return nil, fmt.Errorf("registry: default compatibility %q is not one of NONE, BACKWARD, FORWARD, FULL (optionally _TRANSITIVE)", cfg.DefaultCompatibility)
	}
	cfg.DefaultCompatibility = level
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{cfg: cfg, log: log.With("component", "registry"), st: newState()}
	if len(cfg.Brokers) == 0 {
		r.store = &memStore{}
	} else {
		ks, err := newKafkaStore(ctx, cfg)
		if err != nil {
			return nil, err
		}
		r.store = ks
	}
	if err := r.catchUp(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("registry: load schemas from %q: %w", cfg.Topic, err), r.store.close())
	}
	r.mux = r.routes()
	return r, nil
}

// ServeHTTP serves the REST API, to authenticated users when Config.Users
// names some.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if len(r.cfg.Users) > 0 {
		user, pass, ok := req.BasicAuth()
		want, known := r.cfg.Users[user]
		if !ok || !known || subtle.ConstantTimeCompare([]byte(pass), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="schema-registry"`)
			fail(w, &apiError{http.StatusUnauthorized, http.StatusUnauthorized, "Unauthorized"})
			return
		}
	}
	r.mux.ServeHTTP(w, req)
}

// catchUp applies every record of the log not applied yet. The caller holds
// r.mu for writing, or is New. Records that cannot be understood are logged
// and skipped: one bad record must not take the registry down.
func (r *Registry) catchUp(ctx context.Context) error {
	return r.store.poll(ctx, func(rec logRecord) error {
		if err := r.st.apply(rec); err != nil {
			r.log.WarnContext(ctx, "registry: skipping a record of the schemas log", "topic", r.cfg.Topic, "err", err)
		}
		return nil
	})
}

// commit writes records to the log and applies them by reading the log
// back, so memory never holds what the log does not. The caller holds r.mu.
func (r *Registry) commit(ctx context.Context, recs ...logRecord) error {
	if err := r.store.append(ctx, recs...); err != nil {
		return err
	}
	return r.catchUp(ctx)
}

// Start serves the registry on addr ("127.0.0.1:0" picks a free port)
// until ctx is done or Close is called.
func (r *Registry) Start(ctx context.Context, addr string) error {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.srv != nil {
		return fmt.Errorf("registry: already serving on %s", r.ln.Addr())
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("registry: listen on %s: %w; pick a free address", addr, err)
	}
	if r.cfg.TLS != nil {
		ln = tls.NewListener(ln, r.cfg.TLS)
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	r.srv, r.ln, r.done = srv, ln, make(chan struct{})
	go func() {
		defer close(r.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("registry: serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = r.shutdown()
		case <-r.done:
		}
	}()
	r.log.InfoContext(ctx, "registry: serving", "addr", ln.Addr().String(), "topic", r.cfg.Topic, "in_memory", len(r.cfg.Brokers) == 0)
	return nil
}

// Addr returns the host:port the registry serves on, or "" before Start.
func (r *Registry) Addr() string {
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.ln == nil {
		return ""
	}
	return r.ln.Addr().String()
}

// URL returns the base URL clients use, or "" before Start.
func (r *Registry) URL() string {
	if a := r.Addr(); a != "" {
		if r.cfg.TLS != nil {
			return "https://" + a
		}
		return "http://" + a
	}
	return ""
}

func (r *Registry) shutdown() error {
	r.srvMu.Lock()
	srv, done := r.srv, r.done
	r.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// net/http's Shutdown waits up to 5 s for connections a client
		// dialed but never sent a request on (an HTTP client dials spare
		// connections under concurrency), as long as this grace period:
		// what is left after it is closed, not reported as a failure.
		err = srv.Close()
	}
	<-done
	if err != nil {
		return fmt.Errorf("registry: shut down HTTP server: %w", err)
	}
	return nil
}

// Close stops serving and closes the Kafka client.
func (r *Registry) Close() error {
	err := r.shutdown()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store != nil {
		err = errors.Join(err, r.store.close())
		r.store = nil
	}
	return err
}

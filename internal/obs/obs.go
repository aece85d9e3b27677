// Package obs holds what the programs share for being observed: structured
// logging set up from settings, and the HTTP server for Prometheus metrics
// and health checks.
package obs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewLogger returns a logger writing to w in the given format ("text" or
// "json") at the given level ("debug", "info", "warn", "error").
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("LOG_FORMAT %q: want text or json", format)
}

// Health tracks whether a program is live (its loop is running) and ready
// (connected and making progress).
type Health struct {
	ready  atomic.Bool
	reason atomic.Value // string
}

// SetReady marks the program ready or not, with the reason shown by /readyz.
func (h *Health) SetReady(ok bool, reason string) {
	h.ready.Store(ok)
	h.reason.Store(reason)
}

func (h *Health) readyz(w http.ResponseWriter, _ *http.Request) {
	reason, _ := h.reason.Load().(string)
	if !h.ready.Load() {
		http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// NewRegistry returns a Prometheus registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Server serves /metrics, /healthz (live) and /readyz (ready) on addr until
// ctx ends. An empty addr or "off" disables it. It returns the bound address
// (useful with port 0) once listening.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, h *Health, log *slog.Logger) (string, error) {
	if addr == "" || addr == "off" {
		return "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR %s: %w (choose a free port, or set HTTP_ADDR=off)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", h.readyz)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving metrics and health", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}

// Runtime is what every program sets up first: its logger, its metrics
// registry and its health state, served over HTTP.
type Runtime struct {
	Log     *slog.Logger
	Metrics *prometheus.Registry
	Health  *Health
}

// Start builds the logger from format and level, and serves metrics and
// health on httpAddr ("off" or empty disables the server) until ctx ends.
// The program starts not ready.
func Start(ctx context.Context, format, level, httpAddr string) (*Runtime, error) {
	log, err := NewLogger(os.Stderr, format, level)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Log: log, Metrics: NewRegistry(), Health: &Health{}}
	rt.Health.SetReady(false, "starting")
	if _, err := Serve(ctx, httpAddr, rt.Metrics, rt.Health, log); err != nil {
		return nil, err
	}
	return rt, nil
}

// NewRetries registers mssql2adb_<program>_retries_total on reg and returns
// the function that counts one retry, for retry.Policy.OnRetry.
func NewRetries(reg prometheus.Registerer, program string) func(op string) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "mssql2adb_" + program + "_retries_total",
		Help: "Waits before another attempt after a transient failure (a service that does not answer, a deadlock, a lost connection)."})
	reg.MustRegister(c)
	return func(string) { c.Inc() }
}

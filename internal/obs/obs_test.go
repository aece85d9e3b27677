package obs

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeHealthAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := NewRegistry()
	h := &Health{}
	h.SetReady(false, "connecting to Kafka")
	addr, err := Serve(ctx, "127.0.0.1:0", reg, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 503 || !strings.Contains(body, "connecting to Kafka") {
		t.Errorf("/readyz before ready = %d %q, want 503 with the reason", code, body)
	}
	h.SetReady(true, "")
	if code, _ := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d, want 200", code)
	}
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d, missing the Go collector", code)
	}
}

func TestServeOffAndBadSettings(t *testing.T) {
	addr, err := Serve(context.Background(), "off", NewRegistry(), &Health{}, slog.Default())
	if err != nil || addr != "" {
		t.Fatalf("HTTP_ADDR=off must start nothing: %q %v", addr, err)
	}
	if _, err := NewLogger(io.Discard, "text", "loud"); err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Errorf("bad level: %v", err)
	}
	if _, err := NewLogger(io.Discard, "xml", "info"); err == nil || !strings.Contains(err.Error(), "LOG_FORMAT") {
		t.Errorf("bad format: %v", err)
	}
	if _, err := Serve(context.Background(), "256.0.0.1:x", NewRegistry(), &Health{}, slog.Default()); err == nil || !strings.Contains(err.Error(), "HTTP_ADDR") {
		t.Errorf("bad address: %v", err)
	}
}

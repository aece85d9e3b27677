package tds

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEncryptionModes(t *testing.T) {
	cert, err := selfSignedCertificate("localhost")
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, params, want string
	}{
		{"disable", "encrypt=disable", "encryption=off"},
		{"default", "", "encryption=login"},
		{"false", "encrypt=false&TrustServerCertificate=true", "encryption=login"},
		{"true", "encrypt=true&TrustServerCertificate=true", "encryption=on"},
		{"verified", "encrypt=true&certificate=" + urlEscape(certFile), "encryption=on"},
		{"strict", "encrypt=strict&certificate=" + urlEscape(certFile), "encryption=strict"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs syncBuffer
			cfg := Config{Certificate: &cert, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			_, addr := startServer(t, cfg, newFake())
			db := openDB(t, addr, c.params)
			var n int64
			if err := db.QueryRowContext(context.Background(), "rows 1").Scan(&n); err != nil {
				t.Fatalf("query: %v", err)
			}
			if !strings.Contains(logs.String(), c.want) {
				t.Fatalf("server log lacks %q:\n%s", c.want, logs.String())
			}
			if strings.Contains(logs.String(), testPass) {
				t.Fatal("server log contains the password")
			}
		})
	}
}

func TestForceEncryption(t *testing.T) {
	var logs syncBuffer
	cfg := Config{ForceEncryption: true, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	_, addr := startServer(t, cfg, newFake())
	db := openDB(t, addr, "TrustServerCertificate=true")
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if !strings.Contains(logs.String(), "encryption=on") {
		t.Fatalf("forced encryption not used:\n%s", logs.String())
	}
}

func TestEncryptedPacketSizeCapped(t *testing.T) {
	for _, c := range []struct{ params, want string }{
		{"encrypt=true&TrustServerCertificate=true&packet+size=32767", "packet_size=16383"},
		{"encrypt=disable&packet+size=32767", "packet_size=32767"},
	} {
		var logs syncBuffer
		cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		_, addr := startServer(t, cfg, newFake())
		db := openDB(t, addr, c.params)
		var s string
		if err := db.QueryRowContext(context.Background(), "big 40000").Scan(&s); err != nil {
			t.Fatalf("%s: %v", c.params, err)
		}
		if len([]rune(s)) != 40000 {
			t.Fatalf("%s: %d characters", c.params, len([]rune(s)))
		}
		if !strings.Contains(logs.String(), c.want) {
			t.Fatalf("%s: log lacks %s:\n%s", c.params, c.want, logs.String())
		}
	}
}

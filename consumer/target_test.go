package main

import (
	"testing"
	"time"
)

func TestTargetPoolConfig(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want time.Duration
	}{
		{"postgres://u@127.0.0.1:5432/db", targetConnectTimeout},
		{"postgres://u@127.0.0.1:5432/db?connect_timeout=5", 5 * time.Second},
	} {
		pcfg, err := targetPoolConfig(tc.dsn, 1, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		if got := pcfg.ConnConfig.ConnectTimeout; got != tc.want {
			t.Errorf("%s: connect timeout %s, want %s", tc.dsn, got, tc.want)
		}
		if pcfg.ConnConfig.DialFunc == nil {
			t.Errorf("%s: no dialer with keepalives", tc.dsn)
		}
	}
	if _, err := targetPoolConfig("postgres://u@127.0.0.1:notaport/db", 1, 0); err == nil {
		t.Error("an unparsable DSN was accepted")
	}
}

// The pool holds APPLY_PARALLELISM transactions and two more connections,
// unless TARGET_DSN sets its size.
func TestTargetPoolGrowsWithParallelism(t *testing.T) {
	for _, tc := range []struct {
		dsn         string
		parallelism int
		want        int32
	}{
		{"postgres://u@127.0.0.1:5432/db", 8, 10},
		{"postgres://u@127.0.0.1:5432/db?pool_max_conns=3", 8, 3},
	} {
		pcfg, err := targetPoolConfig(tc.dsn, tc.parallelism, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pcfg.MaxConns != tc.want {
			t.Errorf("%s with APPLY_PARALLELISM %d: pool of %d, want %d", tc.dsn, tc.parallelism, pcfg.MaxConns, tc.want)
		}
	}
}

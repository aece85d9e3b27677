package main

import (
	"context"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/mssql2adb/mssql2adb/internal/config"
)

// Malformed settings are refused before anything connects, in one line
// naming the variable, its value and what is allowed.
func TestMalformedSettingsAreRefused(t *testing.T) {
	base := map[string]string{
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
		"TARGET_DSN":          "postgres://u:S3cret_pw@127.0.0.1:5432/db",
	}
	for _, tt := range []struct {
		name, key, value, want string
	}{
		{"unparsable DSN", "TARGET_DSN", "postgres://u:S3cret_pw@127.0.0.1:notaport/db", "TARGET_DSN does not parse"},
		{"unknown dialect", "TARGET_DIALECT", "oracle", `TARGET_DIALECT "oracle": want auto, postgres or adbpg`},
		{"negative duration", "BATCH_MAX_WAIT", "-1s", `BATCH_MAX_WAIT "-1s": want a duration of at least 0s`},
		{"negative session timeout", "KAFKA_SESSION_TIMEOUT", "-10s", `KAFKA_SESSION_TIMEOUT "-10s"`},
		{"negative size", "BATCH_MAX_EVENTS", "-1", `BATCH_MAX_EVENTS "-1": want at least 0`},
		{"negative statement timeout", "TARGET_STATEMENT_TIMEOUT", "-5m", `TARGET_STATEMENT_TIMEOUT "-5m": want a duration of at least 0s`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			env[tt.key] = tt.value
			var cfg Config
			err := config.Load(context.Background(), &cfg, envconfig.MapLookuper(env))
			if err == nil {
				err = cfg.validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "S3cret_pw") || strings.Contains(err.Error(), "\n") {
				t.Errorf("the error repeats the password or spans lines: %v", err)
			}
		})
	}
}

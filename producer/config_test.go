package main

import (
	"context"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/mssql2adb/mssql2adb/internal/config"
)

// Malformed settings are refused before anything connects, in one line
// naming the variable and what is allowed, without repeating a password.
func TestMalformedSettingsAreRefused(t *testing.T) {
	base := map[string]string{
		"MSSQL_DSN":           "sqlserver://sa:S3cret_pw@127.0.0.1:1433?database=db",
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
	}
	for _, tt := range []struct {
		name, key, value, want string
	}{
		{"unparsable DSN", "MSSQL_DSN", "sqlserver://sa:S3cret_pw@127.0.0.1:notaport?database=db", "MSSQL_DSN does not parse"},
		{"negative duration", "RETRY_WINDOW", "-1m", `RETRY_WINDOW "-1m": want a duration of at least 0s`},
		{"negative size", "MAX_BATCH_EVENTS", "-5", `MAX_BATCH_EVENTS "-5": want at least 0`},
		{"unknown choice", "STALE_POSITION", "maybe", `STALE_POSITION "maybe": want stop or resnapshot`},
		{"unknown retention choice", "RETENTION_LOSS", "rebuild", `RETENTION_LOSS "rebuild": want stop or resnapshot`},
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

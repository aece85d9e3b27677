package main

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config/configtest"
)

// Malformed settings are refused before anything connects, in one line
// naming the variable and what is allowed, without repeating a password.
func TestMalformedSettingsAreRefused(t *testing.T) {
	base := map[string]string{
		"MSSQL_DSN":           "sqlserver://sa:S3cret_pw@127.0.0.1:1433?database=db",
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
	}
	configtest.CheckRefusals(t, base, "S3cret_pw", func() (any, func() error) { var c Config; return &c, c.validate }, []configtest.Refusal{
		{Name: "unparsable DSN", Key: "MSSQL_DSN", Value: "sqlserver://sa:S3cret_pw@127.0.0.1:notaport?database=db", Want: "MSSQL_DSN does not parse"},
		{Name: "negative duration", Key: "RETRY_WINDOW", Value: "-1m", Want: `RETRY_WINDOW "-1m": want a duration of at least 0s`},
		{Name: "negative size", Key: "MAX_BATCH_EVENTS", Value: "-5", Want: `MAX_BATCH_EVENTS "-5": want at least 0`},
		{Name: "unknown choice", Key: "STALE_POSITION", Value: "maybe", Want: `STALE_POSITION "maybe": want stop or resnapshot`},
	})
}

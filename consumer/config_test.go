package main

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config/configtest"
)

// Malformed settings are refused before anything connects, in one line
// naming the variable, its value and what is allowed.
func TestMalformedSettingsAreRefused(t *testing.T) {
	base := map[string]string{
		"KAFKA_BROKERS":       "127.0.0.1:9092",
		"SCHEMA_REGISTRY_URL": "http://127.0.0.1:8081",
		"TARGET_DSN":          "postgres://u:S3cret_pw@127.0.0.1:5432/db",
	}
	configtest.CheckRefusals(t, base, "S3cret_pw", func() (any, func() error) { var c Config; return &c, c.validate }, []configtest.Refusal{
		{Name: "unparsable DSN", Key: "TARGET_DSN", Value: "postgres://u:S3cret_pw@127.0.0.1:notaport/db", Want: "TARGET_DSN does not parse"},
		{Name: "unknown dialect", Key: "TARGET_DIALECT", Value: "oracle", Want: `TARGET_DIALECT "oracle": want auto, postgres or adbpg`},
		{Name: "negative duration", Key: "BATCH_MAX_WAIT", Value: "-1s", Want: `BATCH_MAX_WAIT "-1s": want a duration of at least 0s`},
		{Name: "negative session timeout", Key: "KAFKA_SESSION_TIMEOUT", Value: "-10s", Want: `KAFKA_SESSION_TIMEOUT "-10s"`},
		{Name: "negative size", Key: "BATCH_MAX_EVENTS", Value: "-1", Want: `BATCH_MAX_EVENTS "-1": want at least 0`},
		{Name: "no apply transaction", Key: "APPLY_PARALLELISM", Value: "0", Want: `APPLY_PARALLELISM "0": want at least 1`},
		{Name: "negative deleted-keys retention", Key: "DELETED_KEYS_RETENTION", Value: "-1h", Want: `DELETED_KEYS_RETENTION "-1h": want a duration of at least 0s`},
		{Name: "retention without a unit", Key: "DELETED_KEYS_RETENTION", Value: "7", Want: `DELETED_KEYS_RETENTION`},
		{Name: "negative statement timeout", Key: "TARGET_STATEMENT_TIMEOUT", Value: "-5m", Want: `TARGET_STATEMENT_TIMEOUT "-5m": want a duration of at least 0s`},
	})
}

package schemas

import (
	"encoding/json"
	"testing"

	havro "github.com/hamba/avro/v2"
)

func TestSchemasParse(t *testing.T) {
	for name, text := range All() {
		t.Run(name, func(t *testing.T) {
			if !json.Valid([]byte(text)) {
				t.Fatalf("%s is not valid JSON", name)
			}
			s, err := havro.ParseWithCache(text, "", &havro.SchemaCache{})
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			if s.Type() != havro.Record {
				t.Fatalf("%s: want a record, got %s", name, s.Type())
			}
		})
	}
}

func TestSourceFieldsMatchDebezium(t *testing.T) {
	s, err := havro.ParseWithCache(Source, "", &havro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	rec := s.(*havro.RecordSchema)
	if rec.FullName() != "io.debezium.connector.sqlserver.Source" {
		t.Fatalf("name %s", rec.FullName())
	}
	want := []string{"version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "schema", "table", "change_lsn", "commit_lsn", "event_serial_no"}
	got := make([]string, 0, len(rec.Fields()))
	for _, f := range rec.Fields() {
		got = append(got, f.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fields %v, want %v", got, want)
		}
	}
}

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
	// Debezium's fields, in Debezium's order, then our own: each optional
	// (null first, default null), so readers that know only Debezium's
	// block read ours.
	want := []string{"version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "schema", "table", "change_lsn", "commit_lsn", "event_serial_no"}
	ours := []string{"db_incarnation"}
	fields := rec.Fields()
	if len(fields) != len(want)+len(ours) {
		t.Fatalf("%d fields, want %v then %v", len(fields), want, ours)
	}
	for i, f := range fields {
		if i < len(want) {
			if f.Name() != want[i] {
				t.Fatalf("field %d is %s, want %s", i, f.Name(), want[i])
			}
			continue
		}
		u, ok := f.Type().(*havro.UnionSchema)
		if f.Name() != ours[i-len(want)] || !ok || u.Types()[0].Type() != havro.Null || !f.HasDefault() || f.Default() != nil {
			t.Fatalf("field %d (%s) must be %s, optional with a null default", i, f.Name(), ours[i-len(want)])
		}
	}
}

package registry

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

const (
	orderV1 = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
		{"name":"id","type":"int"},
		{"name":"note","type":["null","string"],"default":null}]}`
	// orderV1Spaced is orderV1 with other whitespace and key order.
	orderV1Spaced = `{ "namespace" : "db.dbo", "name":"Order", "type":"record",
		"fields":[ {"type":"int","name":"id"}, {"name":"note","default":null,"type":["null","string"]} ] }`
	// orderV2 adds an optional column: BACKWARD and FORWARD compatible.
	orderV2 = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
		{"name":"id","type":"int"},
		{"name":"note","type":["null","string"],"default":null},
		{"name":"qty","type":["null","int"],"default":null}]}`
	// orderRequiredCol adds a column without default: not BACKWARD.
	orderRequiredCol = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
		{"name":"id","type":"int"},
		{"name":"note","type":["null","string"],"default":null},
		{"name":"qty","type":"int"}]}`
	// orderDropped drops a column without default: BACKWARD, not FORWARD.
	orderDropped = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
		{"name":"note","type":["null","string"],"default":null}]}`
	// orderWiderID promotes int to long: BACKWARD, not FORWARD.
	orderWiderID = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
		{"name":"id","type":"long"},
		{"name":"note","type":["null","string"],"default":null}]}`
	orderKey = `{"type":"record","name":"OrderKey","namespace":"db.dbo","fields":[{"name":"id","type":"int"}]}`
)

// quiet discards the registry's logs in tests.
var quiet = slog.New(slog.DiscardHandler)

// startRegistry serves an in-memory registry and returns a client for it.
func startRegistry(t *testing.T, cfg Config) (*Registry, *sr.Client) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	reg, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := reg.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := reg.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatalf("sr client: %v", err)
	}
	return reg, cl
}

func avroSchema(s string) sr.Schema { return sr.Schema{Schema: s, Type: sr.TypeAvro} }

func mustRegister(t *testing.T, cl *sr.Client, subject, schema string) int {
	t.Helper()
	id, err := cl.RegisterSchema(t.Context(), subject, avroSchema(schema), -1, -1)
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return id
}

func TestRegisterAndRead(t *testing.T) {
	_, cl := startRegistry(t, Config{})
	ctx := t.Context()

	id1 := mustRegister(t, cl, "db.dbo.orders-value", orderV1)
	if again := mustRegister(t, cl, "db.dbo.orders-value", orderV1Spaced); again != id1 {
		t.Fatalf("same schema, other whitespace: id %d, want %d", again, id1)
	}
	keyID := mustRegister(t, cl, "db.dbo.orders-key", orderKey)
	if keyID == id1 {
		t.Fatalf("different schemas share id %d", keyID)
	}
	if other := mustRegister(t, cl, "other-value", orderV1); other != id1 {
		t.Fatalf("same schema under another subject: id %d, want %d", other, id1)
	}
	id2 := mustRegister(t, cl, "db.dbo.orders-value", orderV2)

	s, err := cl.SchemaByID(ctx, id1)
	if err != nil {
		t.Fatalf("SchemaByID: %v", err)
	}
	if got, _ := normaliseJSON([]byte(s.Schema)); got != mustCanon(t, orderV1) {
		t.Fatalf("SchemaByID(%d) = %s, want orderV1", id1, s.Schema)
	}
	if vs, err := cl.SubjectVersions(ctx, "db.dbo.orders-value"); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("SubjectVersions = %v, %v; want [1 2]", vs, err)
	}
	latest, err := cl.SchemaByVersion(ctx, "db.dbo.orders-value", -1)
	if err != nil || latest.ID != id2 || latest.Version != 2 || latest.Subject != "db.dbo.orders-value" {
		t.Fatalf("latest = %+v, %v; want id %d version 2", latest, err, id2)
	}
	usages, err := cl.SchemaVersionsByID(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	want := []sr.SubjectVersion{{Subject: "db.dbo.orders-value", Version: 1}, {Subject: "other-value", Version: 1}}
	if !slices.Equal(usages, want) {
		t.Fatalf("SchemaVersionsByID = %v, want %v", usages, want)
	}
	subjects, err := cl.Subjects(ctx)
	if err != nil || !slices.Equal(subjects, []string{"db.dbo.orders-key", "db.dbo.orders-value", "other-value"}) {
		t.Fatalf("Subjects = %v, %v", subjects, err)
	}
	found, err := cl.LookupSchema(ctx, "db.dbo.orders-value", avroSchema(orderV1Spaced))
	if err != nil || found.ID != id1 || found.Version != 1 {
		t.Fatalf("LookupSchema = %+v, %v; want id %d version 1", found, err, id1)
	}
	full, err := cl.CreateSchema(ctx, "db.dbo.orders-value", avroSchema(orderV2))
	if err != nil || full.ID != id2 || full.Version != 2 {
		t.Fatalf("CreateSchema of a registered schema = %+v, %v", full, err)
	}
}

func mustCanon(t *testing.T, s string) string {
	t.Helper()
	ps, err := parseAvro(s)
	if err != nil {
		t.Fatal(err)
	}
	return ps.canon
}

func TestCompatibilityLevels(t *testing.T) {
	tests := []struct {
		level      string
		history    []string
		candidate  string
		compatible bool
	}{
		{Backward, []string{orderV1}, orderV2, true},
		{Backward, []string{orderV1}, orderRequiredCol, false},
		{Backward, []string{orderV1}, orderDropped, true},
		{Backward, []string{orderV1}, orderWiderID, true},
		{Forward, []string{orderV1}, orderV2, true},
		{Forward, []string{orderV1}, orderDropped, false},
		{Forward, []string{orderV1}, orderWiderID, false},
		{Forward, []string{orderV1}, orderRequiredCol, true},
		{Full, []string{orderV1}, orderV2, true},
		{Full, []string{orderV1}, orderRequiredCol, false},
		{Full, []string{orderV1}, orderDropped, false},
		{None, []string{orderV1}, orderRequiredCol, true},
		{None, []string{orderV1}, orderKey, true},
		// Non-transitive levels look at the latest version only.
		{Backward, []string{orderV1, orderQtyDefault}, orderQtyRequired, true},
		{BackwardTransitive, []string{orderV1, orderQtyDefault}, orderQtyRequired, false},
		{Forward, []string{orderV1, orderDropped}, orderExtra, true},
		{ForwardTransitive, []string{orderV1, orderDropped}, orderExtra, false},
		{FullTransitive, []string{orderV1, orderV2}, orderV1Spaced, true},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+shortName(tt.candidate), func(t *testing.T) {
			_, cl := startRegistry(t, Config{DefaultCompatibility: tt.level})
			ctx := t.Context()
			subject := "s-value"
			for _, h := range tt.history {
				mustRegisterWithLevel(t, cl, subject, h)
			}
			res, err := cl.CheckCompatibility(ctx, subject, -2, avroSchema(tt.candidate))
			if err != nil {
				t.Fatalf("CheckCompatibility: %v", err)
			}
			if res.Is != tt.compatible {
				t.Fatalf("CheckCompatibility = %v, want %v", res.Is, tt.compatible)
			}
			_, err = cl.RegisterSchema(ctx, subject, avroSchema(tt.candidate), -1, -1)
			var re *sr.ResponseError
			switch {
			case tt.compatible && err != nil:
				t.Fatalf("register compatible schema: %v", err)
			case !tt.compatible && (!errors.As(err, &re) || re.ErrorCode != CodeIncompatibleSchema || re.StatusCode != 409):
				t.Fatalf("register incompatible schema: err = %v, want HTTP 409 with error_code 409", err)
			}
		})
	}
}

// Schemas for the transitive cases.
const (
	// orderQtyDefault drops id and adds qty with a default.
	orderQtyDefault = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
	{"name":"note","type":["null","string"],"default":null},
	{"name":"qty","type":"int","default":0}]}`
	// orderQtyRequired reads orderQtyDefault's data, not orderV1's.
	orderQtyRequired = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
	{"name":"note","type":["null","string"],"default":null},
	{"name":"qty","type":"int"}]}`
	// orderExtra's data is readable by orderDropped, not by orderV1 (no id).
	orderExtra = `{"type":"record","name":"Order","namespace":"db.dbo","fields":[
	{"name":"note","type":["null","string"],"default":null},
	{"name":"extra","type":["null","string"],"default":null}]}`
)

// mustRegisterWithLevel registers a history schema with the subject's
// level set to NONE (histories need not be compatible with each other),
// then removes the subject level again.
func mustRegisterWithLevel(t *testing.T, cl *sr.Client, subject, schema string) {
	t.Helper()
	ctx := t.Context()
	if r := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, subject); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	mustRegister(t, cl, subject, schema)
	if r := cl.ResetCompatibility(ctx, subject); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
}

func shortName(s string) string {
	switch s {
	case orderV1:
		return "v1"
	case orderV1Spaced:
		return "v1spaced"
	case orderV2:
		return "v2"
	case orderRequiredCol:
		return "requiredCol"
	case orderDropped:
		return "dropped"
	case orderWiderID:
		return "widerID"
	case orderKey:
		return "key"
	case orderQtyRequired:
		return "qtyRequired"
	case orderExtra:
		return "extra"
	default:
		return "other"
	}
}

package registry

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// call sends one request to the handler and decodes the JSON answer.
func call(t *testing.T, reg *Registry, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", ContentType)
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("%s %s: Content-Type %q, want %q", method, path, ct, ContentType)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return rec.Code, m, strings.TrimSpace(string(raw))
}

func schemaBody(s string) string {
	b, _ := json.Marshal(map[string]string{"schema": s})
	return string(b)
}

func newMem(t *testing.T) *Registry {
	t.Helper()
	reg, err := New(t.Context(), Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg
}

func TestErrorBodies(t *testing.T) {
	reg := newMem(t)
	if code, _, raw := call(t, reg, "POST", "/subjects/s-value/versions", schemaBody(orderV1)); code != 200 || raw != `{"id":1}` {
		t.Fatalf("register: %d %s", code, raw)
	}
	tests := []struct {
		name, method, path, body string
		status, code             int
		message                  string
	}{
		{"unknown subject", "GET", "/subjects/nope/versions", "", 404, 40401, "Subject 'nope' not found."},
		{"unknown subject version", "GET", "/subjects/nope/versions/1", "", 404, 40401, "Subject 'nope' not found."},
		{"unknown version", "GET", "/subjects/s-value/versions/7", "", 404, 40402, "Version 7 not found for subject 's-value'."},
		{"unknown id", "GET", "/schemas/ids/99", "", 404, 40403, "Schema 99 not found"},
		{"id in another subject", "GET", "/schemas/ids/1?subject=other", "", 404, 40403, "Schema 1 not found"},
		{"lookup of an unregistered schema", "POST", "/subjects/s-value", schemaBody(orderV2), 404, 40403, ""},
		{"invalid avro", "POST", "/subjects/s-value/versions", schemaBody(`{"type":"record","name":"x"}`), 422, 42201, ""},
		{"not json", "POST", "/subjects/s-value/versions", schemaBody(`{nope`), 422, 42201, ""},
		{"protobuf", "POST", "/subjects/s-value/versions", `{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}`, 422, 42201, "Invalid schema type PROTOBUF"},
		{"references", "POST", "/subjects/s-value/versions", `{"schema":"\"int\"","references":[{"name":"a","subject":"b","version":1}]}`, 422, 42201, ""},
		{"explicit id", "POST", "/subjects/s-value/versions", `{"schema":"\"int\"","id":5}`, 422, 42205, ""},
		{"bad version", "GET", "/subjects/s-value/versions/abc", "", 422, 42202, "The specified version 'abc' is not a valid version id"},
		{"zero version", "GET", "/subjects/s-value/versions/0", "", 422, 42202, ""},
		{"bad level", "PUT", "/config", `{"compatibility":"SIDEWAYS"}`, 422, 42203, ""},
		{"no subject config", "GET", "/config/s-value", "", 404, 40408, ""},
		{"incompatible", "POST", "/subjects/s-value/versions", schemaBody(orderRequiredCol), 409, 409, `incompatible with an earlier schema for subject "s-value"`},
		{"unknown route", "GET", "/nothing/here", "", 404, 404, ""},
		{"bad mode", "PUT", "/mode", `{"mode":"IMPORT"}`, 422, 42204, ""},
		{"empty body", "POST", "/subjects/s-value/versions", "", 400, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m, raw := call(t, reg, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, raw)
			}
			if got, _ := m["error_code"].(float64); int(got) != tt.code {
				t.Fatalf("error_code %v, want %d (%s)", m["error_code"], tt.code, raw)
			}
			if msg, _ := m["message"].(string); !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
}

func TestRawEndpoints(t *testing.T) {
	reg := newMem(t)
	call(t, reg, "POST", "/subjects/s-value/versions", schemaBody(orderV1))
	tests := []struct{ path, want string }{
		{"/schemas/ids/1/schema", mustCompact(t, orderV1)},
		{"/subjects/s-value/versions/latest/schema", mustCompact(t, orderV1)},
		{"/subjects/s-value/versions/1", `{"subject":"s-value","id":1,"version":1,"schema":` + quote(mustCompact(t, orderV1)) + `}`},
		{"/schemas/ids/1", `{"schema":` + quote(mustCompact(t, orderV1)) + `}`},
		{"/schemas/ids/1?subject=s-value", `{"schema":` + quote(mustCompact(t, orderV1)) + `}`},
		{"/schemas/ids/1/versions", `[{"subject":"s-value","version":1}]`},
		{"/schemas/ids/1/subjects", `["s-value"]`},
		{"/schemas/types", `["AVRO"]`},
		{"/subjects", `["s-value"]`},
		{"/subjects/s-value/versions", `[1]`},
		{"/subjects/s-value/versions/1/referencedby", `[]`},
		{"/config", `{"compatibilityLevel":"BACKWARD"}`},
		{"/config/s-value?defaultToGlobal=true", `{"compatibilityLevel":"BACKWARD"}`},
		{"/mode", `{"mode":"READWRITE"}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, _, raw := call(t, reg, "GET", tt.path, "")
			if status != 200 || raw != tt.want {
				t.Fatalf("GET %s = %d %s, want %s", tt.path, status, raw, tt.want)
			}
		})
	}
}

func mustCompact(t *testing.T, s string) string {
	t.Helper()
	ps, err := parseAvro(s)
	if err != nil {
		t.Fatal(err)
	}
	return ps.text
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDeleteAndConfig(t *testing.T) {
	reg := newMem(t)
	steps := []struct {
		method, path, body string
		status             int
		want               string // exact body, or "" to skip
	}{
		{"POST", "/subjects/s/versions", schemaBody(orderV1), 200, `{"id":1}`},
		{"POST", "/subjects/s/versions", schemaBody(orderV2), 200, `{"id":2}`},
		{"PUT", "/config/s", `{"compatibility":"full"}`, 200, `{"compatibility":"FULL"}`},
		{"GET", "/config/s", "", 200, `{"compatibilityLevel":"FULL"}`},
		{"GET", "/config", "", 200, `{"compatibilityLevel":"BACKWARD"}`},
		// FULL refuses what BACKWARD allows.
		{"POST", "/subjects/s/versions", schemaBody(orderDropped), 409, ""},
		{"DELETE", "/config/s", "", 200, `{"compatibilityLevel":"FULL"}`},
		{"PUT", "/config", `{"compatibility":"NONE"}`, 200, `{"compatibility":"NONE"}`},
		{"POST", "/compatibility/subjects/s/versions/latest?verbose=true", schemaBody(orderRequiredCol), 200, `{"is_compatible":true}`},
		{"PUT", "/config", `{"compatibility":"BACKWARD"}`, 200, ""},
		{"POST", "/compatibility/subjects/s/versions/1", schemaBody(orderRequiredCol), 200, `{"is_compatible":false}`},
		// Soft delete, then permanent delete of version 1.
		{"DELETE", "/subjects/s/versions/1?permanent=true", "", 404, ""},
		{"DELETE", "/subjects/s/versions/1", "", 200, `1`},
		{"DELETE", "/subjects/s/versions/1", "", 404, ""},
		{"GET", "/subjects/s/versions", "", 200, `[2]`},
		{"GET", "/subjects/s/versions?deleted=true", "", 200, `[1,2]`},
		{"GET", "/subjects/s/versions/1", "", 404, ""},
		{"GET", "/subjects/s/versions/1?deleted=true", "", 200, ""},
		{"GET", "/schemas/ids/1", "", 200, ""}, // ids outlive soft deletes
		{"DELETE", "/subjects/s/versions/1?permanent=true", "", 200, `1`},
		{"GET", "/subjects/s/versions?deleted=true", "", 200, `[2]`},
		// The whole subject.
		{"DELETE", "/subjects/s?permanent=true", "", 404, ""},
		{"DELETE", "/subjects/s", "", 200, `[2]`},
		{"DELETE", "/subjects/s", "", 404, ""},
		{"GET", "/subjects", "", 200, `[]`},
		{"GET", "/subjects?deleted=true", "", 200, `["s"]`},
		{"DELETE", "/subjects/s?permanent=true", "", 200, `[2]`},
		{"GET", "/subjects?deleted=true", "", 200, `[]`},
		// A new registration after deletes gets a new version number.
		{"POST", "/subjects/s/versions", schemaBody(orderKey), 200, `{"id":3}`},
		{"GET", "/subjects/s/versions", "", 200, `[1]`},
	}
	for i, st := range steps {
		status, _, raw := call(t, reg, st.method, st.path, st.body)
		if status != st.status || (st.want != "" && raw != st.want) {
			t.Fatalf("step %d %s %s = %d %s, want %d %s", i, st.method, st.path, status, raw, st.status, st.want)
		}
	}
}

func TestNewRejectsBadLevel(t *testing.T) {
	if _, err := New(t.Context(), Config{DefaultCompatibility: "sometimes"}); err == nil {
		t.Fatal("New accepted an unknown compatibility level")
	}
}

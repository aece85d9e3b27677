package source

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mssql2adb/mssql2adb/schemas"
)

func TestPositionJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pos  Position
	}{
		{"zero", Position{}},
		{"snapshot in progress", Position{Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(0x1234),
			Tables: map[string]TableSnapshot{
				"dbo.a": {Done: true, Rows: 10, LastKey: []string{"10"}, InstanceMinLSN: mkLSN(3)},
				"dbo.b": {Rows: 5, LastKey: []string{"2024-01-01T00:00:00Z", "x,y"}},
				"dbo.c": {Rows: 25, Ranges: []KeyRange{{To: "100", Done: true, Rows: 20, LastKey: []string{"99", "a"}},
					{From: "100", To: "200", Rows: 5, LastKey: []string{"104", "b"}}, {From: "200"}}},
			}}}},
		{"inside a transaction", Position{Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(1), Done: true},
			Stream: StreamPosition{CommitLSN: mkLSN(0x2a0), InTx: true, Emitted: 20000,
				Last: ChangeKey{SeqVal: mkLSN(0x2a5), Operation: 3}}}},
		{"after a transaction", Position{Snapshot: SnapshotPosition{Started: true, Done: true},
			Stream: StreamPosition{CommitLSN: mkLSN(0x2a0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.pos)
			if err != nil {
				t.Fatal(err)
			}
			var back Position
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			if !reflect.DeepEqual(back, tt.pos) {
				t.Errorf("round trip of %s\n got %#v\nwant %#v", b, back, tt.pos)
			}
		})
	}
}

func TestPositionJSONForm(t *testing.T) {
	p := Position{Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(0x1a8), Done: true},
		Stream: StreamPosition{CommitLSN: mkLSN(0x2a0), InTx: true, Emitted: 3, Last: ChangeKey{SeqVal: mkLSN(0x2a1), Operation: 4}, CommitMs: 1700000000123}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"snapshot":{"started":true,"lsn":"00000000:00000001:00a8","done":true},` +
		`"stream":{"commit_lsn":"00000000:00000002:00a0","in_tx":true,"seqval":"00000000:00000002:00a1","operation":4,"emitted":3,"commit_ms":1700000000123}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestPositionJSONRefusesBadInput(t *testing.T) {
	for _, in := range []string{
		`{"v":2,"snapshot":{"lsn":""},"stream":{"commit_lsn":""}}`,
		`{"v":1,"snapshot":{"lsn":"nope"},"stream":{"commit_lsn":""}}`,
		`[1,2]`,
	} {
		var p Position
		if err := p.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%s) succeeded, want an error", in)
		} else if !strings.Contains(err.Error(), "source position") {
			t.Errorf("error %q does not say what it is about", err)
		}
	}
}

func TestPositionCloneIsDeep(t *testing.T) {
	p := Position{Snapshot: SnapshotPosition{Tables: map[string]TableSnapshot{"dbo.t": {LastKey: []string{"1"},
		Ranges: []KeyRange{{To: "5", LastKey: []string{"3"}}, {From: "5"}}}}}}
	c := p.clone()
	st := c.Snapshot.Tables["dbo.t"]
	st.LastKey[0] = "2"
	st.Ranges[0].LastKey[0] = "4"
	st.Ranges[1].Rows = 7
	c.Snapshot.Tables["dbo.x"] = TableSnapshot{}
	orig := p.Snapshot.Tables["dbo.t"]
	if orig.LastKey[0] != "1" || orig.Ranges[0].LastKey[0] != "3" || orig.Ranges[1].Rows != 0 || len(p.Snapshot.Tables) != 1 {
		t.Errorf("clone shares state with the original: %+v", p.Snapshot.Tables)
	}
}

func TestPositionString(t *testing.T) {
	p := Position{Snapshot: SnapshotPosition{Done: true}, Stream: StreamPosition{CommitLSN: mkLSN(0x2a0), InTx: true, Emitted: 5}}
	if s := p.String(); !strings.Contains(s, "commit=00000000:00000002:00a0") || !strings.Contains(s, "emitted=5") {
		t.Errorf("String() = %q", s)
	}
}

// TestPositionJSONMatchesItsSchema: every form of the position the producer
// writes is valid against schemas/state.schema.json, the documented format
// of the state topic's records, and records that break it are not.
func TestPositionJSONMatchesItsSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schemas.StateJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("state.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("state.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Position{
		{},
		{Incarnation: "2026-12-06T10:00:00.123Z/7", Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(0x1234),
			Tables: map[string]TableSnapshot{
				"dbo.a": {Done: true, Rows: 10, LastKey: []string{"10"}, InstanceMinLSN: mkLSN(3), Added: []string{"email"}},
				"dbo.b": {Rows: 5, LastKey: []string{"x,y"}, Stopped: "DROP COLUMN v"},
				"dbo.c": {Rows: 7, Estimate: 100, StartedMs: 1765000000000, UpdatedMs: 1765000001000},
				"dbo.d": {Rows: 3, Ranges: []KeyRange{{To: "-5", Done: true, Rows: 3, LastKey: []string{"-6"}}, {From: "-5"}}},
			}}},
		{Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(1), Done: true},
			Stream: StreamPosition{CommitLSN: mkLSN(0x2a0), InTx: true, Emitted: 20000, Last: ChangeKey{SeqVal: mkLSN(0x2a5), Operation: 3}}},
	} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s does not match schemas/state.schema.json: %v", b, err)
		}
	}
	for _, bad := range []string{
		`{"v":2,"snapshot":{"lsn":"00000000:00000000:0000"},"stream":{"commit_lsn":"00000000:00000000:0000"}}`,
		`{"v":1,"snapshot":{"lsn":"0x1"},"stream":{"commit_lsn":"00000000:00000000:0000"}}`,
		`{"v":1,"snapshot":{"lsn":"00000000:00000000:0000"},"stream":{"commit_lsn":"00000000:00000000:0000"},"extra":1}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err := sch.Validate(v); err == nil {
			t.Errorf("%s matches schemas/state.schema.json", bad)
		}
	}
}

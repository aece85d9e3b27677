package status

import (
	"bytes"
	"strings"
	"testing"
)

// TestPrintNotes: the NOTE column tells an operator what needs them, most
// urgent first, and the other columns stay aligned.
func TestPrintNotes(t *testing.T) {
	long := strings.Repeat("x", 150)
	tests := []struct {
		name string
		in   Table
		want []string // substrings of the table's line
	}{
		{"stopped", Table{Source: "db.dbo.a", Phase: "stopped", Stopped: "column age was dropped or renamed"},
			[]string{"stopped", "stopped: column age was dropped or renamed"}},
		{"dead letters", Table{Source: "db.dbo.b", Phase: "streaming", DeadLettered: 2, LastError: "decode: malformed record", LastErrorTime: "2026-12-06T12:00:00Z"},
			[]string{"  2  ", "last error 2026-12-06T12:00:00Z: decode: malformed record"}},
		{"long error cut", Table{Source: "db.dbo.c", Phase: "streaming", DeadLettered: 1, LastError: long},
			[]string{strings.Repeat("x", 100) + "…"}},
		{"stale and stopped", Table{Source: "db.dbo.d", Phase: "stopped", Stopped: "CDC disabled", Stale: "offsets stored beyond the topic's end"},
			[]string{"stopped: CDC disabled; offsets stored beyond the topic's end"}},
		{"nothing to say", Table{Source: "db.dbo.e", Phase: "streaming", SourceTime: "2026-12-06T11:59:00Z"},
			[]string{"2026-12-06T11:59:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Print(&b, []Table{tt.in}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "SOURCE TIME") || !strings.Contains(lines[0], "DEAD-LETTERED") {
				t.Fatalf("want a header and one line:\n%s", b.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[1], w) {
					t.Errorf("line %q lacks %q", lines[1], w)
				}
			}
			if strings.Contains(lines[1], strings.Repeat("x", 101)) {
				t.Errorf("error not shortened: %q", lines[1])
			}
		})
	}
}

package selection

import (
	"strings"
	"testing"
)

// Patterns match a table's names part by part, never a name split at its
// dots; a schema.table pattern matches in any database.
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern                 string
		database, schema, table string
		want                    bool
	}{
		{"db.*.*", "db", "sales.eu", "a.b", true},
		{"db.dbo.a?b", "db", "dbo", "a.b", true},
		{"db.dbo.order details", "db", "dbo", "Order Details", true},
		{"db.dbo.*", "db", "sales.eu", "t", false},
		{"db.sales.*", "db", "sales.eu", "t", false},
		{"*.*.a", "db", "dbo", "a.b", false},
		{"dbo.a?b", "any", "dbo", "a.b", true},
		{"sales.eu.t", "sales", "eu", "t", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.database, tt.schema, tt.table); got != tt.want {
			t.Errorf("match(%q, [%s].[%s].[%s]) = %v, want %v", tt.pattern, tt.database, tt.schema, tt.table, got, tt.want)
		}
	}
}

func TestSelected(t *testing.T) {
	tests := []struct {
		include, exclude []string
		schema, table    string
		want             bool
	}{
		{nil, nil, "dbo", "t", true},
		{[]string{"dbo.*"}, nil, "dbo", "t", true},
		{[]string{"dbo.*"}, nil, "sales", "t", false},
		{[]string{"dbo.*"}, []string{"dbo.audit_*"}, "dbo", "AUDIT_log", false},
		{nil, []string{"*.tmp?"}, "x", "tmp1", false},
		{[]string{"src.dbo.t"}, nil, "dbo", "t", true},
		{[]string{"other.dbo.t"}, nil, "dbo", "t", false},
	}
	for _, tt := range tests {
		if got := Selected(tt.include, tt.exclude, "src", tt.schema, tt.table); got != tt.want {
			t.Errorf("Selected(%q, %q, src.%s.%s) = %v, want %v", tt.include, tt.exclude, tt.schema, tt.table, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"t", `INCLUDE_TABLES: pattern "t": want database.schema.table, or schema.table`},
		{"a.b.c.d", `want database.schema.table`},
		{"db..t", `pattern "db..t" has an empty part`},
		{"dbo.[x", `syntax error in pattern`},
		{"dbo.*", ""},
		{"db.dbo.t?", ""},
	} {
		err := Check("INCLUDE_TABLES", []string{tc.pattern})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%q) = %v, want %q", tc.pattern, err, tc.want)
		}
	}
}

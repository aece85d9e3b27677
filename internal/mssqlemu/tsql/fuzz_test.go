package tsql

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input panics or recurses without bound, that
// every failure is a well-formed *Error, and that whatever parses prints
// to text that parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.sql)
	}
	for _, s := range []string{
		"SELECT ((((1))))", "IF NOT NOT NOT 1=1 PRINT 1", "SELECT 'a", "/* /* */", "[x", "N'", "0x", "$",
		"SELECT * FROM t WHERE (a", "EXEC p @a = ", "SELECT CASE WHEN", "CREATE TABLE t (a int",
		"SELECT 1e", "SELECT .", "@", "@@", "SELECT a.", "SELECT a..b", "DECLARE @x double",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := Parse(sql)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error %v is %T, not *Error", sql, err, err)
			}
			if perr.Number == 0 || perr.Line < 1 || perr.Text == "" || perr.Class == 0 {
				t.Fatalf("Parse(%q) gave malformed error %+v", sql, perr)
			}
			return
		}
		for _, s := range stmts {
			if s == nil {
				t.Fatalf("Parse(%q) returned a nil statement", sql)
			}
			visited := 0
			Inspect(s, func(Node) bool { visited++; return true })
			if visited == 0 {
				t.Fatalf("Inspect visited nothing in %q", sql)
			}
		}
		if err := CheckVariables(stmts); err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Number != MsgMustDeclare && perr.Number != MsgAlreadyDeclared {
				t.Fatalf("CheckVariables(%q) = %v", sql, err)
			}
		}
		text := formatBatch(stmts)
		if strings.Contains(text, "<nil>") || strings.Contains(text, "<?>") {
			t.Fatalf("Parse(%q) built an incomplete tree: %s", sql, text)
		}
		checkRoundTrip(t, sql, stmts)
	})
}

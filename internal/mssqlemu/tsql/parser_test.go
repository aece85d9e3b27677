package tsql

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// formatBatch prints each statement on its own line.
func formatBatch(stmts []Statement) string {
	lines := make([]string, len(stmts))
	for k, s := range stmts {
		lines[k] = Format(s)
	}
	return strings.Join(lines, "\n")
}

// stripPositions zeroes every Pos and DataType.Written so that trees
// parsed from different texts compare equal.
func stripPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			stripPositions(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			stripPositions(v.Index(i))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(Pos{}) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if v.Type().Field(i).Name == "Written" {
				f.SetString("")
				continue
			}
			if f.CanSet() {
				stripPositions(f)
			}
		}
	}
}

// checkRoundTrip parses Format's output again and wants the same tree.
func checkRoundTrip(t testing.TB, sql string, stmts []Statement) {
	t.Helper()
	text := formatBatch(stmts)
	// Statements are separated by ';' so that each ends where it did.
	parts := make([]string, len(stmts))
	for k, s := range stmts {
		parts[k] = Format(s)
	}
	again, err := Parse(strings.Join(parts, ";\n"))
	if err != nil {
		t.Fatalf("re-parse of %q (from %q): %v", text, sql, err)
	}
	if got := formatBatch(again); got != text {
		t.Fatalf("format not stable for %q:\nfirst:  %s\nsecond: %s", sql, text, got)
	}
	a, b := stmts, again
	stripPositions(reflect.ValueOf(a))
	stripPositions(reflect.ValueOf(b))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("re-parsed tree differs for %q: %s", sql, text)
	}
}

func TestParseGolden(t *testing.T) {
	var out strings.Builder
	for _, c := range parseCases {
		stmts, err := Parse(c.sql)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", c.name, c.sql, err)
			continue
		}
		if len(stmts) != c.count {
			t.Errorf("%s: got %d statements, want %d", c.name, len(stmts), c.count)
		}
		out.WriteString("=== " + c.name + "\n" + c.sql + "\n--- \n" + formatBatch(stmts) + "\n\n")
		checkRoundTrip(t, c.sql, stmts) // mutates stmts: last use
	}
	golden := filepath.Join("testdata", "parse.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("golden mismatch at line %d:\ngot:  %s\nwant: %s\n(run go test -update after checking)", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("golden mismatch: got %d lines, want %d", len(gl), len(wl))
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", 129)
	manyRows := "INSERT INTO t VALUES " + strings.Repeat("(1),", 1000) + "(1)"
	cases := []struct {
		name   string
		sql    string
		number int32
		line   int32
		text   string
	}{
		{"from without table", "SELECT * FROM", 156, 1, "Incorrect syntax near the keyword 'FROM'."},
		{"keyword as written", "select * from t where", 156, 1, "Incorrect syntax near the keyword 'where'."},
		{"misspelt select", "SELEC * FROM t", 102, 1, "Incorrect syntax near '*'."},
		{"trailing comma in create", "CREATE TABLE t (id int,)", 102, 1, "Incorrect syntax near ')'."},
		{"unfinished values", "INSERT INTO t VALUES (1, 2", 102, 1, "Incorrect syntax near '2'."},
		{"comparison as value", "SELECT 1 = 1", 102, 1, "Incorrect syntax near '='."},
		{"unclosed string", "SELECT 'abc", 105, 1, "Unclosed quotation mark after the character string 'abc'."},
		{"unclosed bracket", "SELECT [abc", 105, 1, "Unclosed quotation mark after the character string 'abc'."},
		{"unclosed comment", "SELECT 1 /* x /* y */", 113, 1, "Missing end comment mark '*/'."},
		{"error line", "SELECT *\nFROM t\nWHERE id =", 102, 3, "Incorrect syntax near '='."},
		{"add column", "ALTER TABLE t ADD COLUMN c int", 156, 1, "Incorrect syntax near the keyword 'COLUMN'."},
		{"update without set", "UPDATE t SET", 156, 1, "Incorrect syntax near the keyword 'SET'."},
		{"non-boolean where", "SELECT * FROM t WHERE id ORDER BY id", 4145, 1,
			"An expression of non-boolean type specified in a context where a condition is expected, near 'ORDER'."},
		{"non-boolean if", "IF 1 PRINT 'x'", 4145, 1,
			"An expression of non-boolean type specified in a context where a condition is expected, near 'PRINT'."},
		{"assign and retrieve", "SELECT @a = 1, b FROM t", 141, 1,
			"A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations."},
		{"exec alone", "EXEC", 156, 1, "Incorrect syntax near the keyword 'EXEC'."},
		{"delete top without parens", "DELETE TOP 10 FROM t", 102, 1, "Incorrect syntax near '10'."},
		{"empty block", "BEGIN END", 156, 1, "Incorrect syntax near the keyword 'END'."},
		{"empty try", "BEGIN TRY END TRY BEGIN CATCH END CATCH", 156, 1, "Incorrect syntax near the keyword 'END'."},
		{"try without catch", "BEGIN TRY PRINT 1 END TRY", 102, 1, "Incorrect syntax near 'TRY'."},
		{"end catch mismatch", "BEGIN TRY PRINT 1 END TRY BEGIN CATCH PRINT 2 END TRY", 102, 1, "Incorrect syntax near 'TRY'."},
		{"else after semicolon", "IF 1 = 1 PRINT 'a'; ELSE PRINT 'b'", 156, 1, "Incorrect syntax near the keyword 'ELSE'."},
		{"go is not T-SQL", "SELECT 1;\nGO", 102, 2, "Incorrect syntax near 'GO'."},
		{"identifier too long", "SELECT " + long, 103, 1,
			"The identifier that starts with '" + long[:128] + "' is too long. Maximum length is 128."},
		{"too many rows", manyRows, 10738, 1,
			"The number of row value expressions in the INSERT statement exceeds the maximum allowed number of 1000 row values."},
		{"order by in subquery", "SELECT * FROM (SELECT a FROM t ORDER BY a) x", 1033, 1,
			"The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is also specified."},
		{"too many name parts", "SELECT * FROM a.b.c.d.e", 117, 1,
			"The object name 'a.b.c.d.e' contains more than the maximum number of prefixes. The maximum is 3."},
		{"trailing comma before from", "SELECT\n    id,\n    name,\nFROM dbo.Customers;", 156, 4, "Incorrect syntax near the keyword 'FROM'."},
		{"limit after order by", "SELECT id FROM t ORDER BY id LIMIT 10", 102, 1, "Incorrect syntax near 'LIMIT'."},
		{"limit taken as alias", "SELECT id FROM t LIMIT 10", 102, 1, "Incorrect syntax near '10'."},
		{"reserved word as column", "CREATE TABLE dbo.Accounts (\n    id   INT,\n    User NVARCHAR(50)\n);", 156, 3, "Incorrect syntax near the keyword 'User'."},
		{"throw without semicolon", "PRINT 'x' THROW 50000, 'e', 1", 102, 1, "Incorrect syntax near 'THROW'."},
		{"more columns than values", "INSERT INTO t (a, b) VALUES (1, 2), (3)", 109, 1,
			"There are more columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement."},
		{"fewer columns than values", "INSERT INTO t (a) VALUES (1, 2)", 110, 1,
			"There are fewer columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement."},
		{"top variable without parentheses", "SELECT TOP @n a FROM t", 102, 1, "Incorrect syntax near '@n'."},
		{"stray character", "SELECT ?", 102, 1, "Incorrect syntax near '?'."},
		{"string near", "SELECT 'a' 'b' 'c'", 102, 1, "Incorrect syntax near 'c'."},
		{"unknown set option", "SET FOO ON", 102, 1, "Incorrect syntax near 'FOO'."},
		{"isolation typo", "SET TRANSACTION ISOLATION LEVEL READ SOMETHING", 102, 1, "Incorrect syntax near 'SOMETHING'."},
		{"deep nesting", "SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), 191, 1,
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."},
		{"deep NOT", "IF " + strings.Repeat("NOT ", 5000) + "1 = 1 PRINT 1", 191, 1,
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."},
		{"long chain", "SELECT 1" + strings.Repeat("+1", 1<<16+1), 191, 1,
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."},
		{"long join chain", "SELECT * FROM a" + strings.Repeat(",a", 1<<16+1), 191, 1,
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."},
		{"deep IF", strings.Repeat("IF 1 = 1 ", 5000) + "PRINT 1", 191, 1,
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stmts, err := Parse(c.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want Msg %d", c.sql, formatBatch(stmts), c.number)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if perr.Number != c.number || perr.Line != c.line || perr.Text != c.text {
				t.Fatalf("got Msg %d line %d %q\nwant Msg %d line %d %q", perr.Number, perr.Line, perr.Text, c.number, c.line, c.text)
			}
			if perr.Class != 15 || perr.State != 1 {
				t.Fatalf("got class %d state %d, want 15 and 1", perr.Class, perr.State)
			}
		})
	}
}

func TestUnclosedQuoteSendsTwoMessages(t *testing.T) {
	_, err := Parse("SELECT 1\nSELECT 'it''s")
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("got %v", err)
	}
	if perr.Number != 105 || perr.Next == nil || perr.Next.Number != 102 || perr.Next.Text != "Incorrect syntax near 'it's'." || perr.Next.Line != 2 {
		t.Fatalf("got %+v then %+v", perr, perr.Next)
	}
	if _, err := Parse("SELECT 'x' FROM t WHERE a = 'b"); !errors.As(err, &perr) || perr.Text != "Unclosed quotation mark after the character string 'b'." {
		t.Fatalf("got %v", err)
	}
}

func TestPositions(t *testing.T) {
	stmts, err := Parse("SET NOCOUNT ON;\n  SELECT a,\n\tb + 1 AS c FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if got := stmts[0].Position(); got != (Pos{Line: 1, Col: 1, Offset: 0}) {
		t.Errorf("SET at %+v", got)
	}
	sel := stmts[1].(*SelectStmt)
	if got := sel.Position(); got != (Pos{Line: 2, Col: 3, Offset: 18}) {
		t.Errorf("SELECT at %+v", got)
	}
	plus := sel.Items[1].Expr.(*BinaryExpr)
	if got := plus.R.Position(); got.Line != 3 || got.Col != 6 {
		t.Errorf("1 at %+v, want line 3 col 6", got)
	}
	if got := sel.From.Position(); got.Line != 3 || got.Col != 18 {
		t.Errorf("t at %+v, want line 3 col 18", got)
	}
}

func TestEmptyBatch(t *testing.T) {
	for _, sql := range []string{"", "  ", ";;", "-- only a comment", "/* a /* nested */ comment */ ;"} {
		stmts, err := Parse(sql)
		if err != nil || len(stmts) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want nothing", sql, stmts, err)
		}
	}
}

func reflectValue(e *Expr) reflect.Value { return reflect.ValueOf(e) }

func sameTree(a, b Expr) bool {
	stripPositions(reflect.ValueOf(&a))
	stripPositions(reflect.ValueOf(&b))
	return reflect.DeepEqual(a, b)
}

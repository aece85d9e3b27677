package tsql

import (
	"bytes"
	"testing"
)

// firstExpr parses "SELECT <expr>" and returns the expression.
func firstExpr(t *testing.T, expr string) Expr {
	t.Helper()
	stmts, err := Parse("SELECT " + expr)
	if err != nil {
		t.Fatalf("Parse(SELECT %s): %v", expr, err)
	}
	return stmts[0].(*SelectStmt).Items[0].Expr
}

func TestLiterals(t *testing.T) {
	num := func(kind NumberKind, text string) Expr { return &NumberLit{Kind: kind, Text: text} }
	cases := []struct {
		src  string
		want Expr
	}{
		{"42", num(IntNumber, "42")},
		{"007", num(IntNumber, "007")},
		{"12.50", num(DecimalNumber, "12.50")},
		{"5.", num(DecimalNumber, "5.")},
		{".5", num(DecimalNumber, ".5")},
		{"1e3", num(FloatNumber, "1e3")},
		{"1.5E-3", num(FloatNumber, "1.5E-3")},
		{"1e", num(FloatNumber, "1e0")},
		{"2E+", num(FloatNumber, "2E+0")},
		{"$12.5", num(MoneyNumber, "12.5")},
		{"$3", num(MoneyNumber, "3")},
		{"'it''s'", &StringLit{Value: "it's"}},
		{"''", &StringLit{Value: ""}},
		{"N'ünï'", &StringLit{Value: "ünï", Unicode: true}},
		{"n'x'", &StringLit{Value: "x", Unicode: true}},
		{"'multi\nline'", &StringLit{Value: "multi\nline"}},
		{"0x", &BinaryLit{Value: []byte{}}},
		{"0x0aFF", &BinaryLit{Value: []byte{0x0a, 0xff}}},
		{"0xABC", &BinaryLit{Value: []byte{0x0a, 0xbc}}},
		{"@@rowcount", &GlobalVar{Name: "@@ROWCOUNT"}},
		{"@From_LSN", &VarRef{Name: "@From_LSN"}},
		{"[a]]b]", &ColumnRef{Column: "a]b"}},
		{`"a""b"`, &ColumnRef{Column: `a"b`}},
		{"__$start_lsn", &ColumnRef{Column: "__$start_lsn"}},
		{"db..t.c", &ColumnRef{Table: ObjectName{Database: "db", Object: "t"}, Column: "c"}},
	}
	for _, c := range cases {
		got := firstExpr(t, c.src)
		stripPositions(reflectValue(&got))
		if Format(got) != Format(c.want) || !sameTree(got, c.want) {
			t.Errorf("%s: got %#v (%s), want %#v", c.src, got, Format(got), c.want)
		}
	}
}

func TestMoneyAndNumberFollowedByWord(t *testing.T) {
	// SQL Server reads "1abc" as the number 1 aliased abc.
	stmts, err := Parse("SELECT 1abc")
	if err != nil {
		t.Fatal(err)
	}
	it := stmts[0].(*SelectStmt).Items[0]
	if it.Alias != "abc" {
		t.Fatalf("alias = %q, want abc", it.Alias)
	}
}

func TestBinaryValue(t *testing.T) {
	for src, want := range map[string][]byte{
		"0x00000020000000A80001": {0, 0, 0, 0x20, 0, 0, 0, 0xa8, 0, 1},
		"0x1":                    {1},
		"0X10":                   {0x10},
	} {
		lit, ok := firstExpr(t, src).(*BinaryLit)
		if !ok || !bytes.Equal(lit.Value, want) {
			t.Errorf("%s: got %#v, want %x", src, firstExpr(t, src), want)
		}
	}
}

func TestKeywordsAndIdentifiers(t *testing.T) {
	// Unreserved words are identifiers; reserved ones need delimiters.
	if _, err := Parse("SELECT name, type, date, level, status, value FROM t"); err != nil {
		t.Errorf("unreserved words as columns: %v", err)
	}
	if _, err := Parse("SELECT [select], [from] FROM [table]"); err != nil {
		t.Errorf("delimited reserved words: %v", err)
	}
	if _, err := Parse("SELECT a FROM table"); err == nil {
		t.Error("reserved word TABLE accepted as a table name")
	}
}

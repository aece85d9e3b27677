package tsql

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// columnsSeen lists the column names Inspect reaches, sorted.
func columnsSeen(t *testing.T, sql string, skip func(Node) bool) []string {
	t.Helper()
	stmts, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, s := range stmts {
		Inspect(s, func(n Node) bool {
			if c, ok := n.(*ColumnRef); ok {
				cols = append(cols, c.Column)
			}
			return skip == nil || !skip(n)
		})
	}
	sort.Strings(cols)
	return cols
}

func TestInspectReachesEveryExpression(t *testing.T) {
	sql := `SELECT TOP (c01) c02, CASE c03 WHEN c04 THEN c05 ELSE c06 END, CAST(c07 AS int), CONVERT(int, c08, c09),
		f(c10), (SELECT c11), c12 COLLATE x FROM t CROSS JOIN dbo.tvf(c13) JOIN (SELECT c14 FROM u) d ON c15 = 1
		WHERE c16 IS NULL AND c17 IN (c18) AND c19 BETWEEN c20 AND c21 AND c22 LIKE c23 ESCAPE c24
		AND EXISTS (SELECT c25) AND -c26 = ~c27 AND c28 IN (SELECT c29)
		GROUP BY c30 HAVING c31 > 1 ORDER BY c32 OFFSET c33 ROWS FETCH NEXT c34 ROWS ONLY;
		INSERT INTO t VALUES (c35); UPDATE TOP (c36) t SET c37 = c38 FROM t WHERE c39 = 1; DELETE t WHERE c40 = 1;
		IF c41 = 1 PRINT c42 ELSE BEGIN WHILE c43 = 1 RETURN (c44) END;
		DECLARE @v int = c45; SET @v = c46; SET LANGUAGE c47x; RAISERROR(c48, c49, c50, c51); THROW (c52), c53, c54;
		WAITFOR DELAY c55; CREATE TABLE t (a int DEFAULT c56 CHECK (c57 > 0), b AS c58, CHECK (c59 = 1))`
	got := columnsSeen(t, sql, nil)
	var want []string
	for i := 1; i <= 59; i++ {
		if i != 47 { // SET LANGUAGE takes a word, not a column
			want = append(want, fmt.Sprintf("c%02d", i))
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Inspect reached\n%v\nwant\n%v", got, want)
	}
}

func TestInspectSkipsChildren(t *testing.T) {
	got := columnsSeen(t, "SELECT a, (SELECT b FROM t WHERE c = 1) FROM u WHERE d = 1", func(n Node) bool {
		_, sub := n.(*SubqueryExpr)
		return sub
	})
	if strings.Join(got, " ") != "a d" {
		t.Fatalf("got %v, want [a d]", got)
	}
}

func TestCheckVariables(t *testing.T) {
	ok := []struct {
		sql    string
		params []string
	}{
		{"DECLARE @a int; SET @a = 1; SELECT @a", nil},
		{"IF 1 = 1 BEGIN DECLARE @a int END; SET @a = 2", nil}, // batch scope, not block scope
		{"SELECT * FROM t WHERE id = @P1", []string{"@p1"}},
		{"DECLARE @rc int, @n sysname = N'x'; EXEC @rc = dbo.p @n OUTPUT", nil},
		{"DECLARE @t nvarchar(32) = N'x'; BEGIN TRAN @t; COMMIT TRAN @t", nil},
		{"SELECT @@ROWCOUNT", nil},
	}
	for _, c := range ok {
		stmts, err := Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckVariables(stmts, c.params...); err != nil {
			t.Errorf("CheckVariables(%q) = %v, want nil", c.sql, err)
		}
	}
	bad := []struct {
		sql    string
		number int32
		state  uint8
		line   int32
		text   string
	}{
		{"SELECT 1;\nSELECT @s", 137, 2, 2, `Must declare the scalar variable "@s".`},
		{"SET @x = 1", 137, 1, 1, `Must declare the scalar variable "@x".`},
		{"SELECT @x = 1", 137, 1, 1, `Must declare the scalar variable "@x".`},
		{"SELECT @a; DECLARE @a int", 137, 2, 1, `Must declare the scalar variable "@a".`},
		{"EXEC @rc = p", 137, 1, 1, `Must declare the scalar variable "@rc".`},
		{"DECLARE @a int;\nDECLARE @A bigint", 134, 1, 2,
			"The variable name '@A' has already been declared. Variable names must be unique within a query batch or stored procedure."},
	}
	for _, c := range bad {
		stmts, err := Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckVariables(stmts)
		var perr *Error
		if !errors.As(err, &perr) || perr.Number != c.number || perr.State != c.state || perr.Line != c.line || perr.Text != c.text {
			t.Errorf("CheckVariables(%q) = %+v, want Msg %d state %d line %d %q", c.sql, err, c.number, c.state, c.line, c.text)
		}
	}
}

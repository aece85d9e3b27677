package tsql

import "testing"

// TestCursorStatements parses the cursor statements of DECLARE CURSOR's and
// FETCH's documentation
// (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/declare-cursor-transact-sql,
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/fetch-transact-sql)
// and prints them back.
func TestCursorStatements(t *testing.T) {
	cases := []struct{ in, want string }{
		{"DECLARE vend_cursor CURSOR FOR SELECT * FROM Purchasing.Vendor", "DECLARE [vend_cursor] CURSOR FOR SELECT * FROM [Purchasing].[Vendor]"},
		{"DECLARE c SCROLL CURSOR FOR SELECT name FROM sys.objects FOR READ ONLY", "DECLARE [c] SCROLL CURSOR FOR SELECT [name] FROM [sys].[objects] FOR READ ONLY"},
		{"DECLARE c CURSOR LOCAL STATIC READ_ONLY FOR SELECT 1 UNION SELECT 2 FOR UPDATE OF a, b", "DECLARE [c] CURSOR LOCAL STATIC READ_ONLY FOR SELECT 1 UNION SELECT 2 FOR UPDATE OF [a], [b]"},
		{"OPEN c", "OPEN [c]"},
		{"CLOSE GLOBAL c", "CLOSE GLOBAL [c]"},
		{"DEALLOCATE c", "DEALLOCATE [c]"},
		{"FETCH c", "FETCH NEXT FROM [c]"},
		{"FETCH ABSOLUTE 2 FROM GLOBAL c", "FETCH ABSOLUTE 2 FROM GLOBAL [c]"},
		{"FETCH PRIOR FROM c INTO @a, @b", "FETCH PRIOR FROM [c] INTO @a, @b"},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := Format(st[0]); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	// FETCH ... INTO uses variables: undeclared ones are Msg 137.
	st, err := Parse("DECLARE c CURSOR FOR SELECT 1; FETCH c INTO @nope")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckVariables(st); err == nil {
		t.Error("FETCH INTO an undeclared variable: no error")
	}
}

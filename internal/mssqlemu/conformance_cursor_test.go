package mssqlemu_test

import (
	"context"
	"testing"
)

// TestConformanceCursorLoop is the loop of FETCH's documentation: FETCH
// NEXT ... INTO variables while @@FETCH_STATUS is 0, which is -1 once the
// fetch goes beyond the last row.
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/fetch-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/functions/fetch-status-transact-sql
func TestConformanceCursorLoop(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	exec(t, ctx, db, "CREATE TABLE dbo.vendor (id int NOT NULL PRIMARY KEY, name nvarchar(20) NOT NULL)")
	exec(t, ctx, db, "INSERT INTO dbo.vendor VALUES (1, N'a'), (2, N'b'), (3, N'c')")
	got := joinRows(queryStrings(t, ctx, db, `SET NOCOUNT ON
		DECLARE @name nvarchar(20), @all nvarchar(100) = N'', @fetches int = 0
		DECLARE vendor_cursor CURSOR FOR SELECT name FROM dbo.vendor ORDER BY id DESC
		OPEN vendor_cursor
		FETCH NEXT FROM vendor_cursor INTO @name
		WHILE @@FETCH_STATUS = 0
		BEGIN
			SET @all = @all + @name
			SET @fetches = @fetches + 1
			FETCH NEXT FROM vendor_cursor INTO @name
		END
		CLOSE vendor_cursor
		DEALLOCATE vendor_cursor
		SELECT @all, @fetches, @@FETCH_STATUS`))
	if got != "cba|3|-1" {
		t.Errorf("cursor loop: %q, want cba|3|-1", got)
	}
}

// TestConformanceCursorScrollAndStatic: a SCROLL cursor fetches FIRST,
// LAST, PRIOR, ABSOLUTE n and RELATIVE n; FETCH without INTO returns the
// row as a result set. A STATIC cursor works on a copy of its rows made
// at OPEN: "modifications made to base tables are not reflected".
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/fetch-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/declare-cursor-transact-sql
func TestConformanceCursorScrollAndStatic(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	c := conn(t, ctx, db)
	execOn(t, ctx, c, "CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY)")
	execOn(t, ctx, c, "INSERT INTO dbo.t VALUES (1), (2), (3), (4)")
	execOn(t, ctx, c, "DECLARE c CURSOR SCROLL STATIC FOR SELECT id FROM dbo.t ORDER BY id")
	execOn(t, ctx, c, "OPEN c")
	execOn(t, ctx, c, "INSERT INTO dbo.t VALUES (5)")
	for _, step := range []struct{ fetch, want string }{
		{"FETCH LAST FROM c", "4"},
		{"FETCH PRIOR FROM c", "3"},
		{"FETCH FIRST FROM c", "1"},
		{"FETCH ABSOLUTE 2 FROM c", "2"},
		{"FETCH ABSOLUTE -1 FROM c", "4"},
		{"FETCH RELATIVE -2 FROM c", "2"},
		{"FETCH NEXT FROM c", "3"},
		{"FETCH RELATIVE 5 FROM c", ""},
	} {
		rows, err := c.QueryContext(ctx, step.fetch)
		if err != nil {
			t.Fatalf("%s: %v", step.fetch, err)
		}
		got := ""
		for rows.Next() {
			if err := rows.Scan(&got); err != nil {
				t.Fatal(err)
			}
		}
		_ = rows.Close()
		if got != step.want {
			t.Errorf("%s: %q, want %q", step.fetch, got, step.want)
		}
	}
	var status int
	if err := c.QueryRowContext(ctx, "SELECT @@FETCH_STATUS").Scan(&status); err != nil || status != -1 {
		t.Errorf("@@FETCH_STATUS past the end: %d, %v; want -1", status, err)
	}
	execOn(t, ctx, c, "CLOSE c; DEALLOCATE c")
}

// TestConformanceCursorErrors: the errors of OPEN, FETCH, CLOSE and
// DECLARE CURSOR misuse, and CURSOR_STATUS through a cursor's life
// (-1 declared but closed, 1 open with rows, -3 no such cursor). A
// LOCAL cursor ends with its batch; a GLOBAL one (the default) with the
// connection.
// https://learn.microsoft.com/en-us/sql/t-sql/functions/cursor-status-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/declare-cursor-transact-sql
func TestConformanceCursorErrors(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	c := conn(t, ctx, db)
	status := func(want int) {
		t.Helper()
		var got int
		if err := c.QueryRowContext(ctx, "SELECT CURSOR_STATUS('global', 'g')").Scan(&got); err != nil || got != want {
			t.Errorf("CURSOR_STATUS('global', 'g') = %d, %v; want %d", got, err, want)
		}
	}
	status(-3)
	execOn(t, ctx, c, "DECLARE g CURSOR FOR SELECT 1 AS one")
	status(-1)
	for _, q := range []struct {
		sql  string
		want int32
	}{
		{"DECLARE g CURSOR FOR SELECT 2", 16915}, // already exists
		{"FETCH NEXT FROM g", 16917},             // not open
		{"CLOSE g", 16917},
		{"OPEN nosuch", 16916}, // does not exist
	} {
		if _, err := c.ExecContext(ctx, q.sql); errNumber(err) != q.want {
			t.Errorf("%s: %v, want Msg %d", q.sql, err, q.want)
		}
	}
	execOn(t, ctx, c, "OPEN g")
	status(1)
	for _, q := range []struct {
		sql  string
		want int32
	}{
		{"OPEN g", 16905},             // already open
		{"FETCH FIRST FROM g", 16911}, // a forward-only cursor fetches NEXT only
		{"DECLARE @a int, @b int; FETCH NEXT FROM g INTO @a, @b", 16924}, // INTO must match the columns
	} {
		if _, err := c.ExecContext(ctx, q.sql); errNumber(err) != q.want {
			t.Errorf("%s: %v, want Msg %d", q.sql, err, q.want)
		}
	}
	execOn(t, ctx, c, "CLOSE g")
	status(-1)
	execOn(t, ctx, c, "DEALLOCATE g")
	status(-3)

	execOn(t, ctx, c, "DECLARE l CURSOR LOCAL FOR SELECT 1; OPEN l")
	if _, err := c.ExecContext(ctx, "FETCH NEXT FROM l"); errNumber(err) != 16916 {
		t.Errorf("a LOCAL cursor after its batch: %v, want Msg 16916", err)
	}
}

package mssqlemu_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/golang-sql/sqlexp"
)

// statementEnds runs q and counts the DONE, DONEINPROC and DONEPROC
// tokens of its response (go-mssqldb's message queue turns each into a
// MsgNextResultSet) and its PRINT messages. Its result sets must have
// one row each.
func statementEnds(t *testing.T, ctx context.Context, db *sql.DB, q string) (ends, notices int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	retmsg := &sqlexp.ReturnMessage{}
	rows, err := db.QueryContext(ctx, q, retmsg)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for active := true; active; {
		switch m := retmsg.Message(ctx).(type) {
		case sqlexp.MsgNextResultSet:
			if active = rows.NextResultSet(); active {
				ends++
			}
		case sqlexp.MsgNext:
			// Every result set here has one row: reading on would
			// consume the DONE that ends it.
			if !rows.Next() {
				t.Fatalf("%s: a result set without its row", q)
			}
		case sqlexp.MsgNotice:
			notices++
		case sqlexp.MsgError:
			t.Fatalf("%s: %v", q, m.Error)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return ends, notices
}

// TestConformanceDoneTokens: "A DONE token is returned for each SQL
// statement in the SQL batch except variable declarations"; "A DONEINPROC
// token is sent for each executed SQL statement within a stored
// procedure"; a DONEPROC "is also generated for stored procedures executed
// through SQL statements" (MS-TDS 2.2.7.6 to 2.2.7.8). An IF or WHILE
// condition is a statement each time it is evaluated.
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/3c06f110-98bd-4d5b-b836-b1ba66452cb7
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/43e891c5-f7a1-432f-8f9f-233c4cd96afb
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/65e24140-edea-46e5-b710-209af2016195
func TestConformanceDoneTokens(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	// SET, SET, SELECT: three DONEs; DECLARE none.
	if ends, _ := statementEnds(t, ctx, db, "SET NOCOUNT OFF; DECLARE @x int; SET @x = 1; SELECT @x AS x"); ends != 3 {
		t.Errorf("batch: %d DONE tokens, want 3", ends)
	}
	exec(t, ctx, db, `CREATE PROCEDURE dbo.counted AS
BEGIN
	DECLARE @i int = 0
	SET @i = 1
	IF @i = 1 PRINT 'one'
	WHILE @i < 3 SET @i = @i + 1
	SELECT @i AS i
END`)
	// SET 1, IF 1, PRINT 1, WHILE's condition 3 and its SET 2, SELECT 1:
	// nine DONEINPROC, then the procedure's DONEPROC.
	ends, notices := statementEnds(t, ctx, db, "EXEC dbo.counted")
	if ends != 10 || notices != 1 {
		t.Errorf("EXEC dbo.counted: %d DONEINPROC/DONEPROC tokens and %d messages, want 10 and 1", ends, notices)
	}
	// "SET NOCOUNT ON prevents the sending of DONEINPROC messages to the
	// client for each statement in a stored procedure": only the result
	// set's and the procedure's remain.
	// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-nocount-transact-sql
	exec(t, ctx, db, `CREATE PROCEDURE dbo.quiet AS
BEGIN
	SET NOCOUNT ON
	DECLARE @i int = 0
	SET @i = 1
	WHILE @i < 3 SET @i = @i + 1
	SELECT @i AS i
END`)
	if ends, _ := statementEnds(t, ctx, db, "EXEC dbo.quiet"); ends != 2 {
		t.Errorf("EXEC dbo.quiet: %d DONEINPROC/DONEPROC tokens, want 2", ends)
	}
}

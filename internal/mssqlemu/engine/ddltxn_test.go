package engine

import "testing"

func TestDDLInUserTransactions(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE ddl; USE ddl`)
	// CREATE TABLE and CREATE SCHEMA are undone with the transaction,
	// together with rows written to the new table.
	h.ok(`BEGIN TRAN; CREATE TABLE dbo.t (id int PRIMARY KEY); INSERT INTO dbo.t VALUES (1); EXEC('CREATE SCHEMA s'); ROLLBACK`)
	if got := flat(h.rows(`SELECT OBJECT_ID('dbo.t'), SCHEMA_ID('s')`)); got != "NULL,NULL" {
		t.Fatalf("after ROLLBACK: OBJECT_ID, SCHEMA_ID = %s", got)
	}
	h.ok(`BEGIN TRAN; CREATE TABLE dbo.t (id int PRIMARY KEY); INSERT INTO dbo.t VALUES (1); COMMIT`)
	if got := flat(h.rows(`SELECT COUNT(*) FROM dbo.t`)); got != "1" {
		t.Fatalf("after COMMIT: %s rows", got)
	}
	// Database statements are refused inside a user transaction.
	for _, tc := range []struct {
		stmt string
		num  int32
		text string
	}{
		{"CREATE DATABASE other", 226, "CREATE DATABASE statement not allowed within multi-statement transaction."},
		{"ALTER DATABASE ddl SET ALLOW_SNAPSHOT_ISOLATION ON", 226, "ALTER DATABASE statement not allowed within multi-statement transaction."},
		{"DROP DATABASE ddl", 574, "DROP DATABASE statement cannot be used inside a user transaction."},
	} {
		n, text := h.errNum("BEGIN TRAN; " + tc.stmt)
		h.ok(`IF @@TRANCOUNT > 0 ROLLBACK`)
		if n != tc.num || text != tc.text {
			t.Errorf("%s in a transaction: Msg %d %q, want Msg %d %q", tc.stmt, n, text, tc.num, tc.text)
		}
	}
	if got := flat(h.rows(`SELECT COUNT(*) FROM sys.databases WHERE name IN ('other', 'ddl')`)); got != "1" {
		t.Fatalf("databases after the refused statements: %s", got)
	}
}

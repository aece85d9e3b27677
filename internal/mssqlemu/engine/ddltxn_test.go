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

func TestSQLVariantProperty(t *testing.T) {
	h := newHarness(t)
	got := flat(h.rows(`DECLARE @v sql_variant = CAST(12.50 AS decimal(5,2)), @s sql_variant = N'abc';
SELECT SQL_VARIANT_PROPERTY(@v, 'BaseType'), SQL_VARIANT_PROPERTY(@v, 'Precision'), SQL_VARIANT_PROPERTY(@v, 'Scale'),
	SQL_VARIANT_PROPERTY(@s, 'BaseType'), SQL_VARIANT_PROPERTY(@s, 'MaxLength'), SQL_VARIANT_PROPERTY(@s, 'Collation'),
	SQL_VARIANT_PROPERTY(@v, 'Collation'), SQL_VARIANT_PROPERTY(CAST(1 AS sql_variant), 'BaseType')`))
	if want := "decimal,5,2,nvarchar,6,SQL_Latin1_General_CP1_CI_AS,NULL,int"; got != want {
		t.Fatalf("SQL_VARIANT_PROPERTY: %s, want %s", got, want)
	}
}

func TestNullConstantTakesNoPartInResultType(t *testing.T) {
	h := newHarness(t)
	got := flat(h.rows(`SELECT COALESCE(NULL, N'kept'), CASE WHEN 1 = 0 THEN NULL ELSE 'x' END, ISNULL(NULL, 'y')`))
	if got != "kept,x,y" {
		t.Fatalf("NULL constants: %s", got)
	}
}

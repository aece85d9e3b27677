package mssqlemu_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

func startEmu(t *testing.T) *mssqlemu.Emulator {
	t.Helper()
	return startEmuWith(t, mssqlemu.Config{})
}

// startEmuWith starts an emulator with cfg and the test password.
func startEmuWith(t *testing.T, cfg mssqlemu.Config) *mssqlemu.Emulator {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cfg.SAPassword = "Str0ng!Pass"
	emu, err := mssqlemu.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	return emu
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestGoMSSQLDBEndToEnd(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE shop"); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("shop"))
	mustExec := func(q string, args ...any) sql.Result {
		t.Helper()
		r, err := db.ExecContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return r
	}
	mustExec(`CREATE TABLE dbo.orders (id int IDENTITY(1,1) PRIMARY KEY, customer nvarchar(40) NOT NULL, amount decimal(12,2), placed datetime2(3) DEFAULT SYSUTCDATETIME())`)
	r := mustExec(`INSERT INTO dbo.orders (customer, amount) VALUES (@p1, @p2), (@p3, @p4)`, "ann", "12.50", "bob", "7.25")
	if n, _ := r.RowsAffected(); n != 2 {
		t.Fatalf("rows affected = %d", n)
	}
	var (
		id     int64
		name   string
		amount string
	)
	if err := db.QueryRowContext(ctx, `SELECT TOP 1 id, customer, amount FROM dbo.orders WHERE customer = @name ORDER BY id`, sql.Named("name", "BOB")).Scan(&id, &name, &amount); err != nil {
		t.Fatal(err)
	}
	if id != 2 || name != "bob" || amount != "7.25" {
		t.Fatalf("got %d %q %q", id, name, amount)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO dbo.orders (customer) VALUES (NULL)`)
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 515 {
		t.Fatalf("NULL insert: %v", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE dbo.orders SET amount = amount * 2 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT amount FROM dbo.orders WHERE id = 1`).Scan(&amount); err != nil || amount != "12.50" {
		t.Fatalf("after rollback: %q %v", amount, err)
	}
}

func TestExecuteSQLParamsAndProcs(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	db := open(t, emu.DSN("master"))
	var out int64
	if _, err := db.ExecContext(ctx, `SET @out = @a * 2 + LEN(@s)`, sql.Named("a", 20), sql.Named("s", "abc"), sql.Named("out", sql.Out{Dest: &out})); err != nil {
		t.Fatal(err)
	}
	if out != 43 {
		t.Fatalf("output parameter = %d", out)
	}
	var when time.Time
	var d string
	if err := db.QueryRowContext(ctx, `SELECT @p1, CONVERT(varchar(10), @p1, 112)`, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)).Scan(&when, &d); err != nil {
		t.Fatal(err)
	}
	if d != "20240506" || when.Hour() != 7 {
		t.Fatalf("datetime param: %v %q", when, d)
	}
	if err := emu.Exec(ctx, "master", `CREATE DATABASE p; USE p; CREATE TABLE dbo.k (a int NOT NULL, b nvarchar(5) NOT NULL, PRIMARY KEY (a, b))`); err != nil {
		t.Fatal(err)
	}
	// A stored procedure called by name over RPC, with named parameters.
	pdb := open(t, emu.DSN("p"))
	rows, err := pdb.QueryContext(ctx, "sp_pkeys", sql.Named("table_name", "k"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var q, o, tn, cn, pk string
		var seq int
		if err := rows.Scan(&q, &o, &tn, &cn, &seq, &pk); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, cn)
	}
	rows.Close()
	if len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Fatalf("sp_pkeys: %v", keys)
	}
}

package pgtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestForTestGivesFreshDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := ForTest(t), ForTest(t)
	if a == b {
		t.Fatalf("ForTest returned the same DSN twice: %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("fresh database has %d tables", n)
	}
}

func TestReplaceDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:p@h:5/db?sslmode=disable", "postgres://u:p@h:5/x?sslmode=disable"},
		{"postgres://u@h:5", "postgres://u@h:5/x"},
		{"host=h user=u", "host=h user=u dbname=x"},
	}
	for _, tt := range tests {
		if got := replaceDatabase(tt.in, "x"); got != tt.want {
			t.Errorf("replaceDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestForTestUsesTargetDSN(t *testing.T) {
	ctx := context.Background()
	server := ForTest(t) // a database on the shared cluster stands for a configured server
	t.Setenv("TARGET_DSN", server)
	dsn := ForTest(t)
	if !strings.HasPrefix(dsn, server[:strings.LastIndexByte(server, '/')]) || dsn == server {
		t.Fatalf("ForTest with TARGET_DSN=%s returned %s, want another database on that server", server, dsn)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dsn, "/"+db+"?") {
		t.Errorf("connected to %s, not the database in %s", db, dsn)
	}
}

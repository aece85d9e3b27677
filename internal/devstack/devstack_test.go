package devstack

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/microsoft/go-mssqldb"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStartServesEveryServiceAndCloseStopsThem(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	ctx := context.Background()
	s, err := Start(ctx, Options{Dir: t.TempDir(), Env: func(string) string { return "" }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	v := s.Vars()
	env := s.EnvFile()
	for _, k := range []string{"MSSQL_DSN", "KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "TARGET_DSN"} {
		if v[k] == "" || !strings.Contains(env, k+"='") {
			t.Fatalf("%s missing from the stack's variables or env file:\n%s", k, env)
		}
	}
	if !strings.Contains(v["MSSQL_DSN"], "database="+SourceDatabase) {
		t.Errorf("MSSQL_DSN %q does not name %s", v["MSSQL_DSN"], SourceDatabase)
	}

	// Each service answers.
	master := strings.Replace(v["MSSQL_DSN"], "database="+SourceDatabase, "database=master", 1)
	db, err := sql.Open("sqlserver", master)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SQL Server emulator: %v", err)
	}
	db.Close()
	conn, err := pgx.Connect(ctx, v["TARGET_DSN"])
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	conn.Close(ctx)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(v["KAFKA_BROKERS"], ",")...))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("Kafka: %v", err)
	}
	cl.Close()
	reg, _ := url.Parse(v["SCHEMA_REGISTRY_URL"])

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing listens any more.
	pg, _ := url.Parse(v["TARGET_DSN"])
	for _, addr := range []string{pg.Host, reg.Host, strings.Split(v["KAFKA_BROKERS"], ",")[0]} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", addr)
		}
	}
}

func TestConfiguredServicesAreUsedInsteadOfStarted(t *testing.T) {
	set := map[string]string{
		"MSSQL_DSN": "sqlserver://u:p@sql:1433?database=x", "KAFKA_BROKERS": "k1:9092,k2:9092",
		"SCHEMA_REGISTRY_URL": "http://reg:8081", "TARGET_DSN": "postgres://u:p@pg/warehouse",
	}
	s, err := Start(context.Background(), Options{Dir: t.TempDir(), Env: func(k string) string { return set[k] }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for k, want := range set {
		if got := s.Vars()[k]; got != want {
			t.Errorf("%s = %q, want the configured %q", k, got, want)
		}
	}
	if strings.Contains(redact(set["TARGET_DSN"]), ":p@") {
		t.Errorf("redact leaves the password: %s", redact(set["TARGET_DSN"]))
	}
}

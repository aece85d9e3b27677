package tds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	mssql "github.com/microsoft/go-mssqldb"
)

const (
	testUser = "sa"
	testPass = "Secr3t!pässwörd"
)

// dsnVariants are the encryption modes go-mssqldb offers over TDS 7.4.
var dsnVariants = []struct{ name, params string }{
	{"disable", "encrypt=disable"},
	{"login-only", ""}, // encrypt=false is the default: TLS for LOGIN7 only
	{"false-trust", "encrypt=false&TrustServerCertificate=true"},
	{"true", "encrypt=true&TrustServerCertificate=true"},
}

func openDB(t *testing.T, addr, params string) *sql.DB {
	t.Helper()
	return openDBAs(t, addr, testUser, testPass, params)
}

func openDBAs(t *testing.T, addr, user, pass, params string) *sql.DB {
	t.Helper()
	dsn := fmt.Sprintf("sqlserver://%s:%s@%s?database=testdb&dial+timeout=5&%s", user, urlEscape(pass), addr, params)
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func newFake() *fakeBackend {
	b := &fakeBackend{user: testUser, password: testPass}
	b.changed = sync.NewCond(&b.mu)
	return b
}

func TestLoginVariants(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	for _, v := range dsnVariants {
		t.Run(v.name, func(t *testing.T) {
			db := openDB(t, addr, v.params)
			ctx := context.Background()
			if err := db.PingContext(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			var n int64
			if err := db.QueryRowContext(ctx, "rows 1").Scan(&n); err != nil {
				t.Fatalf("query: %v", err)
			}
			if n != 0 {
				t.Fatalf("got %d, want 0", n)
			}
		})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.logins) == 0 {
		t.Fatal("backend saw no login")
	}
	got := b.logins[0]
	if got.User != testUser || got.Password != testPass || got.Database != "testdb" {
		t.Fatalf("login request = %+v, want user %q, the password, database testdb", got, testUser)
	}
}

func TestLoginFailed(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	for _, v := range dsnVariants {
		t.Run(v.name, func(t *testing.T) {
			db := openDBAs(t, addr, testUser, "wrong", v.params)
			err := db.PingContext(context.Background())
			var me mssql.Error
			if !errors.As(err, &me) {
				t.Fatalf("ping error = %v (%T), want mssql.Error", err, err)
			}
			if me.Number != 18456 || me.Class != 14 || me.State != 1 {
				t.Fatalf("error = %d class %d state %d, want 18456 class 14 state 1", me.Number, me.Class, me.State)
			}
		})
	}
}

func TestQueryErrorKeepsConnection(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "fail") // an RPC: one word is a procedure name
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 208 || me.Class != 16 {
		t.Fatalf("exec error = %v, want Msg 208 class 16", err)
	}
	// The same connection still serves.
	var n int64
	if err := db.QueryRowContext(ctx, "rows 1").Scan(&n); err != nil {
		t.Fatalf("query after error: %v", err)
	}
	_, err = db.ExecContext(ctx, "fail in batch")
	if !errors.As(err, &me) || me.Number != 208 {
		t.Fatalf("batch error = %v, want Msg 208", err)
	}
	if err := db.QueryRowContext(ctx, "rows 1").Scan(&n); err != nil {
		t.Fatalf("query after batch error: %v", err)
	}
}

func TestMultipleResultSetsAndCounts(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "two")
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for {
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("rows = %v, want [1 2]", got)
	}
	res, err := db.ExecContext(ctx, "two")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 5 {
		t.Fatalf("RowsAffected = %d, want 5 (1+1+3)", n)
	}
}

func TestLargeResponsesSplitIntoPackets(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	for _, params := range []string{"encrypt=disable&packet+size=512", "encrypt=true&TrustServerCertificate=true&packet+size=16000"} {
		db := openDB(t, addr, params)
		var s string
		if err := db.QueryRowContext(context.Background(), "big 70000").Scan(&s); err != nil {
			t.Fatalf("%s: %v", params, err)
		}
		if s != strings.Repeat("é", 70000) {
			t.Fatalf("%s: got %d characters back", params, len([]rune(s)))
		}
		var count int
		rows, err := db.QueryContext(context.Background(), "rows 3000")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			count++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		if count != 3000 {
			t.Fatalf("%s: %d rows, want 3000", params, count)
		}
	}
}

func TestUseChangesDatabase(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "use otherdb"); err != nil {
		t.Fatalf("use: %v", err)
	}
}

func TestTransactions(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	ctx := context.Background()
	levels := []struct {
		sql  sql.IsolationLevel
		want IsolationLevel
	}{
		{sql.LevelSnapshot, IsolationSnapshot},
		{sql.LevelSerializable, IsolationSerializable},
		{sql.LevelReadCommitted, IsolationReadCommitted},
		{sql.LevelDefault, IsolationDefault},
	}
	for i, lv := range levels {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: lv.sql})
		if err != nil {
			t.Fatalf("begin %v: %v", lv.sql, err)
		}
		if _, err := tx.ExecContext(ctx, "rows 0"); err != nil {
			t.Fatalf("exec in tx: %v", err)
		}
		if i%2 == 0 {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatalf("end tx %d: %v", i, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.levels) != len(levels) {
		t.Fatalf("backend saw %d begins, want %d", len(b.levels), len(levels))
	}
	for i, lv := range levels {
		if b.levels[i] != lv.want {
			t.Errorf("begin %d: level %d, want %d", i, b.levels[i], lv.want)
		}
	}
	var ends []string
	for _, e := range b.events {
		if e == "commit" || e == "rollback" {
			ends = append(ends, e)
		}
	}
	if got := strings.Join(ends, ","); got != "commit,rollback,commit,rollback" {
		t.Errorf("events = %s", got)
	}
}

func TestAttentionCancelsAndConnectionSurvives(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	for _, v := range []struct{ name, params, query string }{
		{"rpc", "encrypt=disable", "slow"},
		{"batch", "encrypt=disable", "slow batch"},
		{"login-only", "", "slow batch"},
		{"tls", "encrypt=true&TrustServerCertificate=true", "slow"},
	} {
		t.Run(v.name, func(t *testing.T) {
			db := openDB(t, addr, v.params)
			db.SetMaxOpenConns(1)
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				// Cancel once the backend is inside the slow call.
				b.waitFor("slow started")
				cancel()
			}()
			_, err = conn.ExecContext(ctx, v.query)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("slow exec error = %v, want context.Canceled", err)
			}
			if !b.saw("slow cancelled") {
				t.Fatal("backend context was not cancelled")
			}
			var n int64
			if err := conn.QueryRowContext(context.Background(), "rows 1").Scan(&n); err != nil {
				t.Fatalf("query after attention: %v", err)
			}
			b.reset()
		})
	}
}

func (b *fakeBackend) saw(ev string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.events {
		if e == ev {
			return true
		}
	}
	return false
}

func (b *fakeBackend) reset() {
	b.mu.Lock()
	b.events = nil
	b.mu.Unlock()
}

func TestConcurrentConnections(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	db := openDB(t, addr, "encrypt=disable")
	db.SetMaxOpenConns(4)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := db.QueryContext(context.Background(), fmt.Sprintf("rows %d", 100+i))
			if err != nil {
				errs <- err
				return
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				errs <- err
			} else if n != 100+i {
				errs <- fmt.Errorf("connection %d: %d rows, want %d", i, n, 100+i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseEndsIdleConnections(t *testing.T) {
	b := newFake()
	s, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for every connection goroutine; the pooled connection is now dead.
	if _, err := db.Exec("rows 0"); err == nil {
		// database/sql may retry on a new connection, which must then fail to dial.
		t.Fatal("exec after Close succeeded")
	}
}

func TestAttentionWhileStreamingRows(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := db.QueryContext(ctx, "stream now")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000 && rows.Next(); i++ {
	}
	cancel()
	for rows.Next() {
	}
	_ = rows.Close()
	if !b.saw("stream stopped") {
		t.Fatal("backend kept streaming: attention did not cancel the request")
	}
	var n int64
	if err := db.QueryRowContext(context.Background(), "rows 1").Scan(&n); err != nil {
		t.Fatalf("query after attention: %v", err)
	}
}

func TestPooledConnectionIsReset(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	db.SetMaxOpenConns(1)
	for range 2 {
		if _, err := db.ExecContext(context.Background(), "rows 0"); err != nil {
			t.Fatal(err)
		}
	}
	if !b.saw("reset") {
		t.Fatal("reusing a pooled connection did not reach ResetSession")
	}
}

func TestNoGoroutinesLeftAfterClose(t *testing.T) {
	b := newFake()
	s, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=true&TrustServerCertificate=true")
	db.SetMaxOpenConns(3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = db.ExecContext(context.Background(), "rows 10")
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"tds.(*conn)", "tds.(*Server).Serve"} {
		if strings.Contains(stacks, fn) {
			t.Fatalf("goroutine in %s still running after Close:\n%s", fn, stacks)
		}
	}
}

func TestCloseEndsRunningRequest(t *testing.T) {
	b := newFake()
	s, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	errc := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(context.Background(), "slow batch")
		errc <- err
	}()
	b.waitFor("slow started")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("request interrupted by Close reported success")
	}
	if !b.saw("slow cancelled") {
		t.Fatal("backend request context was not cancelled by Close")
	}
}

// capturingDialer remembers the connections it opens.
type capturingDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *capturingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

func TestClientDisconnectCancelsRequest(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	connector, err := mssql.NewConnector(fmt.Sprintf("sqlserver://%s:%s@%s?encrypt=disable", testUser, urlEscape(testPass), addr))
	if err != nil {
		t.Fatal(err)
	}
	dialer := &capturingDialer{}
	connector.Dialer = dialer
	db := sql.OpenDB(connector)
	defer db.Close()
	go func() {
		b.waitFor("slow started")
		dialer.mu.Lock()
		for _, c := range dialer.conns {
			_ = c.Close()
		}
		dialer.mu.Unlock()
	}()
	if _, err := db.ExecContext(context.Background(), "slow batch"); err == nil {
		t.Fatal("exec on a dropped connection succeeded")
	}
	b.waitFor("slow cancelled")
}

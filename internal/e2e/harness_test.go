package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/demo"
	"github.com/mssql2adb/mssql2adb/internal/devstack"
	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
	"github.com/mssql2adb/mssql2adb/internal/registry"
	"github.com/mssql2adb/mssql2adb/internal/source"
	"github.com/mssql2adb/mssql2adb/internal/verify"
)

// stack is what every test shares: the services and the built programs.
type stack struct {
	mssqlDSN, brokers, registryURL string
	producerBin, consumerBin       string
	// broker is the in-process Kafka broker; nil with KAFKA_BROKERS set.
	broker *kafkatest.Broker
}

var shared stack

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		return 0
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mssql2adb-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		_ = pgtest.StopShared()
	}()
	for _, p := range []struct{ name, out *string }{{name: ptr("producer"), out: &shared.producerBin}, {name: ptr("consumer"), out: &shared.consumerBin}} {
		*p.out = filepath.Join(dir, *p.name)
		cmd := exec.Command("go", "build", "-race", "-o", *p.out, "../../"+*p.name)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: build", *p.name, err)
			return 1
		}
	}
	shared.brokers = os.Getenv("KAFKA_BROKERS")
	if shared.brokers == "" {
		b, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", 3)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		closers = append(closers, b.Close)
		shared.brokers = strings.Join(b.Addrs(), ",")
		shared.broker = b
	}
	shared.registryURL = os.Getenv("SCHEMA_REGISTRY_URL")
	if shared.registryURL == "" {
		reg, err := registry.New(ctx, registry.Config{Brokers: strings.Split(shared.brokers, ","), Topic: devstack.RegistryTopic})
		if err == nil {
			err = reg.Start(ctx, "127.0.0.1:0")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		closers = append(closers, func() { _ = reg.Close() })
		shared.registryURL = "http://" + reg.Addr()
	}
	shared.mssqlDSN = os.Getenv("MSSQL_DSN")
	if shared.mssqlDSN == "" {
		stop, dsn, err := startEmulator(dir, "E2e_Passw0rd")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		closers = append(closers, stop)
		shared.mssqlDSN = dsn
	}
	return m.Run()
}

// startEmulator builds bin/mssqlemu WITHOUT the race detector and runs it as
// a process of its own, as SQL Server would be: the emulator is the
// stand-in, not the code under test (its own package tests run with -race),
// and under the race detector its per-byte work on megabyte values made it
// the suite's bottleneck. The process is killed if the test binary dies.
func startEmulator(dir, password string) (stop func(), dsn string, err error) {
	bin := filepath.Join(dir, "mssqlemu")
	build := exec.Command("go", "build", "-o", bin, "../cmd/mssqlemu")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return nil, "", fmt.Errorf("build mssqlemu: %w", err)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-sa-password", password)
	cmd.Env = minimalEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	logf, err := os.Create(filepath.Join(dir, "mssqlemu.log"))
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start mssqlemu: %w", err)
	}
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	}
	// The first line says where it listens; the rest is drained so the
	// emulator never blocks on a full pipe.
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		stop()
		return nil, "", fmt.Errorf("mssqlemu said nothing on start (log in %s)", logf.Name())
	}
	addr, ok := strings.CutPrefix(lines.Text(), "mssqlemu listening on ")
	if !ok {
		stop()
		return nil, "", fmt.Errorf("mssqlemu: unexpected first line %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword("sa", password), Host: addr,
		RawQuery: url.Values{"database": {"master"}, "encrypt": {"disable"}}.Encode()}
	return stop, u.String(), nil
}

func ptr[T any](v T) *T { return &v }

// env is one test's own corner of the stack: a source database, a topic
// prefix, a consumer group and a target database.
type env struct {
	t         *testing.T
	name      string // source database, topic prefix and group id
	srcDSN    string
	src       *sql.DB
	targetDSN string
	target    *pgxpool.Pool
	dir       string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	// The unique part comes first: long test names are cut to fit.
	name := fmt.Sprintf("e2e_%d_%d_%s", time.Now().UnixNano()%1_000_000, envSeq.Add(1), clean)
	if len(name) > 60 {
		name = name[:60]
	}
	e := &env{t: t, name: name, dir: t.TempDir()}
	master, err := sql.Open("sqlserver", mustDSN(t, shared.mssqlDSN, "master"))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE " + name, "ALTER DATABASE " + name + " SET ALLOW_SNAPSHOT_ISOLATION ON"} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	e.srcDSN = mustDSN(t, shared.mssqlDSN, name)
	if e.src, err = sql.Open("sqlserver", e.srcDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.src.Close() })
	e.targetDSN = pgtest.ForTest(t)
	if e.target, err = pgxpool.New(ctx, e.targetDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.target.Close)
	return e
}

func mustDSN(t *testing.T, dsn, db string) string {
	t.Helper()
	s, err := demo.WithDatabase(dsn, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exec runs statements on the source database, failing the test on error.
func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, q := range stmts {
		if _, err := e.src.ExecContext(context.Background(), q); err != nil {
			e.t.Fatalf("source: %s: %v", q, err)
		}
	}
}

// common settings for both programs.
func (e *env) vars() []string {
	return []string{
		"KAFKA_BROKERS=" + shared.brokers,
		"SCHEMA_REGISTRY_URL=" + shared.registryURL,
		"TOPIC_PREFIX=" + e.name,
		"HTTP_ADDR=off",
		"LOG_LEVEL=debug",
		"RETRY_WINDOW=30s",
	}
}

func (e *env) producerVars(extra ...string) []string {
	return append(append(e.vars(), "MSSQL_DSN="+e.srcDSN, "POLL_INTERVAL=100ms", "SNAPSHOT_CHUNK_ROWS=100"), extra...)
}

func (e *env) consumerVars(extra ...string) []string {
	return append(append(e.vars(), "TARGET_DSN="+withPassword(e.targetDSN, targetPassword), "GROUP_ID="+e.name, "BATCH_MAX_WAIT=100ms"), extra...)
}

// targetPassword is put in the consumers' TARGET_DSN (the throwaway
// clusters trust local connections and ignore it) so that the password
// check of every log (start) covers the target's DSN too.
const targetPassword = "E2e_Target_Pw0rd"

// withPassword returns dsn (a URL) with password set for its user.
func withPassword(dsn, password string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// passwords returns the passwords in the URLs among vars' values.
func passwords(vars []string) []string {
	var out []string
	for _, v := range vars {
		_, val, _ := strings.Cut(v, "=")
		u, err := url.Parse(val)
		if err != nil || u.User == nil {
			continue
		}
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 {
			out = append(out, pw)
		}
	}
	return out
}

// process is a running producer or consumer.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

var procSeq sync.Mutex

var envSeq atomic.Int64

func (e *env) start(bin, name string, vars []string) *process {
	e.t.Helper()
	procSeq.Lock()
	defer procSeq.Unlock()
	logPath := filepath.Join(e.dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	f, err := os.Create(logPath)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(minimalEnv(), vars...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); f.Close(); close(p.done) }()
	// Passwords never appear in a log line: checked in every log of the
	// suite once its process ended (this cleanup runs after the kill).
	secrets := passwords(vars)
	e.t.Cleanup(func() {
		for _, line := range strings.Split(p.output(), "\n") {
			for _, pw := range secrets {
				if strings.Contains(line, pw) {
					e.t.Errorf("%s logged a password from its settings:\n%s", name, line)
				}
			}
		}
	})
	e.t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	return p
}

func minimalEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// kill sends sig and waits for the process to end.
func (p *process) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits for the process to exit by itself and returns its output.
func (p *process) wait(t *testing.T, within time.Duration) (string, error) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		p.kill(syscall.SIGKILL)
		t.Fatalf("%s did not exit within %s; log:\n%s", p.name, within, p.output())
	}
	return p.output(), p.err
}

func (p *process) output() string {
	f, err := os.Open(p.log)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// converge waits until every table captured in the source database equals
// its target copy, failing with the difference after within.
func (e *env) converge(within time.Duration, procs ...*process) {
	e.t.Helper()
	ctx := context.Background()
	all, _, err := source.Discover(ctx, e.src, source.Config{Database: e.name})
	if err != nil {
		e.t.Fatalf("discover: %v", err)
	}
	// The producer's heartbeat table is captured too, but lands in the
	// consumer's bookkeeping schema, never beside the user tables.
	var tables []*catalog.Table
	for _, tb := range all {
		if !heartbeat.Is(heartbeat.Config{}, tb.Schema, tb.Name) {
			tables = append(tables, tb)
		}
	}
	deadline := time.Now().Add(within)
	var last string
	for {
		for _, p := range procs {
			if p.exited() {
				e.t.Fatalf("%s exited early (%v); log:\n%s", p.name, p.err, p.output())
			}
		}
		ok := true
		last = ""
		for _, tb := range tables {
			d, n, err := e.compare(ctx, tb)
			if err != nil {
				e.t.Fatal(err)
			}
			if !d.Equal() {
				ok = false
				last += fmt.Sprintf("%s (%d source rows): %s\n", tb.QualifiedName(), n, d)
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range procs {
				e.t.Logf("%s log:\n%s", p.name, p.output())
			}
			e.t.Fatalf("target did not match the source within %s:\n%s", within, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *env) compare(ctx context.Context, t *catalog.Table) (verify.Diff, int, error) {
	src, err := verify.ReadSource(ctx, e.src, t, source.ConvertValue)
	if err != nil {
		return verify.Diff{}, 0, err
	}
	tgt, err := verify.ReadTarget(ctx, e.target, t)
	if err != nil {
		return verify.Diff{}, 0, err
	}
	return verify.Compare(src, tgt, 5), src.Rows, nil
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The log check of start finds the passwords the suite's programs get.
func TestLogsAreCheckedForTheSuitesPasswords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := passwords(append(e.producerVars(), e.consumerVars()...))
	if !slices.Contains(got, targetPassword) || len(got) < 2 {
		t.Errorf("passwords found in the settings: %q; want the SQL Server and the target password", got)
	}
}

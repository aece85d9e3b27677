package mssqlemu_test

import (
	"context"
	"net"
	osexec "os/exec"
	"strings"
	"testing"
	"time"
)

// pymssqlSessions drives two connections through pymssql (FreeTDS db-lib),
// a client independent of go-mssqldb: a writer does not wait for another
// connection's uncommitted row but times out on it (SET LOCK_TIMEOUT,
// Msg 1222), each connection has its own #abc, and a stored procedure
// called by RPC returns its OUTPUT parameter.
const pymssqlSessions = `
import sys, pymssql
host, port, password = sys.argv[1], sys.argv[2], sys.argv[3]
a = pymssql.connect(server=host, port=port, user="sa", password=password, autocommit=True)
b = pymssql.connect(server=host, port=port, user="sa", password=password, autocommit=True)
ca, cb = a.cursor(), b.cursor()
cb.execute("CREATE TABLE dbo.rl (id int PRIMARY KEY, v int)")
cb.execute("INSERT INTO dbo.rl VALUES (1, 0)")
ca.execute("BEGIN TRAN; INSERT INTO dbo.rl VALUES (2, 0)")
cb.execute("SET LOCK_TIMEOUT 0; INSERT INTO dbo.rl VALUES (3, 0); UPDATE dbo.rl SET v = 1 WHERE id = 1")
print("other_rows=ok")
try:
    cb.execute("UPDATE dbo.rl SET v = 1 WHERE id = 2")
    print("same_row=no error")
except pymssql.Error as e:
    print("same_row=%d" % e.args[0])
ca.execute("COMMIT")
cb.execute("SELECT COUNT(*) FROM dbo.rl")
print("rows=%d" % cb.fetchone()[0])
ca.execute("CREATE TABLE #abc (n int); INSERT INTO #abc VALUES (1)")
cb.execute("CREATE TABLE #abc (n int); INSERT INTO #abc VALUES (2)")
ca.execute("SELECT n FROM #abc")
print("a_temp=%d" % ca.fetchone()[0])
cb.execute("SELECT n FROM #abc")
print("b_temp=%d" % cb.fetchone()[0])
cb.execute("CREATE PROCEDURE dbo.twice @x int, @y int OUTPUT AS BEGIN SET @y = @x * 2; RETURN 3 END")
r = cb.callproc("dbo.twice", (21, pymssql.output(int)))
print("out=%d" % r[1])
`

func TestPymssqlSessions(t *testing.T) {
	py := pythonWithPymssql(t)
	emu := startEmu(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	host, port, _ := net.SplitHostPort(emu.Addr())
	cmd := osexec.CommandContext(ctx, py, "-c", pymssqlSessions, host, port, "Str0ng!Pass")
	cmd.Env = clientConf(t, emu.Addr(), "off")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("pymssql: %v\n%s", err, text)
	}
	for _, w := range []string{"other_rows=ok", "same_row=1222", "rows=3", "a_temp=1", "b_temp=2", "out=42"} {
		if !strings.Contains(text, w+"\n") {
			t.Errorf("pymssql output lacks %q:\n%s", w, text)
		}
	}
}

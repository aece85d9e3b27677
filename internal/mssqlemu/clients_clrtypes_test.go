package mssqlemu_test

import (
	"context"
	"net"
	osexec "os/exec"
	"strings"
	"testing"
	"time"
)

// clrQueries are read by both independent clients: hierarchyid and
// spatial methods give text and numbers every client shows alike, and the
// binary forms as hex.
var clrQueries = []struct{ query, want string }{
	{"SELECT hierarchyid::Parse('/1/1/3/').ToString() + '|' + CONVERT(varchar(10), CAST(CAST('/1/1/3/' AS hierarchyid) AS varbinary(10)), 2) + '|' + CAST(CAST('/1/2/' AS hierarchyid).GetLevel() AS varchar(5)) AS v", "/1/1/3/|5ADE|2"},
	{"SELECT geography::Point(47.651, -122.349, 4326).ToString() + '|' + CONVERT(varchar(50), CAST(geometry::STGeomFromText('POINT(3 8)', 0) AS varbinary(max)), 2) AS v", "POINT (-122.349 47.651)|00000000010C00000000000008400000000000002040"},
	{"SELECT geometry::STGeomFromText('LINESTRING (100 100, 20 180, 180 180)', 0).STAsText() AS v", "LINESTRING (100 100, 20 180, 180 180)"},
	{"CREATE LOGIN clr_login WITH PASSWORD = 'Login-pass1!', CHECK_POLICY = OFF; CREATE USER clr_login; SELECT 'created' AS v", "created"},
}

const pymssqlCLR = `
import sys, json, pymssql
host, port, password, queries = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
conn = pymssql.connect(server=host, port=port, user="sa", password=password, autocommit=True)
cur = conn.cursor()
for q in queries:
    cur.execute(q)
    print("v=%s" % cur.fetchone()[0])
cur.execute("SELECT CAST('/1/' AS hierarchyid), geometry::Point(3, 8, 0)")
h, g = cur.fetchone()
print("bytes=%s|%s" % (h.hex(), g.hex()))
other = pymssql.connect(server=host, port=port, user="clr_login", password="Login-pass1!")
c2 = other.cursor()
c2.execute("SELECT SUSER_NAME()")
print("login=%s" % c2.fetchone()[0])
other.close()
try:
    pymssql.connect(server=host, port=port, user="clr_login", password="wrong")
    print("wrong=accepted")
except pymssql.Error as e:
    print("wrong=refused")
`

// TestPymssqlCLRTypesAndLogins: hierarchyid, geometry, geography and
// CREATE LOGIN through pymssql (FreeTDS db-lib), a client independent of
// go-mssqldb.
func TestPymssqlCLRTypesAndLogins(t *testing.T) {
	py := pythonWithPymssql(t)
	emu := startEmu(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	host, port, _ := net.SplitHostPort(emu.Addr())
	var qs []string
	for _, q := range clrQueries {
		qs = append(qs, q.query)
	}
	cmd := osexec.CommandContext(ctx, py, "-c", pymssqlCLR, host, port, "Str0ng!Pass", jsonStrings(qs))
	cmd.Env = clientConf(t, emu.Addr(), "off")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("pymssql: %v\n%s", err, text)
	}
	want := []string{"bytes=58|00000000010c00000000000008400000000000002040", "login=clr_login", "wrong=refused"}
	for _, q := range clrQueries {
		want = append(want, "v="+q.want)
	}
	for _, w := range want {
		if !strings.Contains(text, w+"\n") {
			t.Errorf("pymssql output lacks %q\n%s", w, text)
		}
	}
}

// TestFreeTDSTsqlCLRTypesAndLogins: the same through FreeTDS's tsql, and a
// tsql session as the login CREATE LOGIN made.
func TestFreeTDSTsqlCLRTypesAndLogins(t *testing.T) {
	tsql, err := osexec.LookPath("tsql")
	if err != nil {
		t.Skip("FreeTDS tsql not installed (apt-get install freetds-bin)")
	}
	emu := startEmu(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(user, password, script string) string {
		cmd := osexec.CommandContext(ctx, tsql, "-S", "emu", "-U", user, "-P", password)
		cmd.Env = clientConf(t, emu.Addr(), "off")
		cmd.Stdin = strings.NewReader(script)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tsql as %s: %v\n%s", user, err, out)
		}
		return string(out)
	}
	var script strings.Builder
	for _, q := range clrQueries {
		script.WriteString(q.query + "\ngo\n")
	}
	script.WriteString("exit\n")
	text := run("sa", "Str0ng!Pass", script.String())
	for _, q := range clrQueries {
		if !strings.Contains(text, "v\n"+q.want+"\n") {
			t.Errorf("tsql output lacks %q", q.want)
		}
	}
	if strings.Contains(text, "Msg ") {
		t.Errorf("tsql reported errors:\n%s", text)
	}
	if t.Failed() {
		t.Logf("tsql output:\n%s", text)
	}
	as := run("clr_login", "Login-pass1!", "SELECT SUSER_NAME() AS who\ngo\nexit\n")
	if !strings.Contains(as, "who\nclr_login\n") {
		t.Errorf("tsql as clr_login:\n%s", as)
	}
}

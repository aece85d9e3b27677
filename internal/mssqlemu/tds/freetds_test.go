package tds

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FreeTDS is an independent TDS implementation: its tsql tool and pymssql
// (built on FreeTDS's db-lib) must read what the server sends. Install with
// `apt-get install freetds-bin python3-pymssql`.

// freeTDSConf writes a freetds.conf with one server entry and returns the
// environment that selects it.
func freeTDSConf(t *testing.T, addr, encryption string) []string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := fmt.Sprintf("[global]\n\ttds version = 7.4\n\tclient charset = UTF-8\n\tencryption = %s\n[emu]\n\thost = %s\n\tport = %s\n", encryption, host, port)
	path := filepath.Join(dir, "freetds.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "FREETDSCONF="+path, "TDSVER=7.4", "HOME="+dir)
}

func TestFreeTDSTsql(t *testing.T) {
	tsql, err := exec.LookPath("tsql")
	if err != nil {
		t.Skip("FreeTDS tsql not installed (apt-get install freetds-bin); skipping the independent-client test")
	}
	_, addr := startServer(t, Config{}, newFake())
	for _, enc := range []string{"off", "request", "require"} {
		t.Run(enc, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, tsql, "-S", "emu", "-U", testUser, "-P", testPass, "-D", "testdb")
			cmd.Env = freeTDSConf(t, addr, enc)
			cmd.Stdin = strings.NewReader("types now\ngo\ntwo now\ngo\nfail now\ngo\nexit\n")
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err != nil {
				t.Fatalf("tsql: %v\n%s", err, squeeze(text))
			}
			for _, want := range []string{
				"café €",                                 // varchar in code page 1252
				"naïve 😀",                                // nvarchar with a surrogate pair
				"-12345678901234567890123456789012.3456", // decimal(38,4)
				"12345.67",                               // numeric(9,2)
				"<a>😀</a>",                               // xml
				"Invalid object name 'nope'",             // Msg 208
				"00112233-4455-6677-8899-AABBCCDDEEFF",   // uniqueidentifier
				"Feb 29 2024 11:59PM",                    // datetime2
				"00000000000007d1",                       // rowversion
			} {
				if !strings.Contains(text, want) {
					t.Errorf("tsql output lacks %q:\n%s", want, squeeze(text))
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, tsql, "-S", "emu", "-U", testUser, "-P", "wrong")
		cmd.Env = freeTDSConf(t, addr, "off")
		cmd.Stdin = strings.NewReader("exit\n")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "18456") {
			t.Fatalf("tsql output lacks Msg 18456:\n%s", out)
		}
	})
}

const pymssqlScript = `
import sys, pymssql
host, port, user, password = sys.argv[1:5]
conn = pymssql.connect(server=host, port=port, user=user, password=password, database="testdb")
cur = conn.cursor()
cur.execute("types now")
row = cur.fetchone()
names = [d[0] for d in cur.description]
vals = dict(zip(names, row))
for k in ["bit", "int", "bigint", "decimal", "numeric", "money", "float", "char", "varchar", "nvarchar", "nchar",
          "text", "ntext", "binary", "guid", "date", "datetime", "datetime2", "xml", "sysname", "varcharmax",
          "hierarchyid", "geometry", "geography", "variant", "rowversion", "time", "datetimeoffset", "smalldatetime", "image", "real", "smallmoney"]:
    v = vals[k]
    if k == "varcharmax":
        v = len(v)
    print("%s=%r" % (k, v))
cur.execute("nulls now")
print("nulls=%r" % (all(v is None for v in cur.fetchone()),))
try:
    cur.execute("fail now")
except pymssql.Error as e:
    print("error=%d" % e.args[0])
cur.execute("rows 5")
print("rows=%d" % len(cur.fetchall()))
conn.close()
try:
    pymssql.connect(server=host, port=port, user=user, password="wrong")
except pymssql.Error as e:
    print("login=%s" % ("18456" in str(e),))
`

func TestPymssql(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 not installed; skipping the pymssql test")
	}
	if err := exec.Command(py, "-c", "import pymssql").Run(); err != nil {
		t.Skip("pymssql not installed (apt-get install python3-pymssql); skipping the independent-client test")
	}
	_, addr := startServer(t, Config{}, newFake())
	for _, enc := range []string{"off", "require"} {
		t.Run(enc, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			host, port, _ := net.SplitHostPort(addr)
			cmd := exec.CommandContext(ctx, py, "-c", pymssqlScript, host, port, testUser, testPass)
			cmd.Env = freeTDSConf(t, addr, enc)
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err != nil {
				t.Fatalf("pymssql: %v\n%s", err, text)
			}
			for _, want := range []string{
				"bit=True", "int=-2147483648", "bigint=9223372036854775807",
				"decimal=Decimal('-12345678901234567890123456789012.3456')", "numeric=Decimal('12345.67')",
				"money=Decimal('-922337203685477.5808')", "float=3.5", "char='ab   '", "varchar='café €'",
				"nvarchar='naïve 😀'", "nchar='é😀'", "text='text ©'", "ntext='ntext 😀'",
				"binary=b'\\x01\\x02\\x00\\x00'", "guid=UUID('00112233-4455-6677-8899-aabbccddeeff')",
				"date=datetime.date(2024, 2, 29)", "datetime=datetime.datetime(2024, 2, 29, 1, 0, 0, 500000)",
				"datetime2=datetime.datetime(2024, 2, 29, 23, 59, 59, 123000)", "xml='<a>😀</a>'",
				"sysname='sys_name'", "varcharmax=9000", "nulls=True",
				"hierarchyid=b'X'", "geometry=b'\\x00\\x00\\x00\\x00\\x01\\x04'", "variant=b'*\\x00\\x00\\x00'",
				"rowversion=b'\\x00\\x00\\x00\\x00\\x00\\x00\\x07\\xd1'", "time=datetime.time(13, 14, 15, 123000)",
				"smalldatetime=datetime.datetime(2024, 2, 29, 1, 1)", "image=b'\\t\\x08\\x07'", "real=-1.25",
				"smallmoney=Decimal('-214748.3648')", "error=208", "rows=5", "login=True",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("pymssql output lacks %q:\n%s", want, squeeze(text))
				}
			}
		})
	}
}

// squeeze shortens runs of one repeated character so failure output stays readable.
func squeeze(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		if j-i > 20 {
			fmt.Fprintf(&b, "%c…(%d×)", rs[i], j-i)
		} else {
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	return b.String()
}

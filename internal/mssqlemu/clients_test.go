package mssqlemu_test

// Independent clients against the real engine: pymssql (Python over
// FreeTDS's db-lib) and FreeTDS's tsql run a whole source-database workflow
// and must read every type back as written. Install them with
// `apt-get install freetds-bin python3-pymssql`; the tests skip without.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientConf writes a freetds.conf whose [emu] entry points at addr and
// returns the environment that selects it.
func clientConf(t *testing.T, addr, encryption string) []string {
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

// workflowSetup is the source-database workflow both clients run, one
// statement batch per element.
var workflowSetup = []string{
	"CREATE DATABASE wf",
	"USE wf",
	"ALTER DATABASE wf SET ALLOW_SNAPSHOT_ISOLATION ON",
	`CREATE TABLE dbo.t (id int NOT NULL PRIMARY KEY, c_bit bit, c_tiny tinyint, c_small smallint, c_int int, c_big bigint,
	c_dec decimal(38,10), c_num numeric(5,2), c_money money, c_smallmoney smallmoney, c_float float, c_real real,
	c_char char(4), c_varchar varchar(20), c_nchar nchar(3), c_nvarchar nvarchar(20), c_vmax varchar(max), c_nmax nvarchar(max),
	c_text text, c_ntext ntext, c_binary binary(3), c_varbinary varbinary(10), c_vbmax varbinary(max), c_image image,
	c_guid uniqueidentifier, c_date date, c_time time(3), c_datetime datetime, c_dt2 datetime2(7), c_sdt smalldatetime,
	c_dto datetimeoffset(7), c_xml xml, c_rv rowversion, c_hier hierarchyid, c_geo geography, c_geom geometry, c_var sql_variant)`,
	"EXEC sys.sp_cdc_enable_db",
	"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N't', @role_name = NULL, @capture_instance = N'dbo_t', @supports_net_changes = 1",
	`INSERT INTO dbo.t (id, c_bit, c_tiny, c_small, c_int, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char, c_varchar,
	c_nchar, c_nvarchar, c_vmax, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time, c_datetime,
	c_dt2, c_sdt, c_dto, c_xml, c_hier, c_geo, c_geom, c_var)
VALUES (1, 1, 255, -32768, -2147483648, 9223372036854775807, 1234567890123456789012345678.0123456789, -123.45, 922337203685477.5807, -214748.3648,
	1.5e300, 3.25, 'ab', 'café', N'né', N'日本語😀', REPLICATE('x', 9000), N'long', 'text', N'ntext', 0x0102, 0xCAFE, 0x00FF, 0x01,
	'6F9619FF-8B86-D011-B42D-00C04FC964FF', '2024-02-29', '13:14:15.678', '2024-01-02 03:04:05.997', '2024-01-02T03:04:05.1234567',
	'2024-01-02 03:04', '2024-01-02T03:04:05.1234567+05:30', '<r a="1"/>', 0x58, 0xE6100000010C00000000000000000000000000000000, 0x00000000010C00000000000000000000000000000000, 42),
	(2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 'b', 'b', N'b', N'two', 'v', N'n', 't', N'n', 0x00, 0x00, 0x00, 0x00,
	'00000000-0000-0000-0000-000000000002', '2000-01-01', '00:00:00', '2000-01-01', '2000-01-01', '2000-01-01', '2000-01-01T00:00:00+00:00', '<x/>', 0x58, NULL, NULL, N'v'),
	(3, NULL, NULL, NULL, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, N'three', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	"UPDATE dbo.t SET id = 30 WHERE id = 3",
	"UPDATE dbo.t SET c_nvarchar = N'deux', c_int = 22 WHERE id = 2",
	"DELETE FROM dbo.t WHERE id = 30",
	"BEGIN TRAN; INSERT INTO dbo.t (id, c_nvarchar) VALUES (40, N'rolled back'); ROLLBACK",
	"BEGIN TRANSACTION; INSERT INTO dbo.t (id, c_nvarchar) VALUES (50, N'kept'); COMMIT TRANSACTION",
	"SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; UPDATE dbo.t SET c_int = 55 WHERE id = 50; COMMIT; SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
}

// workflowTypes reads every column of row 1, each as text the same way
// for every client (CONVERT with explicit styles) and natively.
const workflowTypes = `SELECT c_bit, c_tiny, c_small, c_int, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char, c_varchar, c_nchar,
	c_nvarchar, LEN(c_vmax) AS vmax_len, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time, c_datetime,
	c_dt2, c_sdt, c_dto, c_xml, DATALENGTH(c_rv) AS rv_len, c_hier, c_geo, c_geom, c_var,
	CONVERT(varchar(12), c_time, 114) AS time_text, CONVERT(varchar(27), c_dt2, 121) AS dt2_text, CONVERT(varchar(34), c_dto, 127) AS dto_text
	FROM dbo.t WHERE id = 1`

// workflowChanges reads the change data the workflow produced.
const workflowChanges = `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('dbo_t');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT __$operation AS op, id, c_int, c_nvarchar FROM cdc.fn_cdc_get_all_changes_dbo_t(@from_lsn, @to_lsn, N'all update old')
ORDER BY __$start_lsn, __$seqval, __$operation`

// wantChanges is workflowChanges' result: three inserts; the key change of
// row 3 (an update of a clustered key column, which SQL Server logs and
// captures as a delete and an insert);
// the update of row 2; the delete of row 30; the committed insert of row
// 50 and its snapshot update. The rolled back insert is absent.
var wantChanges = []string{
	"2|1|-2147483648|日本語😀", "2|2|2|two", "2|3|3|three",
	"1|3|3|three", "2|30|3|three",
	"3|2|2|two", "4|2|22|deux",
	"1|30|3|three",
	"2|50|NULL|kept",
	"3|50|NULL|kept", "4|50|55|kept",
}

const pymssqlWorkflow = `
import sys, json, pymssql
host, port, password, setup, types_q, changes_q, queries = sys.argv[1:8]
conn = pymssql.connect(server=host, port=port, user="sa", password=password, autocommit=True)
cur = conn.cursor()
for q in json.loads(setup):
    cur.execute(q)
cur.execute("SELECT COUNT(*) FROM dbo.t")
print("count=%d" % cur.fetchone()[0])
cur.execute("SELECT c_nvarchar FROM dbo.t WHERE id = %s", (2,))
print("param=%s" % cur.fetchone()[0])
cur.execute(types_q)
row = cur.fetchone()
for d, v in zip(cur.description, row):
    print("%s=%r" % (d[0], v))
cur.execute(changes_q)
for r in cur.fetchall():
    print("change=" + "|".join("NULL" if v is None else str(v) for v in r))
run_queries(cur, json.loads(queries))
try:
    cur.execute("SELECT FROM dbo.t")
except pymssql.Error as e:
    print("syntax=%d" % e.args[0])
conn.close()
`

// pythonWithPymssql returns the Python that has pymssql, or skips the test.
func pythonWithPymssql(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 not installed")
	}
	if err := osexec.Command(py, "-c", "import pymssql").Run(); err != nil {
		t.Skip("pymssql not importable (apt-get install python3-pymssql)")
	}
	return py
}

func TestPymssqlWorkflow(t *testing.T) {
	py := pythonWithPymssql(t)
	for _, enc := range []string{"off", "require"} {
		t.Run("encryption "+enc, func(t *testing.T) {
			emu := startEmu(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			host, port, _ := net.SplitHostPort(emu.Addr())
			setup := jsonStrings(workflowSetup)
			var queries []string
			for _, q := range workflowQueries {
				queries = append(queries, q.query)
			}
			cmd := osexec.CommandContext(ctx, py, "-c", pymssqlQueries+pymssqlWorkflow, host, port, "Str0ng!Pass", setup, workflowTypes, workflowChanges, jsonStrings(queries))
			cmd.Env = clientConf(t, emu.Addr(), enc)
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err != nil {
				t.Fatalf("pymssql: %v\n%s", err, text)
			}
			want := []string{
				"count=3", "param=deux",
				"c_bit=True", "c_tiny=255", "c_small=-32768", "c_int=-2147483648", "c_big=9223372036854775807",
				"c_dec=Decimal('1234567890123456789012345678.0123456789')", "c_num=Decimal('-123.45')",
				"c_money=Decimal('922337203685477.5807')", "c_smallmoney=Decimal('-214748.3648')",
				"c_float=1.5e+300", "c_real=3.25", "c_char='ab  '", "c_varchar='café'", "c_nchar='né '",
				"c_nvarchar='日本語😀'", "vmax_len=9000", "c_nmax='long'", "c_text='text'", "c_ntext='ntext'",
				`c_binary=b'\x01\x02\x00'`, `c_varbinary=b'\xca\xfe'`, `c_vbmax=b'\x00\xff'`, `c_image=b'\x01'`,
				"c_guid=UUID('6f9619ff-8b86-d011-b42d-00c04fc964ff')", "c_date=datetime.date(2024, 2, 29)",
				// pymssql turns time and datetime2 into Python values through
				// db-lib's 1/300 s datetime (a client limit: SQL Server sends the
				// same bytes), and datetimeoffset into FreeTDS's raw struct;
				// the exact values are checked as text below.
				"c_time=datetime.time(13, 14, 15, 677000)", "c_datetime=datetime.datetime(2024, 1, 2, 3, 4, 5, 997000)",
				"c_dt2=datetime.datetime(2024, 1, 2, 3, 4, 5, 123000)", "c_sdt=datetime.datetime(2024, 1, 2, 3, 4)",
				`c_dto=b'\x07\x9b\x19\xc8\xb4\x00\x00\x00\xea\xb0\x00\x00J\x01\x07\xe0'`,
				"time_text='13:14:15:678'", "dt2_text='2024-01-02 03:04:05.1234567'", "dto_text='2024-01-01T21:34:05.1234567Z'",
				`c_var=b'*\x00\x00\x00'`, // sql_variant int 42: db-lib hands over the base value's bytes
				"c_xml='<r a=\"1\"/>'", "rv_len=8", "c_hier=b'X'",
				`c_geo=b'\xe6\x10\x00\x00\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'`, `c_geom=b'\x00\x00\x00\x00\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'`,
				"syntax=156",
			}
			for _, c := range wantChanges {
				want = append(want, "change="+c)
			}
			for i, q := range workflowQueries {
				for _, r := range q.want {
					want = append(want, fmt.Sprintf("q%d=%s", i, r))
				}
			}
			if !strings.Contains(text, "q3=dbo|t|dbo_t|") {
				t.Errorf("pymssql: sp_cdc_help_change_data_capture with positional parameters returned no dbo_t row")
			}
			for _, w := range want {
				if !strings.Contains(text, w+"\n") {
					t.Errorf("pymssql output lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("pymssql output:\n%s", text)
			}
		})
	}
}

func jsonStrings(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

func TestFreeTDSTsqlWorkflow(t *testing.T) {
	tsql, err := osexec.LookPath("tsql")
	if err != nil {
		t.Skip("FreeTDS tsql not installed (apt-get install freetds-bin); skipping the tsql workflow")
	}
	for _, enc := range []string{"off", "require"} {
		t.Run("encryption "+enc, func(t *testing.T) {
			emu := startEmu(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var script strings.Builder
			for _, q := range workflowSetup {
				script.WriteString(q + "\ngo\n")
			}
			script.WriteString("SELECT COUNT(*) AS n FROM dbo.t\ngo\n")
			script.WriteString(workflowTypes + "\ngo\n")
			// tsql prints nothing for CLR types: read their bytes.
			script.WriteString("SELECT CAST(c_hier AS varbinary(10)) AS h, CAST(c_geo AS varbinary(max)) AS geo, CAST(c_geom AS varbinary(max)) AS geom FROM dbo.t WHERE id = 1\ngo\n")
			script.WriteString(workflowChanges + "\ngo\n")
			for _, q := range workflowQueries {
				script.WriteString(q.query + "\ngo\n")
			}
			script.WriteString("SELECT FROM dbo.t\ngo\nexit\n")
			cmd := osexec.CommandContext(ctx, tsql, "-S", "emu", "-U", "sa", "-P", "Str0ng!Pass")
			cmd.Env = clientConf(t, emu.Addr(), enc)
			cmd.Stdin = strings.NewReader(script.String())
			out, err := cmd.CombinedOutput()
			text := string(out)
			if err != nil {
				t.Fatalf("tsql: %v\n%s", err, text)
			}
			// Values as tsql formats them: FreeTDS's default date format
			// (no seconds), %.17g floats, hex binaries; the exact
			// date/time values are in the CONVERT columns at the end.
			typesRow := strings.Join([]string{"1", "255", "-32768", "-2147483648", "9223372036854775807",
				"1234567890123456789012345678.0123456789", "-123.45", "922337203685477.5807", "-214748.3648",
				"1.5000000000000001e+300", "3.25", "ab  ", "café", "né ", "日本語😀", "9000", "long", "text", "ntext",
				"010200", "cafe", "00ff", "01", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "Feb 29 2024 12:00AM",
				"Jan  1 1900 01:14PM", "Jan  2 2024 03:04AM", "Jan  2 2024 03:04AM", "Jan  2 2024 03:04AM", "Jan  2 2024 03:04AM",
				`<r a="1"/>`, "8", "42", "13:14:15:678", "2024-01-02 03:04:05.1234567", "2024-01-01T21:34:05.1234567Z"}, "\t")
			want := []string{
				"n\n3\n(1 row affected)",
				typesRow + "\n(1 row affected)",
				"h\tgeo\tgeom\n58\te6100000010c00000000000000000000000000000000\t00000000010c00000000000000000000000000000000\n",
				"Msg 156 (severity 15, state 1)", "Incorrect syntax near the keyword 'FROM'.",
			}
			changes := "op\tid\tc_int\tc_nvarchar\n" + strings.ReplaceAll(strings.Join(wantChanges, "\n"), "|", "\t") + "\n(11 rows affected)"
			want = append(want, changes)
			for _, q := range workflowQueries {
				if len(q.want) > 0 {
					rows := make([]string, len(q.want))
					for i, r := range q.want {
						rows[i] = tsqlRow(r)
					}
					want = append(want, strings.Join(rows, "\n")+"\n")
				}
			}
			want = append(want, "dbo\tt\tdbo_t\t")
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("tsql output lacks %q", w)
				}
			}
			if strings.Count(text, "Msg ") != 1 {
				t.Errorf("tsql reported %d errors, want 1 (the syntax error)", strings.Count(text, "Msg "))
			}
			if t.Failed() {
				t.Logf("tsql output:\n%s", text)
			}
		})
	}
}

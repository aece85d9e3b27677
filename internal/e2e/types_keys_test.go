package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
)

// keyCase is one table whose primary key is of a given type (or several):
// rows written before the producer starts, changes made while it streams
// (a value update, a primary-key update, a delete, an insert), and the
// target rows expected after each, keyed by the key columns' PostgreSQL
// texts joined by '|'.
type keyCase struct {
	table, ddl   string
	key          []string
	seed, change []string
	snap, final  map[string]string // key text → v
}

var keyCases = []keyCase{
	{
		table: "k_guid", ddl: "id uniqueidentifier NOT NULL PRIMARY KEY, v int NULL", key: []string{"id"},
		seed: []string{`INSERT INTO dbo.k_guid VALUES ('6F9619FF-8B86-D011-B42D-00C04FC964FF', 1),
			('00000000-0000-0000-0000-000000000001', 2), ('FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE', 3)`},
		snap: map[string]string{"6F9619FF-8B86-D011-B42D-00C04FC964FF": "1", "00000000-0000-0000-0000-000000000001": "2",
			"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE": "3"},
		change: []string{`UPDATE dbo.k_guid SET v = 10 WHERE id = '6F9619FF-8B86-D011-B42D-00C04FC964FF'`,
			`UPDATE dbo.k_guid SET id = '01020304-0506-0708-090a-0b0c0d0e0f10' WHERE id = '00000000-0000-0000-0000-000000000001'`,
			`DELETE FROM dbo.k_guid WHERE id = 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFE'`,
			`INSERT INTO dbo.k_guid VALUES ('aabbccdd-eeff-0011-2233-445566778899', 4)`},
		final: map[string]string{"6F9619FF-8B86-D011-B42D-00C04FC964FF": "10", "01020304-0506-0708-090A-0B0C0D0E0F10": "2",
			"AABBCCDD-EEFF-0011-2233-445566778899": "4"},
	},
	{
		// datetime2(7) keys arrive rounded to the microsecond; the before
		// image of an update or delete rounds the same way, so it finds them.
		table: "k_dt2", ddl: "id datetime2(7) NOT NULL PRIMARY KEY, v int NULL", key: []string{"id"},
		seed: []string{`INSERT INTO dbo.k_dt2 VALUES ('2024-01-02T03:04:05.1234567', 1), ('0001-01-01T00:00:00', 2),
			('9999-12-31T23:59:59.9999999', 3)`},
		snap: map[string]string{"2024-01-02 03:04:05.123457": "1", "0001-01-01 00:00:00": "2", "9999-12-31 23:59:59.999999": "3"},
		change: []string{`UPDATE dbo.k_dt2 SET v = 10 WHERE id = '2024-01-02T03:04:05.1234567'`,
			`UPDATE dbo.k_dt2 SET id = '2024-06-01T00:00:00.0000001' WHERE id = '0001-01-01T00:00:00'`,
			`DELETE FROM dbo.k_dt2 WHERE id = '9999-12-31T23:59:59.9999999'`,
			`INSERT INTO dbo.k_dt2 VALUES ('2000-02-29T12:00:00.5', 4)`},
		final: map[string]string{"2024-01-02 03:04:05.123457": "10", "2024-06-01 00:00:00": "2", "2000-02-29 12:00:00.5": "4"},
	},
	{
		// Case-sensitive collation: abc and ABC are two keys. Trailing
		// blanks are kept (SQL Server ignores them when comparing, so
		// 'Abc  ' is the only value of its kind).
		table: "k_str", ddl: "id nvarchar(20) COLLATE Latin1_General_CS_AS NOT NULL PRIMARY KEY, v int NULL", key: []string{"id"},
		seed: []string{`INSERT INTO dbo.k_str VALUES (N'abc', 1), (N'ABC', 2), (N'Abc  ', 3), (N'😀x', 4)`},
		snap: map[string]string{"abc": "1", "ABC": "2", "Abc  ": "3", "😀x": "4"},
		change: []string{`UPDATE dbo.k_str SET v = 10 WHERE id = N'abc'`,
			`UPDATE dbo.k_str SET id = N'abd ' WHERE id = N'ABC'`,
			`DELETE FROM dbo.k_str WHERE id = N'Abc  '`,
			`INSERT INTO dbo.k_str VALUES (N'ÄBC', 5)`},
		final: map[string]string{"abc": "10", "abd ": "2", "😀x": "4", "ÄBC": "5"},
	},
	{
		table: "k_dec", ddl: "id decimal(38,10) NOT NULL PRIMARY KEY, v int NULL", key: []string{"id"},
		seed: []string{`INSERT INTO dbo.k_dec VALUES (9999999999999999999999999999.9999999999, 1), (-0.0000000001, 2), (0, 3)`},
		snap: map[string]string{"9999999999999999999999999999.9999999999": "1", "-0.0000000001": "2", "0.0000000000": "3"},
		change: []string{`UPDATE dbo.k_dec SET v = 10 WHERE id = 0`,
			`UPDATE dbo.k_dec SET id = 12.5 WHERE id = -0.0000000001`,
			`DELETE FROM dbo.k_dec WHERE id = 9999999999999999999999999999.9999999999`,
			`INSERT INTO dbo.k_dec VALUES (1, 4)`},
		final: map[string]string{"0.0000000000": "10", "12.5000000000": "2", "1.0000000000": "4"},
	},
	{
		// Composite key: one key column changes, then two; a key is deleted
		// and inserted again in the same stream.
		table: "k_comp", ddl: "region nvarchar(10) NOT NULL, id int NOT NULL, day date NOT NULL, v int NULL, PRIMARY KEY (region, id, day)",
		key: []string{"region", "id", "day"},
		seed: []string{`INSERT INTO dbo.k_comp VALUES (N'eu', 1, '2024-01-01', 1), (N'eu', 1, '2024-01-02', 2), (N'us', 1, '2024-01-01', 3),
			(N'eu', 2, '2024-01-01', 4)`},
		snap: map[string]string{"eu|1|2024-01-01": "1", "eu|1|2024-01-02": "2", "us|1|2024-01-01": "3", "eu|2|2024-01-01": "4"},
		change: []string{`UPDATE dbo.k_comp SET v = 10 WHERE region = N'us'`,
			`UPDATE dbo.k_comp SET day = '2025-01-01' WHERE region = N'eu' AND id = 1 AND day = '2024-01-02'`,
			`UPDATE dbo.k_comp SET region = N'asia', id = 9 WHERE region = N'eu' AND id = 2`,
			`DELETE FROM dbo.k_comp WHERE region = N'eu' AND id = 1 AND day = '2024-01-01'`,
			`INSERT INTO dbo.k_comp VALUES (N'eu', 1, '2024-01-01', 5)`},
		final: map[string]string{"eu|1|2024-01-01": "5", "eu|1|2025-01-01": "2", "us|1|2024-01-01": "10", "asia|9|2024-01-01": "4"},
	},
	{
		// Fourteen key columns of the other key-able types.
		table: "k_many", ddl: `k_bit bit NOT NULL, k_tiny tinyint NOT NULL, k_small smallint NOT NULL, k_big bigint NOT NULL,
			k_money money NOT NULL, k_float float NOT NULL, k_real real NOT NULL, k_char char(3) NOT NULL, k_nchar nchar(3) NOT NULL,
			k_vbin varbinary(4) NOT NULL, k_time time(7) NOT NULL, k_dt datetime NOT NULL, k_sdt smalldatetime NOT NULL,
			k_dto datetimeoffset(7) NOT NULL, v int NULL, PRIMARY KEY (k_bit, k_tiny, k_small, k_big, k_money, k_float, k_real,
			k_char, k_nchar, k_vbin, k_time, k_dt, k_sdt, k_dto)`,
		key: []string{"k_bit", "k_tiny", "k_small", "k_big", "k_money", "k_float", "k_real", "k_char", "k_nchar", "k_vbin",
			"k_time", "k_dt", "k_sdt", "k_dto"},
		seed: []string{`INSERT INTO dbo.k_many VALUES (1, 255, -32768, -9223372036854775808, -922337203685477.5808, 1.5E0, CAST(0.25 AS real),
			'ab', N'😀', 0x00, '23:59:59.9999999', '2024-01-02T03:04:05.003', '2024-01-02T03:04:00', '2024-05-01T10:20:30.1234567+05:30', 1),
			(0, 0, 0, 0, 0, -0.5E0, CAST(-1 AS real), '', N'', 0x, '00:00:00', '1753-01-01', '1900-01-01', '0001-01-01T00:00:00+00:00', 2)`},
		snap: map[string]string{
			`t|255|-32768|-9223372036854775808|-922337203685477.5808|1.5|0.25|ab |😀  |\x00|23:59:59.999999|2024-01-02 03:04:05.003|2024-01-02 03:04:00|2024-05-01 04:50:30.123457+00`: "1",
			`f|0|0|0|0.0000|-0.5|-1|   |   |\x|00:00:00|1753-01-01 00:00:00|1900-01-01 00:00:00|0001-01-01 00:00:00+00`:                                                               "2",
		},
		change: []string{`UPDATE dbo.k_many SET v = 10 WHERE k_bit = 1`,
			`UPDATE dbo.k_many SET k_dto = '2030-01-01T00:00:00-07:00', k_vbin = 0x0000 WHERE k_bit = 0`},
		final: map[string]string{
			`t|255|-32768|-9223372036854775808|-922337203685477.5808|1.5|0.25|ab |😀  |\x00|23:59:59.999999|2024-01-02 03:04:05.003|2024-01-02 03:04:00|2024-05-01 04:50:30.123457+00`: "10",
			`f|0|0|0|0.0000|-0.5|-1|   |   |\x0000|00:00:00|1753-01-01 00:00:00|1900-01-01 00:00:00|2030-01-01 07:00:00+00`:                                                           "2",
		},
	},
}

// TestKeysOfEveryType synchronizes tables keyed by every key-able type,
// through a snapshot read one row per chunk (so every key type drives the
// snapshot's paging) and streamed value updates, key updates, deletes and
// inserts. Between the two the producer restarts: its Avro schemas must
// come back byte-identical, so the registry holds no new version or id.
func TestKeysOfEveryType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(`EXEC sys.sp_cdc_enable_db`)
	for _, kc := range keyCases {
		e.exec(fmt.Sprintf("CREATE TABLE dbo.%s (%s)", kc.table, kc.ddl),
			fmt.Sprintf("EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'%s', @role_name = NULL", kc.table))
		e.exec(kc.seed...)
	}
	vars := e.producerVars("SNAPSHOT_CHUNK_ROWS=1")
	prod := e.start(shared.producerBin, "producer", vars)
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	check := func(stage string, pick func(keyCase) map[string]string) {
		t.Helper()
		for _, kc := range keyCases {
			want := map[string]map[string]string{}
			for k, v := range pick(kc) {
				want[k] = map[string]string{"v": v}
			}
			e.eventually(convergeWithin, stage+" of dbo."+kc.table, func() []string {
				return e.diffTarget("dbo."+kc.table, kc.key, want)
			}, prod, cons)
		}
	}
	check("snapshot", func(kc keyCase) map[string]string { return kc.snap })
	before := e.schemaVersions()
	if len(before) != 2*len(keyCases) {
		t.Fatalf("registry subjects after the snapshot: %v, want a key and a value subject per table (%d)", before, 2*len(keyCases))
	}

	prod.kill(syscall.SIGTERM)
	prod = e.start(shared.producerBin, "producer", vars)
	for _, kc := range keyCases {
		e.exec(kc.change...)
	}
	check("streaming", func(kc keyCase) map[string]string { return kc.final })
	e.converge(convergeWithin, prod, cons)
	if after := e.schemaVersions(); !equalMaps(before, after) {
		t.Errorf("registry changed across a producer restart:\nbefore %v\nafter  %v", before, after)
	}
}

// schemaVersions returns, for every registry subject of this test's
// topics, its versions and the id of its latest schema; the producer's
// heartbeat table's subjects are left out.
func (e *env) schemaVersions() map[string]string {
	e.t.Helper()
	get := func(path string, out any) {
		e.t.Helper()
		resp, err := http.Get(shared.registryURL + path)
		if err != nil {
			e.t.Fatalf("registry %s: %v", path, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			e.t.Fatalf("registry %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("registry %s: %v", path, err)
		}
	}
	var subjects []string
	get("/subjects", &subjects)
	out := map[string]string{}
	for _, s := range subjects {
		if !strings.HasPrefix(s, e.name+".") || strings.Contains(s, "."+heartbeat.DefaultTable+"-") {
			continue
		}
		var versions []int
		get("/subjects/"+url.PathEscape(s)+"/versions", &versions)
		sort.Ints(versions)
		var latest struct {
			ID int `json:"id"`
		}
		get("/subjects/"+url.PathEscape(s)+"/versions/latest", &latest)
		out[s] = fmt.Sprintf("versions %v, id %d", versions, latest.ID)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

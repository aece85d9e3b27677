package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/sr"
)

// Identifiers as users name them: spaces, dots, dashes, brackets, quotes,
// reserved words, non-ASCII letters, 128 characters.
var (
	longTable  = strings.Repeat("Long table name ", 8)[:127] + "X"  // 128 characters
	longColumn = strings.Repeat("long column name ", 8)[:127] + "X" // 128 characters
	// With it, the long table's topic name passes Kafka's 249 characters.
	longSchema = "Schema, with a name long enough for the topic to pass 249 characters"
)

// kafkaTopicRule is Kafka's own rule for topic names (Topic.validate),
// written here again so that the test does not trust the code it checks.
var kafkaTopicRule = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// TestRealWorldNames moves tables whose names real Kafka and Avro refuse as
// they are from SQL Server to the target, snapshot and stream, and reads a
// topic back with independent clients: every topic is legal on real Kafka
// (the embedded broker refuses illegal ones as Kafka does), every target
// table and column has exactly its source name, and two columns whose Avro
// names would collide keep their own values.
func TestRealWorldNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(
		`CREATE SCHEMA [sales.eu]`,
		`CREATE SCHEMA [`+longSchema+`]`,
		`CREATE TABLE dbo.[Order Details] ([Order ID] int NOT NULL, [Product-ID] int NOT NULL, [Unit Price] money NOT NULL,
			[select] nvarchar(20) NULL, [a b] int NULL, [a_u0020b] int NULL, CONSTRAINT [PK Order Details] PRIMARY KEY ([Order ID], [Product-ID]))`,
		`CREATE TABLE [sales.eu].[a.b-c] ([x]]y] int NOT NULL PRIMARY KEY, [it's] nvarchar(10) NULL, ["q"] int NULL)`,
		`CREATE TABLE dbo.[Ünïcode Täble's "q"] ([Ключ] int NOT NULL PRIMARY KEY, [名字] nvarchar(20) NULL, [Größe] decimal(5,1) NULL)`,
		`CREATE TABLE dbo.[select] ([from] int NOT NULL PRIMARY KEY, [where] nvarchar(10) NULL, [order] int NULL)`,
		`CREATE TABLE [`+longSchema+`].[`+longTable+`] ([`+longColumn+`] int NOT NULL PRIMARY KEY, v nvarchar(10) NULL)`,
		`EXEC sys.sp_cdc_enable_db`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Order Details', @role_name = NULL`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'sales.eu', @source_name = N'a.b-c', @role_name = NULL`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Ünïcode Täble''s "q"', @role_name = NULL`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'select', @role_name = NULL`,
		// A capture instance has at most 100 characters: name it.
		`EXEC sys.sp_cdc_enable_table @source_schema = N'`+longSchema+`', @source_name = N'`+longTable+`', @role_name = NULL, @capture_instance = N'long'`,
	)
	seed := func(from, to int) {
		for i := from; i <= to; i++ {
			e.exec(
				fmt.Sprintf(`INSERT INTO dbo.[Order Details] VALUES (%d, %d, %d.25, N'sel %d', %d, %d)`, i, i%3, i, i, 1000+i, 2000+i),
				fmt.Sprintf(`INSERT INTO [sales.eu].[a.b-c] ([x]]y], [it's], ["q"]) VALUES (%d, N'it''s %d', %d)`, i, i, -i),
				fmt.Sprintf(`INSERT INTO dbo.[Ünïcode Täble's "q"] VALUES (%d, N'名字 %d', %d.5)`, i, i, i),
				fmt.Sprintf(`INSERT INTO dbo.[select] ([from], [where], [order]) VALUES (%d, N'w%d', %d)`, i, i, i*2),
				fmt.Sprintf(`INSERT INTO [`+longSchema+`].[`+longTable+`] VALUES (%d, N'v%d')`, i, i),
			)
		}
	}
	seed(1, 20)

	prod := e.start(shared.producerBin, "producer", e.namesProducerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	e.converge(convergeWithin, prod, cons)

	// Streaming: inserts, updates, deletes and a primary-key change.
	seed(21, 25)
	e.exec(
		`UPDATE dbo.[Order Details] SET [Unit Price] = [Unit Price] + 1, [a b] = -1, [a_u0020b] = -2 WHERE [Order ID] <= 5`,
		`DELETE FROM dbo.[Order Details] WHERE [Order ID] = 6`,
		`UPDATE [sales.eu].[a.b-c] SET [it's] = N'changed', [x]]y] = 100 WHERE [x]]y] = 7`,
		`DELETE FROM dbo.[Ünïcode Täble's "q"] WHERE [Ключ] = 8`,
		`UPDATE dbo.[Ünïcode Täble's "q"] SET [名字] = N'ünï 😀' WHERE [Ключ] = 9`,
		`UPDATE dbo.[select] SET [where] = NULL WHERE [from] > 15`,
		`UPDATE [`+longSchema+`].[`+longTable+`] SET v = N'changed' WHERE [`+longColumn+`] < 4`,
	)
	e.converge(convergeWithin, prod, cons)

	ctx := context.Background()
	t.Run("target names are the source names", func(t *testing.T) {
		rows, err := e.target.Query(ctx, `SELECT table_schema, table_name, column_name FROM information_schema.columns
			WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'mssql2adb') ORDER BY table_schema, table_name, ordinal_position`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for rows.Next() {
			var s, tb, c string
			if err := rows.Scan(&s, &tb, &c); err != nil {
				t.Fatal(err)
			}
			got[s+"|"+tb] = append(got[s+"|"+tb], c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// PostgreSQL keeps 63 bytes of an identifier (NAMEDATALEN).
		want := map[string][]string{
			"dbo|Order Details":                    {"Order ID", "Product-ID", "Unit Price", "select", "a b", "a_u0020b", "__source_lsn"},
			"sales.eu|a.b-c":                       {"x]y", "it's", `"q"`, "__source_lsn"},
			`dbo|Ünïcode Täble's "q"`:              {"Ключ", "名字", "Größe", "__source_lsn"},
			"dbo|select":                           {"from", "where", "order", "__source_lsn"},
			longSchema[:63] + "|" + longTable[:63]: {longColumn[:63], "v", "__source_lsn"},
		}
		for k, cols := range want {
			if strings.Join(got[k], "|") != strings.Join(cols, "|") {
				t.Errorf("target table %q has columns %q, want %q", k, got[k], cols)
			}
		}
		if len(got) != len(want) {
			t.Errorf("target tables %v, want exactly %d", slices.Sorted(maps.Keys(got)), len(want))
		}
	})

	wantTopic := map[string]string{ // by Kafka's rule: other characters become '_'
		"Order Details": e.name + "." + e.name + ".dbo.Order_Details",
		"a.b-c":         e.name + "." + e.name + ".sales.eu.a.b-c",
		"Ünïcode":       e.name + "." + e.name + ".dbo._n_code_T_ble_s__q_",
		"select":        e.name + "." + e.name + ".dbo.select",
		"long":          longTopic(e.name, e.name, longSchema, longTable),
	}
	t.Run("topics and subjects are legal on real Kafka and a real registry", func(t *testing.T) {
		topics, err := kadm.NewClient(kafkaClient(t)).ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range topics.Names() {
			if !kafkaTopicRule.MatchString(name) || name == "." || name == ".." {
				t.Errorf("the broker holds topic %q, which real Kafka refuses", name)
			}
		}
		srcl, err := sr.NewClient(sr.URLs(shared.registryURL))
		if err != nil {
			t.Fatal(err)
		}
		subjects, err := srcl.Subjects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, topic := range wantTopic {
			if !topics.Has(topic) {
				t.Errorf("no topic %q; the broker holds %v", topic, topics.Names())
			}
			for _, s := range []string{topic + "-key", topic + "-value"} {
				if !slices.Contains(subjects, s) {
					t.Errorf("no registry subject %q", s)
				}
			}
		}
	})

	t.Run("independent clients read a topic", func(t *testing.T) {
		if err := exec.Command("/usr/bin/python3", "-c", "import confluent_kafka, avro, requests").Run(); err != nil {
			t.Skip("python3-confluent-kafka, python3-avro or python3-requests is not installed (make deps installs them)")
		}
		// 25 inserts, 5 updates, 1 delete and its tombstone.
		out, err := exec.Command("/usr/bin/python3", "testdata/read_topic.py", shared.brokers, shared.registryURL, wantTopic["Order Details"], "32", "60").Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("python reader: %v\n%s\n%s", err, out, stderr)
		}
		type record struct {
			Offset int64
			Key    map[string]any
			Value  map[string]any
		}
		byKey := map[string][]record{}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var r record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%v: %s", err, sc.Text())
			}
			// Avro field names are the escaped column names; the schema
			// carries the source names in mssql.name.
			k := fmt.Sprint(r.Key["Order_u0020ID"], "/", r.Key["Product_u002dID"])
			byKey[k] = append(byKey[k], r)
		}
		rs := byKey["3/0"]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Offset < rs[j].Offset })
		if len(rs) != 2 || rs[0].Value["op"] != "r" || rs[1].Value["op"] != "u" {
			t.Fatalf("key 3/0: %+v, want a snapshot read and an update", rs)
		}
		after := rs[1].Value["after"].(map[string]any)
		// "a b" and "a_u0020b" would both be Avro field a_u0020b: the later
		// column gets a hash suffix and keeps its own value.
		var suffixed any
		for f, v := range after {
			if strings.HasPrefix(f, "a_u0020b_") {
				suffixed = v
			}
		}
		if after["a_u0020b"] != float64(-1) || suffixed != float64(-2) || after["select"] != "sel 3" || after["Unit_u0020Price"] != "4.2500" {
			t.Errorf("update of key 3/0 decoded as %v", after)
		}
		src := rs[1].Value["source"].(map[string]any)
		if src["schema"] != "dbo" || src["table"] != "Order Details" || src["db"] != e.name {
			t.Errorf("source block names %v, want the source names", src)
		}
		if d := byKey["6/0"]; len(d) != 3 || d[2].Value != nil {
			t.Errorf("key 6/0: %+v, want read, delete, tombstone", d)
		}
	})
}

// TestTablesSharingATopicAreRefused: two tables whose topic names Kafka
// cannot tell apart stop the producer at start, with an error naming both;
// with one of them left out the other is captured.
func TestTablesSharingATopicAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b string }{
		{"Order Details", "Order_Details"}, // one topic name
		{"a.b", "a_b"},                     // '.' and '_' collide in Kafka
	} {
		t.Run(tc.b, func(t *testing.T) {
			e := newEnv(t)
			e.exec(
				`CREATE TABLE dbo.[`+tc.a+`] (id int NOT NULL PRIMARY KEY)`,
				`CREATE TABLE dbo.[`+tc.b+`] (id int NOT NULL PRIMARY KEY)`,
				`EXEC sys.sp_cdc_enable_db`,
				`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'`+tc.a+`', @role_name = NULL`,
				`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'`+tc.b+`', @role_name = NULL`,
			)
			out, err := e.start(shared.producerBin, "producer", e.namesProducerVars()).wait(t, time.Minute)
			if err == nil || !strings.Contains(out, "[dbo].["+tc.a+"]") || !strings.Contains(out, "[dbo].["+tc.b+"]") {
				t.Fatalf("want a failure naming [dbo].[%s] and [dbo].[%s]; err=%v, output:\n%s", tc.a, tc.b, err, out)
			}
			// Leaving one out with TABLES, bracketed as QUOTENAME writes it, lets
			// the other flow.
			prod := e.start(shared.producerBin, "producer", e.namesProducerVars("TABLES=dbo.["+tc.a+"]"))
			prod.waitLog(t, "snapshot done", time.Minute)
		})
	}
}

// namesProducerVars gives the producer a state topic of its own: these
// tests end with the producer killed, and a transaction it leaves open on
// the shared state topic would hold that topic's last stable offset back,
// hiding other tests' positions for up to the transaction timeout.
func (e *env) namesProducerVars(extra ...string) []string {
	return e.producerVars(append([]string{"STATE_TOPIC=_state_" + e.name}, extra...)...)
}

// longTopic is the topic of a table whose name with the prefix passes
// Kafka's 249 characters: the first 240 characters of the name (characters
// Kafka refuses replaced by '_'), '_' and 8 hex digits of the SHA-256 of the
// original names, each after a NUL.
func longTopic(prefix, db, schema, table string) string {
	r := strings.NewReplacer(" ", "_", ",", "_")
	full := prefix + "." + db + "." + r.Replace(schema) + "." + r.Replace(table)
	if len(full) <= 249 {
		panic("not a long topic: " + full)
	}
	sum := sha256.Sum256([]byte(prefix + "\x00" + db + "\x00" + schema + "\x00" + table))
	return full[:240] + "_" + hex.EncodeToString(sum[:])[:8]
}

package avro

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestSchemasGolden(t *testing.T) {
	tests := []struct {
		name  string
		table *catalog.Table
	}{
		{"alltypes", allTypesTable()},
		{"composite", compositeKeyTable()},
		{"oddnames", oddNamesTable()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range []string{"key", "value"} {
				gen := ValueSchema
				if kind == "key" {
					gen = KeySchema
				}
				got, err := gen(testPrefix, tc.table)
				if err != nil {
					t.Fatal(err)
				}
				again, err := gen(testPrefix, tc.table)
				if err != nil || again != got {
					t.Fatalf("%s schema is not stable between calls", kind)
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, []byte(got)); err != nil || compact.String() != got {
					t.Fatalf("%s schema is not compact JSON: %v", kind, err)
				}
				if _, err := parseSchema(got); err != nil {
					t.Fatalf("%s schema does not parse: %v\n%s", kind, err, got)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, []byte(got), "", "  "); err != nil {
					t.Fatal(err)
				}
				pretty.WriteByte('\n')
				golden(t, "testdata/"+tc.name+"."+kind+".avsc", pretty.Bytes())
			}
		})
	}
}

func TestSchemaNames(t *testing.T) {
	tbl := allTypesTable()
	vs, err := ValueSchema("my.prefix-1", tbl)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSchema(vs)
	if err != nil {
		t.Fatal(err)
	}
	env := s.(*havro.RecordSchema)
	if got, want := env.FullName(), "my.prefix_u002d1.Sales_u002dDB.dbo.AllTypes.Envelope"; got != want {
		t.Errorf("envelope name %q, want %q", got, want)
	}
	row, err := envelopeRow(env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := row.FullName(), "my.prefix_u002d1.Sales_u002dDB.dbo.AllTypes.Value"; got != want {
		t.Errorf("value name %q, want %q", got, want)
	}
	fields := row.Fields()
	if got := fields[len(fields)-2].Name(); got != "Order_u0020Date" {
		t.Errorf("field for \"Order Date\" is %q", got)
	}
	if got := fields[len(fields)-1].Name(); got != "_u540d_u5b57" {
		t.Errorf("field for 名字 is %q", got)
	}
	ks, err := KeySchema("my.prefix-1", tbl)
	if err != nil {
		t.Fatal(err)
	}
	k, err := parseSchema(ks)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.(*havro.RecordSchema).FullName(), "my.prefix_u002d1.Sales_u002dDB.dbo.AllTypes.Key"; got != want {
		t.Errorf("key name %q, want %q", got, want)
	}
}

func TestAvroName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain_Name1", "plain_Name1"},
		{"", "_"},
		{"2fa", "_2fa"},
		{"a b", "a_u0020b"},
		{"a-b.c", "a_u002db_u002ec"},
		{"名", "_u540d"},
		{"𝄞", "_ud834_udd1e"},
	}
	for _, tc := range tests {
		if got := avroName(tc.in); got != tc.want {
			t.Errorf("avroName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTableFromSchemasRoundTrip(t *testing.T) {
	for _, tbl := range []*catalog.Table{allTypesTable(), compositeKeyTable()} {
		ks, err := KeySchema(testPrefix, tbl)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := ValueSchema(testPrefix, tbl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := TableFromSchemas(ks, vs)
		if err != nil {
			t.Fatalf("%s: %v", tbl.QualifiedName(), err)
		}
		if !reflect.DeepEqual(got, tbl) {
			t.Errorf("%s: rebuilt table differs:\ngot  %+v\nwant %+v", tbl.QualifiedName(), got, tbl)
		}
	}
}

func TestTableFromSchemasRefuses(t *testing.T) {
	tbl := compositeKeyTable()
	ks, _ := KeySchema(testPrefix, tbl)
	vs, _ := ValueSchema(testPrefix, tbl)
	other := compositeKeyTable()
	other.PrimaryKey = []string{"line"}
	otherKey, _ := KeySchema(testPrefix, other)
	tests := []struct {
		name, key, value, want string
	}{
		{"not avro", "", "{", "not valid Avro"},
		{"not ours", "", `{"type":"record","name":"X","fields":[{"name":"after","type":["null",{"type":"record","name":"V","fields":[{"name":"a","type":"int"}]}]}]}`, "mssql.database"},
		{"not an envelope", "", `{"type":"record","name":"X","fields":[{"name":"a","type":"int"}]}`, "not a change-event envelope"},
		{"key disagrees", otherKey, vs, "primary key"},
		{"type tampered", ks, strings.Replace(vs, `"name":"line","type":"int"`, `"name":"line","type":"long"`, 1), "want int"},
		{"decimal tampered", ks, strings.Replace(vs, `"precision":9,"scale":3`, `"precision":9,"scale":2`, 1), "decimal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TableFromSchemas(tc.key, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	mk := func(f func(*catalog.Table)) *catalog.Table { tbl := compositeKeyTable(); f(tbl); return tbl }
	tests := []struct {
		name   string
		prefix string
		table  *catalog.Table
		want   string
	}{
		{"empty prefix", "", compositeKeyTable(), "prefix is empty"},
		{"unsupported type", testPrefix, mk(func(t *catalog.Table) { t.Columns[3].Type = "sql_variant" }), `"sql_variant" has no Avro mapping`},
		{"no key", testPrefix, mk(func(t *catalog.Table) { t.PrimaryKey = nil }), "no primary key"},
		{"bad decimal", testPrefix, mk(func(t *catalog.Table) { t.Columns[2].Precision = 0 }), "impossible precision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, gen := range []func(string, *catalog.Table) (string, error){KeySchema, ValueSchema} {
				_, err := gen(tc.prefix, tc.table)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got error %v, want one containing %q", err, tc.want)
				}
			}
		})
	}
}

func TestTypesMarkdown(t *testing.T) {
	md := TypesMarkdown()
	for _, m := range typeMappings() {
		for _, s := range m.SQLTypes {
			if !strings.Contains(md, s) {
				t.Errorf("TYPES.md lacks %s", s)
			}
		}
	}
	golden(t, "TYPES.md", []byte("# SQL Server → Avro types\n\nGenerated by `go test ./internal/avro -update` from mapping.go.\n\n"+md))
}

// TestREADMEEmbedsTypes keeps the README's copy of the mapping table true.
func TestREADMEEmbedsTypes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(TypesMarkdown(), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.Contains(string(readme), line+"\n") {
			t.Errorf("README.md lacks this row of internal/avro/TYPES.md (copy the table):\n%s", line)
		}
	}
}

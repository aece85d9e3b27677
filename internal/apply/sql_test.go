package apply

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite golden files and TYPES.md")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the generated text (run with -update if the change is intended):\n%s", path, got)
	}
}

// studentTable has a composite key, a large value and mixed-case names.
func studentTable() *catalog.Table {
	return &catalog.Table{Database: "School", Schema: "dbo", Name: "Student", PrimaryKey: []string{"SchoolId", "Id"},
		Columns: []catalog.Column{
			{Name: "SchoolId", Ordinal: 1, Type: "int"},
			{Name: "Id", Ordinal: 2, Type: "uniqueidentifier"},
			{Name: "Name", Ordinal: 3, Type: "nvarchar", Length: 100, Nullable: true},
			{Name: "Notes", Ordinal: 4, Type: "nvarchar", Length: catalog.MaxLength, Nullable: true},
			{Name: "Fee", Ordinal: 5, Type: "money", Nullable: true},
			{Name: "Born", Ordinal: 6, Type: "datetime2", Scale: 7, Nullable: true},
		}}
}

func TestGeneratedSQL(t *testing.T) {
	for _, d := range []Dialect{Postgres{}, ADBPG{}} {
		t.Run(d.Name(), func(t *testing.T) {
			tt, err := TargetTableFor(studentTable())
			if err != nil {
				t.Fatal(err)
			}
			p := newPlan(d, DefaultBookkeepingSchema, "__stage_0", tt, []int{3})
			stmts := []string{CreateSchema(tt.Schema), d.CreateTable(tt),
				d.AddColumn(tt, TargetColumn{Name: "Grade", Type: "smallint"})}
			stmts = append(stmts, d.Bookkeeping(DefaultBookkeepingSchema)...)
			stmts = append(stmts, p.createStage, p.deleteRows, p.tombstone, p.upsert, p.untombstone,
				lockOffsets(DefaultBookkeepingSchema, d.LockOffsets()), upsertOffsets(DefaultBookkeepingSchema))
			golden(t, filepath.Join("testdata", d.Name()+".sql"), strings.Join(stmts, ";\n\n")+";\n")
		})
	}
}

func TestTypesMarkdown(t *testing.T) {
	golden(t, "TYPES.md", TypesMarkdown())
}

func TestTargetType(t *testing.T) {
	tests := []struct {
		col  catalog.Column
		want string
	}{
		{catalog.Column{Type: "bit"}, "boolean"},
		{catalog.Column{Type: "tinyint"}, "smallint"},
		{catalog.Column{Type: "decimal", Precision: 38, Scale: 10}, "numeric(38,10)"},
		{catalog.Column{Type: "money"}, "numeric(19,4)"},
		{catalog.Column{Type: "char", Length: 10}, "char(10)"},
		{catalog.Column{Type: "nchar", Length: 4}, "char(4)"},
		{catalog.Column{Type: "varchar", Length: 8000}, "varchar(8000)"},
		{catalog.Column{Type: "nvarchar", Length: catalog.MaxLength}, "text"},
		{catalog.Column{Type: "varbinary", Length: catalog.MaxLength}, "bytea"},
		{catalog.Column{Type: "uniqueidentifier"}, "char(36)"},
		{catalog.Column{Type: "time", Scale: 7}, "time(6)"},
		{catalog.Column{Type: "time", Scale: 3}, "time(3)"},
		{catalog.Column{Type: "datetime"}, "timestamp(3)"},
		{catalog.Column{Type: "datetime2", Scale: 0}, "timestamp(0)"},
		{catalog.Column{Type: "smalldatetime"}, "timestamp(0)"},
		{catalog.Column{Type: "datetimeoffset", Scale: 7}, "timestamptz(6)"},
		{catalog.Column{Type: "xml"}, "xml"},
	}
	for _, tt := range tests {
		got, err := TargetType(tt.col)
		if err != nil || got != tt.want {
			t.Errorf("TargetType(%s) = %q, %v; want %q", tt.col.TypeString(), got, err, tt.want)
		}
	}
	if _, err := TargetType(catalog.Column{Name: "v", Type: "sql_variant"}); err == nil || !strings.Contains(err.Error(), `"v"`) {
		t.Errorf("sql_variant: want an error naming the column, got %v", err)
	}
}

func TestDialectFromVersion(t *testing.T) {
	tests := []struct{ version, want string }{
		{"PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu", "postgres"},
		{"PostgreSQL 9.4.26 (Greenplum Database 6.20.0 build dev) on x86_64", "adbpg"},
		{"PostgreSQL 9.4.24 (AnalyticDB for PostgreSQL 6.3.10.1 build) on x86_64", "adbpg"},
	}
	for _, tt := range tests {
		if got := dialectFromVersion(tt.version).Name(); got != tt.want {
			t.Errorf("dialectFromVersion(%q) = %s, want %s", tt.version, got, tt.want)
		}
	}
	if _, err := DialectByName("oracle"); err == nil {
		t.Error("DialectByName(oracle): want an error")
	}
}

// allTypesTable has one column of every synchronized SQL Server type, with
// the lengths, precisions and scales whose target type differs.
func allTypesTable() *catalog.Table {
	cols := []catalog.Column{{Name: "id", Type: "int"}}
	add := func(name, typ string, length, prec, scale int) {
		cols = append(cols, catalog.Column{Name: name, Type: typ, Length: length, Precision: prec, Scale: scale, Nullable: true})
	}
	for _, r := range typeRules {
		add("c_"+r.source, r.source, 0, 0, 0)
	}
	for i := range cols[1:] {
		c := &cols[i+1]
		switch c.Type {
		case "decimal", "numeric":
			c.Precision, c.Scale = 38, 38
		case "char", "nchar", "binary":
			c.Length = 10
		case "varchar", "nvarchar", "varbinary":
			c.Length = catalog.MaxLength
		case "time", "datetime2", "datetimeoffset":
			c.Scale = 7
		}
	}
	add("c_varchar_10", "varchar", 10, 0, 0)
	add("c_nvarchar_10", "nvarchar", 10, 0, 0)
	add("c_varbinary_10", "varbinary", 10, 0, 0)
	add("c_decimal_38_0", "decimal", 0, 38, 0)
	add("c_time_0", "time", 0, 0, 0)
	add("c_datetime2_3", "datetime2", 0, 0, 3)
	add("c_datetimeoffset_0", "datetimeoffset", 0, 0, 0)
	for i := range cols {
		cols[i].Ordinal = i + 1
	}
	return &catalog.Table{Database: "db", Schema: "dbo", Name: "all_types", PrimaryKey: []string{"id"}, Columns: cols}
}

// TestGeneratedDDLEveryType pins the target DDL of every type, in both
// dialects, so the mapping in TYPES.md is what the tables get.
func TestGeneratedDDLEveryType(t *testing.T) {
	for _, d := range []Dialect{Postgres{}, ADBPG{}} {
		t.Run(d.Name(), func(t *testing.T) {
			tt, err := TargetTableFor(allTypesTable())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", d.Name()+"_all_types.sql"), d.CreateTable(tt)+";\n")
			if got, want := len(tt.Columns), len(allTypesTable().Columns); got != want {
				t.Errorf("target has %d columns, want %d (every source column)", got, want)
			}
		})
	}
}

// TestREADMEEmbedsTypes keeps the README's copy of the mapping table true.
func TestREADMEEmbedsTypes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(TypesMarkdown(), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.Contains(string(readme), line+"\n") {
			t.Errorf("README.md lacks this row of internal/apply/TYPES.md (copy the table):\n%s", line)
		}
	}
}

// TestADBPGTableSettings pins the DDL of every AnalyticDB table setting:
// the target table and its staging table, per option.
func TestADBPGTableSettings(t *testing.T) {
	cases := []struct {
		name string
		s    TableSettings
	}{
		{"default", TableSettings{}},
		{"distribution key", TableSettings{DistributionKey: []string{"SchoolId"}}},
		{"replicated", TableSettings{Type: Replicated}},
		{"append-optimized row", TableSettings{Storage: AORow}},
		{"append-optimized column, zstd", TableSettings{Storage: AOColumn, CompressType: "zstd", CompressLevel: 5, DistributionKey: []string{"Id"}}},
		{"append-optimized column, rle", TableSettings{Storage: AOColumn, CompressType: "rle_type"}},
	}
	var out []string
	for _, c := range cases {
		tt, err := TargetTableFor(studentTable())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.s.Check(tt.Key); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		tt.Settings = c.s
		p := newPlan(ADBPG{}, DefaultBookkeepingSchema, "__stage_0", tt, nil)
		out = append(out, "-- "+c.name+"\n"+(ADBPG{}).CreateTable(tt)+";\n\n"+p.createStage+";\n")
		if got, want := (Postgres{}).CreateTable(tt), createTable(tt, ""); got != want {
			t.Errorf("%s: the postgres dialect does not ignore the settings:\n%s", c.name, got)
		}
	}
	golden(t, filepath.Join("testdata", "adbpg_settings.sql"), strings.Join(out, "\n"))
}

func TestTableSettingsRefused(t *testing.T) {
	key := []string{"SchoolId", "Id"}
	for _, c := range []struct {
		s    TableSettings
		want string
	}{
		{TableSettings{DistributionKey: []string{"Name"}}, `distribution_key column "Name" is not in the primary key (SchoolId, Id)`},
		{TableSettings{Type: Replicated, DistributionKey: []string{"Id"}}, "replicated takes no distribution_key"},
		{TableSettings{Type: "random"}, `table_type "random"`},
		{TableSettings{Storage: "columnar"}, `storage "columnar"`},
		{TableSettings{CompressType: "zstd"}, "need storage ao_row or ao_column"},
		{TableSettings{Storage: AORow, CompressType: "rle_type"}, "rle_type needs storage ao_column"},
		{TableSettings{Storage: AOColumn, CompressType: "zlib", CompressLevel: 12}, "compress_level 12 for zlib: want 1 to 9"},
	} {
		err := c.s.Check(key)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.s, err, c.want)
		}
	}
}

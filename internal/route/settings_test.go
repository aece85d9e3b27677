package route

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

func TestTableSettingsFromMappingFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(name, []byte(`tables:
  - source: db1.testschema.customer1
    primary_key: [Id, Name]
    distribution_key: [Id]
    storage: ao_column
    compress_type: zstd
    compress_level: 5
  - source: db2.testschema.*
    table_type: replicated
`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{File: f})
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Route(change(customer("db1"), event.OpCreate))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Table.PrimaryKey, []string{"Id", "Name"}) {
		t.Errorf("target key %v, want [Id Name]", e.Table.PrimaryKey)
	}
	got := r.Settings("testschema", "customer1")
	want := apply.TableSettings{DistributionKey: []string{"Id"}, Storage: apply.AOColumn, CompressType: "zstd", CompressLevel: 5}
	if !slices.Equal(got.DistributionKey, want.DistributionKey) || got.Storage != want.Storage || got.CompressType != want.CompressType || got.CompressLevel != want.CompressLevel {
		t.Errorf("settings %+v, want %+v", got, want)
	}
	// A rule for db2 leaves db1's settings alone, and names its table by target name.
	r2, _ := New(Config{File: &File{Tables: []Rule{{Source: "db2.testschema.*", TableType: "replicated", TargetSchema: "dim"}}}})
	if _, err := r2.Route(change(customer("db2"), event.OpCreate)); err != nil {
		t.Fatal(err)
	}
	if s := r2.Settings("dim", "customer1"); s.Type != apply.Replicated {
		t.Errorf("settings of dim.customer1: %+v, want replicated", s)
	}
	if s := r2.Settings("testschema", "customer1"); !s.IsZero() {
		t.Errorf("settings of an unrouted table: %+v, want none", s)
	}
}

func TestTableSettingsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
		want string
	}{
		// Refused when the file is loaded.
		{"distribution key outside the primary key", Rule{Source: "db1.testschema.customer1", PrimaryKey: []string{"Id"}, DistributionKey: []string{"Name"}},
			`distribution_key column "Name" is not in the primary key (Id)`},
		{"replicated with a distribution key", Rule{Source: "db1.testschema.customer1", TableType: "replicated", DistributionKey: []string{"Id"}}, "replicated takes no distribution_key"},
		{"unknown storage", Rule{Source: "db1.testschema.customer1", Storage: "columnar"}, `storage "columnar"`},
		{"exclude with settings", Rule{Source: "db1.testschema.customer1", Exclude: true, TableType: "replicated"}, "exclude: true takes no other setting"},
		// Refused when the table is first resolved: only then are its columns known.
		{"distribution key outside the source key", Rule{Source: "db1.testschema.customer1", DistributionKey: []string{"Name"}},
			`distribution_key column "Name" is not in the primary key (Id)`},
		{"primary key without the source key", Rule{Source: "db1.testschema.customer1", PrimaryKey: []string{"Name"}},
			`primary_key (Name) lacks the source key column "Id"`},
		{"primary key naming no column", Rule{Source: "db1.testschema.customer1", PrimaryKey: []string{"Id", "Email"}},
			`primary_key column "Email" is not a column of the target table (its columns: Id, Name)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(Config{File: &File{Tables: []Rule{tc.rule}}})
			if err == nil {
				_, err = r.Route(change(customer("db1"), event.OpCreate))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestHeartbeatNeverReachesUserTables(t *testing.T) {
	hb := customer("db1")
	hb.Schema, hb.Name = "dbo", "dts_log_heart_beat"
	r, err := New(Config{Include: []string{"db1.testschema.*"}, Operations: []string{"insert"},
		File:      &File{Tables: []Rule{{Source: "db1.*.*", TargetSchema: "public", TargetTable: "everything", Merge: true}}},
		Heartbeat: [2]string{"dbo", "dts_log_heart_beat"}, HeartbeatTarget: [2]string{"mssql2adb", "heartbeat"}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Route(change(hb, event.OpUpdate))
	if err != nil || e == nil {
		t.Fatalf("heartbeat update: %v, %v", e, err)
	}
	if s, n := r.TargetName(e.Table); s != "mssql2adb" || n != "heartbeat" {
		t.Errorf("heartbeat target %s.%s, want mssql2adb.heartbeat", s, n)
	}
	if !r.IsHeartbeat(hb) || !r.IsHeartbeat(e.Table) || r.IsHeartbeat(customer("db1")) {
		t.Error("IsHeartbeat does not tell the heartbeat table from a user table")
	}
	if got := e.After[len(e.After)-1]; got != "dts1:db1.dbo.dts_log_heart_beat" {
		t.Errorf("__dts_data_source %v", got)
	}
}

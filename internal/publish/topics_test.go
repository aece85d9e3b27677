package publish

import (
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestCheckTopics(t *testing.T) {
	tbl := func(db, schema, name string) *catalog.Table {
		return &catalog.Table{Database: db, Schema: schema, Name: name}
	}
	tests := []struct {
		name    string
		prefix  string
		tables  []*catalog.Table
		want    []string
		wantErr []string // substrings of the error: both tables, by their exact names
	}{
		{
			name:   "real-world names become valid topics",
			prefix: "mssql",
			tables: []*catalog.Table{tbl("northwind", "dbo", "Order Details"), tbl("northwind", "dbo", "Ünïcode Täble"), tbl("northwind", "sales.eu", "a.b")},
			want:   []string{"mssql.northwind.dbo.Order_Details", "mssql.northwind.dbo._n_code_T_ble", "mssql.northwind.sales.eu.a.b"},
		},
		{
			name:   "case-sensitive names stay apart",
			prefix: "mssql",
			tables: []*catalog.Table{tbl("cs", "dbo", "T"), tbl("cs", "dbo", "t")},
			want:   []string{"mssql.cs.dbo.T", "mssql.cs.dbo.t"},
		},
		{
			name:    "two tables, one topic",
			prefix:  "mssql",
			tables:  []*catalog.Table{tbl("northwind", "dbo", "Order Details"), tbl("northwind", "dbo", "Order_Details")},
			wantErr: []string{"[northwind].[dbo].[Order Details]", "[northwind].[dbo].[Order_Details]", "both write to Kafka topic mssql.northwind.dbo.Order_Details"},
		},
		{
			name:    "dots and underscores collide in Kafka",
			prefix:  "mssql",
			tables:  []*catalog.Table{tbl("db", "dbo", "a.b"), tbl("db", "dbo", "a_b")},
			wantErr: []string{"[db].[dbo].[a.b]", "[db].[dbo].[a_b]", "cannot tell apart"},
		},
		{
			name:    "a dot in a schema name is ambiguous",
			prefix:  "mssql",
			tables:  []*catalog.Table{tbl("db", "dbo", "a.b"), tbl("db", "dbo.a", "b")},
			wantErr: []string{"[db].[dbo].[a.b]", "[db].[dbo.a].[b]"},
		},
		{
			name:    "a database that would look internal",
			prefix:  "mssql",
			tables:  []*catalog.Table{tbl(" staging", "dbo", "t")},
			wantErr: []string{"[ staging].[dbo].[t]", "mssql._staging.dbo.t"},
		},
		{
			name:    "an invalid prefix",
			prefix:  "my prefix",
			tables:  []*catalog.Table{tbl("db", "dbo", "t")},
			wantErr: []string{"TOPIC_PREFIX", "my prefix"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckTopics(tt.prefix, tt.tables)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("CheckTopics = %q, want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("CheckTopics = %q, want %q", got, tt.want)
			}
		})
	}
}

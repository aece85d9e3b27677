package apply

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

func sourceName(t *catalog.Table) (string, string) { return t.Schema, t.Name }

// entries renders a compacted table batch as "op key vals@pos" lines in COPY order.
func entries(tb *tableBatch) string {
	var lines []string
	for _, e := range tb.rows {
		var vals []string
		for _, v := range e.vals {
			switch {
			case event.IsUnchanged(v):
				vals = append(vals, "~")
			default:
				vals = append(vals, fmt.Sprint(v))
			}
		}
		lines = append(lines, fmt.Sprintf("%c %s %s@%d", e.op, e.key, strings.Join(vals, ","), e.pos[9]))
	}
	return strings.Join(lines, "\n")
}

func TestCompaction(t *testing.T) {
	p := people()
	U := event.Unchanged
	tests := []struct {
		name   string
		events []*event.Event
		want   string
	}{
		{"last event wins", []*event.Event{
			ev(p, event.OpCreate, 1, nil, row(int64(1), "a", "x")),
			ev(p, event.OpUpdate, 2, nil, row(int64(1), "b", "y")),
		}, "u 1 1,b,y@2"},
		{"delete then re-insert keeps the insert", []*event.Event{
			ev(p, event.OpDelete, 1, row(int64(1), "a", nil), nil),
			ev(p, event.OpCreate, 2, nil, row(int64(1), "b", "y")),
		}, "u 1 1,b,y@2"},
		{"insert then delete keeps the delete", []*event.Event{
			ev(p, event.OpCreate, 1, nil, row(int64(1), "a", "x")),
			ev(p, event.OpDelete, 2, row(int64(1), "a", nil), nil),
		}, "d 1 1,a,<nil>@2"},
		{"key change deletes the old key", []*event.Event{
			ev(p, event.OpUpdate, 3, row(int64(1), "a", U), row(int64(2), "a", "x")),
		}, "d 1 1,a,~@3\nu 2 2,a,x@3"},
		{"older event later in the batch is ignored", []*event.Event{
			ev(p, event.OpUpdate, 5, nil, row(int64(1), "new", "x")),
			ev(p, event.OpUpdate, 4, nil, row(int64(1), "old", "x")),
		}, "u 1 1,new,x@5"},
		{"unchanged value filled from an earlier event", []*event.Event{
			ev(p, event.OpUpdate, 1, nil, row(int64(1), "a", "big")),
			ev(p, event.OpUpdate, 2, nil, row(int64(1), "b", U)),
		}, "u 1 1,b,big@2"},
		{"unchanged stays unchanged without an earlier value", []*event.Event{
			ev(p, event.OpUpdate, 2, nil, row(int64(1), "b", U)),
		}, "u 1 1,b,~@2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := groupBatch(tt.events, sourceName)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 {
				t.Fatalf("%d groups", len(groups))
			}
			if got := entries(groups[0]); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestCompactionSchemaVersions(t *testing.T) {
	v1 := people()
	v2 := people()
	v2.Columns = append([]catalog.Column{{Name: "Extra", Type: "int"}}, v2.Columns...)
	groups, err := groupBatch([]*event.Event{
		ev(v1, event.OpCreate, 1, nil, row(int64(1), "a", "x")),
		ev(v2, event.OpCreate, 2, nil, row(int64(9), int64(2), "b", "y")),
	}, sourceName)
	if err != nil {
		t.Fatal(err)
	}
	g := groups[0]
	var names []string
	for _, c := range g.union {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "Id,Name,Bio,Extra" {
		t.Errorf("union columns %s", got)
	}
	if got, want := entries(g), "u 1 1,a,x,~@1\nu 2 2,b,y,9@2"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if fmt.Sprint(g.keep) != "[2 3]" { // Bio is a large value, Extra is missing from v1
		t.Errorf("keep = %v, want [2 3]", g.keep)
	}
}

func TestCompactionErrors(t *testing.T) {
	p := people()
	noKey := people()
	noKey.PrimaryKey = nil
	tests := []struct {
		name string
		e    *event.Event
		want string
	}{
		{"no primary key", ev(noKey, event.OpCreate, 1, nil, row(int64(1), "a", "x")), "no primary key"},
		{"null key", ev(p, event.OpCreate, 1, nil, row(nil, "a", "x")), `key column "Id" has no value`},
		{"short row", ev(p, event.OpCreate, 1, nil, row(int64(1))), "1 values for 3 columns"},
		{"delete without before", ev(p, event.OpDelete, 1, nil, nil), "without a before row"},
		{"unsynchronized type", ev(&catalog.Table{Schema: "s", Name: "t", PrimaryKey: []string{"k"},
			Columns: []catalog.Column{{Name: "k", Type: "int"}, {Name: "h", Type: "hierarchyid"}}}, event.OpCreate, 1, nil, row(int64(1), nil)), "not synchronized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := groupBatch([]*event.Event{tt.e}, sourceName)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// In a case-sensitive database T and t are two columns: they stay two in
// the target table, each with its own value, never merged into one.
func TestCaseTwinColumnsStayApart(t *testing.T) {
	tbl := &catalog.Table{Database: "cs", Schema: "dbo", Name: "x", PrimaryKey: []string{"t"},
		Columns: []catalog.Column{{Name: "T", Type: "int", Nullable: true}, {Name: "t", Type: "int"}}}
	tt, err := TargetTableFor(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if len(tt.Columns) != 2 || tt.Columns[0].Name != "T" || tt.Columns[1].Name != "t" || len(tt.Key) != 1 || tt.Key[0] != "t" {
		t.Fatalf("target table %+v, want columns T and t with key t", tt)
	}
	bs, err := groupBatch([]*event.Event{ev(tbl, event.OpCreate, 1, nil, row(int64(1), int64(2)))}, sourceName)
	if err != nil {
		t.Fatal(err)
	}
	if got := entries(bs[0]); got != "u 2 1,2@1" {
		t.Fatalf("entries %q, want the key from t (2) and both values", got)
	}
}

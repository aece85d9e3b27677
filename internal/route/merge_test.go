package route

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// shardEvent is a change of shard db's customer1 at source position n.
func shardEvent(tbl *catalog.Table, op event.Op, n uint32, before, after event.Row) *event.Event {
	var l lsn.LSN
	binary.BigEndian.PutUint32(l[6:], n)
	return &event.Event{Table: tbl, Op: op, Before: before, After: after,
		Source: event.Source{Name: "dts1", Db: tbl.Database, Schema: tbl.Schema, Table: tbl.Name, CommitLSN: l, ChangeLSN: l, Incarnation: "i-" + tbl.Database}}
}

// TestMergedShardsKeepTheirOwnRows applies two shards that reuse the same
// key values into one merged table: inserts, updates, a key change and
// deletes of one shard never touch the other's rows.
func TestMergedShardsKeepTheirOwnRows(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	r, err := New(Config{File: &File{Tables: []Rule{{Source: "shard?.testschema.customer1", TargetSchema: "public", TargetTable: "customer", Merge: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := apply.New(ctx, pool, apply.Config{TargetName: r.TargetName, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := customer("shard1"), customer("shard2")
	row := func(id int64, name string) event.Row { return event.Row{id, name} }
	var offset int64
	next := map[string]int64{}
	applyAll := func(events ...*event.Event) {
		t.Helper()
		b := apply.Batch{Group: "g"}
		for _, e := range events {
			routed, err := r.Route(e)
			if err != nil {
				t.Fatal(err)
			}
			topic := "mssql." + e.Table.Database + ".testschema.customer1"
			b.Events = append(b.Events, routed)
			b.From = append(b.From, apply.Origin{Topic: topic, Offset: offset})
			offset++
			next[topic] = offset
		}
		for topic, n := range next {
			b.Offsets = append(b.Offsets, apply.Offset{Topic: topic, Next: n})
		}
		if err := a.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	applyAll(shardEvent(s1, event.OpRead, 1, nil, row(1, "s1 ann")), shardEvent(s1, event.OpRead, 1, nil, row(2, "s1 bob")),
		shardEvent(s2, event.OpRead, 1, nil, row(1, "s2 cy")), shardEvent(s2, event.OpRead, 1, nil, row(2, "s2 dee")))
	applyAll(shardEvent(s1, event.OpUpdate, 2, row(1, "s1 ann"), row(1, "s1 ann2")),
		shardEvent(s2, event.OpDelete, 2, row(2, "s2 dee"), nil),
		shardEvent(s1, event.OpUpdate, 3, row(2, "s1 bob"), row(7, "s1 bob moved")))
	rows, err := pool.Query(ctx, `SELECT "Id" || '|' || "Name" || '|' || __dts_data_source FROM public.customer ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := "1|s1 ann2|dts1:shard1.testschema.customer1\n1|s2 cy|dts1:shard2.testschema.customer1\n7|s1 bob moved|dts1:shard1.testschema.customer1"
	if strings.Join(got, "\n") != want {
		t.Fatalf("merged table:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	var sources int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM mssql2adb.table_sources WHERE target_schema = 'public' AND target_table = 'customer'`).Scan(&sources); err != nil || sources != 2 {
		t.Errorf("recorded sources of the merged table: %d (%v), want 2", sources, err)
	}

	// The same target table, now without merging: its key has
	// __dts_data_source, the events' has not. Refused with the reason.
	unmerged, err := New(Config{File: &File{Tables: []Rule{{Source: "shard1.testschema.customer1", TargetSchema: "public", TargetTable: "customer"}}}})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := apply.New(ctx, pool, apply.Config{TargetName: unmerged.TargetName, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := unmerged.Route(shardEvent(s1, event.OpUpdate, 4, row(1, "s1 ann2"), row(1, "s1 ann3")))
	if err != nil {
		t.Fatal(err)
	}
	err = a2.Apply(ctx, apply.Batch{Group: "g2", Events: []*event.Event{e}, From: []apply.Origin{{Topic: "mssql.shard1.testschema.customer1", Offset: 9}},
		Offsets: []apply.Offset{{Topic: "mssql.shard1.testschema.customer1", Next: 10}}})
	var ete *apply.ExistingTableError
	if !errors.As(err, &ete) || !strings.Contains(err.Error(), "was created by this program with another key than the events of shard1.testschema.customer1 now have (Id)") {
		t.Fatalf("applying unmerged events into the merged table: %v", err)
	}
}

// TestIncompatibleShardsAreRefused: shards merged into one table must share
// the key and the target types of the columns they have in common; a
// column only one shard has is fine, as is a newer schema of the same shard.
func TestIncompatibleShardsAreRefused(t *testing.T) {
	rules := Config{File: &File{Tables: []Rule{{Source: "shard?.testschema.customer1", TargetSchema: "public", TargetTable: "customer", Merge: true}}}}
	widened := func(db string) *catalog.Table {
		t := customer(db)
		t.Columns = []catalog.Column{t.Columns[0], {Name: "Name", Type: "nvarchar", Length: 100, Nullable: true}}
		return t
	}
	otherKey := func(db string) *catalog.Table {
		t := customer(db)
		t.Columns = append(t.Columns, catalog.Column{Name: "Region", Type: "int"})
		t.PrimaryKey = []string{"Id", "Region"}
		return t
	}
	extra := func(db string) *catalog.Table {
		t := customer(db)
		t.Columns = append(t.Columns, catalog.Column{Name: "Email", Type: "nvarchar", Length: 80, Nullable: true, Optional: true})
		return t
	}
	for _, tc := range []struct {
		name   string
		second *catalog.Table
		want   string
	}{
		{"same schema", customer("shard2"), ""},
		{"a column only one shard has", extra("shard2"), ""},
		{"another type", widened("shard2"), "column Name is varchar(100) here (SQL Server nvarchar(100)) but varchar(50) in shard1.testschema.customer1"},
		{"another key", otherKey("shard2"), "its key (Id, Region, __dts_data_source) differs from that of shard1.testschema.customer1 (Id, __dts_data_source)"},
		{"a newer schema of the same shard", widened("shard1"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(rules)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Check([]*catalog.Table{customer("shard1")}); err != nil {
				t.Fatal(err)
			}
			err = r.Check([]*catalog.Table{tc.second})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsRuleError(err) {
				t.Fatalf("got %v, want a RuleError containing %q", err, tc.want)
			}
			if _, err := r.Route(change(tc.second, event.OpCreate)); err == nil {
				t.Error("Route accepted an event of the refused shard")
			}
		})
	}
}

func TestUnmatchedRules(t *testing.T) {
	r, err := New(Config{File: &File{Tables: []Rule{
		{Source: "shard?.testschema.customer1", TargetSchema: "public", TargetTable: "customer", Merge: true},
		{Source: "shard1.dbo.ordres", Exclude: true},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Unmatched([]*catalog.Table{customer("shard1")})
	if len(got) != 1 || got[0] != `tables[1] (source "shard1.dbo.ordres")` {
		t.Errorf("Unmatched = %q", got)
	}
}

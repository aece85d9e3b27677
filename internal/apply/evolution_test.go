package apply

import (
	"context"
	"log/slog"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// withFill is people() after ALTER TABLE … ADD Grade smallint NOT NULL DEFAULT 5.
func withFill() *catalog.Table {
	t := people()
	t.Columns = append(t.Columns, catalog.Column{Name: "Grade", Ordinal: 4, Type: "smallint", Optional: true, Fill: "5", HasFill: true})
	return t
}

// TestAddColumnFillsExistingRows: rows that existed when a NOT NULL …
// DEFAULT column was added at the source end with its default, not NULL,
// including rows that late events of the old schema create, in a batch of
// their own or mixed with new-schema events.
func TestAddColumnFillsExistingRows(t *testing.T) {
	a, pool := newApplier(t)
	v1, v2 := people(), withFill()
	mustApply(t, a, batch("t", 0, ev(v1, event.OpRead, 1, nil, row(int64(1), "ann", nil)), ev(v1, event.OpRead, 1, nil, row(int64(2), "bob", nil))))
	mustApply(t, a, batch("t", 2, ev(v2, event.OpCreate, 5, nil, row(int64(3), "cy", nil, int64(9)))))
	mustApply(t, a, batch("t", 3, ev(v1, event.OpCreate, 2, nil, row(int64(4), "dee", nil))))
	mustApply(t, a, batch("t", 4,
		ev(v1, event.OpCreate, 3, nil, row(int64(5), "eve", nil)),
		ev(v1, event.OpUpdate, 4, nil, row(int64(3), "cy", nil)), // older than cy's insert: ignored
		ev(v2, event.OpUpdate, 6, nil, row(int64(2), "bob", nil, int64(7)))))
	want := "1|ann|5\n2|bob|7\n3|cy|9\n4|dee|5\n5|eve|5"
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Grade"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// plainAddColumn is PostgreSQL with adbpg's ADD COLUMN, which has no IF
// NOT EXISTS: only the applier's own locking keeps it from adding twice.
type plainAddColumn struct{ Postgres }

func (plainAddColumn) AddColumn(t *TargetTable, c TargetColumn) string {
	return ADBPG{}.AddColumn(t, c)
}

// TestConcurrentAddColumn: two consumers see the new schema at once on
// different partitions; the column is added once, without error, with
// either dialect's ADD COLUMN.
func TestConcurrentAddColumn(t *testing.T) {
	for _, d := range []Dialect{Postgres{}, plainAddColumn{}} {
		t.Run(d.AddColumn(&TargetTable{Schema: "s", Name: "t"}, TargetColumn{Name: "c", Type: "int"}), func(t *testing.T) {
			a1, pool := newApplier(t)
			a2, err := New(context.Background(), pool, Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			a1.dialect, a2.dialect = d, d
			v1, v2 := people(), withFill()
			mustApply(t, a1, batch("t", 0, ev(v1, event.OpRead, 1, nil, row(int64(1), "ann", nil))))
			// a2 learns the old shape too, so both must look again.
			mustApply(t, a2, Batch{Group: group, Events: []*event.Event{ev(v1, event.OpRead, 1, nil, row(int64(2), "bob", nil))},
				From: []Origin{{Topic: "t", Partition: 1, Offset: 0}}, Offsets: []Offset{{Topic: "t", Partition: 1, Next: 1}}})
			errs := make(chan error, 2)
			go func() {
				errs <- a1.Apply(context.Background(), batch("t", 1, ev(v2, event.OpCreate, 3, nil, row(int64(3), "cy", nil, int64(1)))))
			}()
			go func() {
				errs <- a2.Apply(context.Background(), Batch{Group: group, Events: []*event.Event{ev(v2, event.OpCreate, 4, nil, row(int64(4), "dee", nil, int64(2)))},
					From: []Origin{{Topic: "t", Partition: 1, Offset: 1}}, Offsets: []Offset{{Topic: "t", Partition: 1, Next: 2}}})
			}()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			want := "1|5\n2|5\n3|1\n4|2"
			if got := dump(t, pool, `"dbo"."People"`, "Id", "Grade"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

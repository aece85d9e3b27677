package apply

import (
	"context"
	"errors"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// from sets an event's source name and database incarnation (its database
// is its table's).
func from(e *event.Event, incarnation string) *event.Event {
	e.Source.Name, e.Source.Incarnation = "mssql", incarnation
	return e
}

func peopleOf(database string) *catalog.Table {
	t := people()
	t.Database = database
	return t
}

func prow(id int64, name string) event.Row { return event.Row{id, name, nil} }

func TestSourceOfATableIsRecordedAndChecked(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db1.dbo.People"
	a, pool := newApplier(t)
	db1 := peopleOf("db1")
	mustApply(t, a, batch(topic, 0,
		from(ev(db1, event.OpRead, 10, nil, prow(1, "ann")), "2026-01-01T00:00:00.000/5"),
		from(ev(db1, event.OpRead, 10, nil, prow(2, "bob")), "2026-01-01T00:00:00.000/5")))
	var recorded string
	if err := pool.QueryRow(ctx, `SELECT source_name||':'||source_database||'.'||source_schema||'.'||source_table||' '||source_incarnation||' '||topic FROM mssql2adb.table_sources
		WHERE target_schema = 'dbo' AND target_table = 'People'`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if want := "mssql:db1.dbo.People 2026-01-01T00:00:00.000/5 " + topic; recorded != want {
		t.Errorf("recorded source %q, want %q", recorded, want)
	}

	// Another database's same-named table is refused, whatever the order of its positions.
	db2 := peopleOf("db2")
	err := a.Apply(ctx, batch("mssql.db2.dbo.People", 0, from(ev(db2, event.OpRead, 99, nil, prow(1, "other")), "2026-02-01T00:00:00.000/6")))
	var conflict *SourceConflictError
	if !errors.As(err, &conflict) || conflict.Stored.Database != "db1" || conflict.Found.Database != "db2" {
		t.Fatalf("another source's rows: got %v, want a SourceConflictError naming db1 and db2", err)
	}

	// A new life of the same database is refused with its own error.
	err = a.Apply(ctx, batch(topic, 2, from(ev(db1, event.OpUpdate, 3, prow(1, "ann"), prow(1, "new ann")), "2026-03-01T00:00:00.000/5")))
	var changed *SourceChangedError
	if !errors.As(err, &changed) || changed.Stored.Incarnation != "2026-01-01T00:00:00.000/5" || changed.Topic != topic {
		t.Fatalf("new database life: got %v, want a SourceChangedError", err)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann\n2|bob" {
		t.Errorf("refused batches changed the table:\n%s", got)
	}
	// Events of the recorded life, or of a producer that does not say, still apply.
	mustApply(t, a, batch(topic, 2, from(ev(db1, event.OpUpdate, 11, prow(1, "ann"), prow(1, "ann2")), "2026-01-01T00:00:00.000/5"),
		from(ev(db1, event.OpUpdate, 12, prow(2, "bob"), prow(2, "bob2")), "")))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann2\n2|bob2" {
		t.Errorf("after updates of the recorded source:\n%s", got)
	}
}

func TestTwoSourcesRacingForOneTargetNeverBothWin(t *testing.T) {
	ctx := context.Background()
	a, pool := newApplier(t)
	b, err := New(ctx, pool, Config{Logger: a.log})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() {
		errs <- a.Apply(ctx, batch("mssql.db1.dbo.People", 0, from(ev(peopleOf("db1"), event.OpRead, 10, nil, prow(1, "one")), "x/1")))
	}()
	go func() {
		errs <- b.Apply(ctx, batch("mssql.db2.dbo.People", 0, from(ev(peopleOf("db2"), event.OpRead, 10, nil, prow(1, "two")), "x/2")))
	}()
	e1, e2 := <-errs, <-errs
	var conflict *SourceConflictError
	if (e1 == nil) == (e2 == nil) || !(errors.As(e1, &conflict) || errors.As(e2, &conflict)) {
		t.Fatalf("two sources for one target: errors %v and %v, want exactly one SourceConflictError", e1, e2)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM mssql2adb.table_sources").Scan(&n); err != nil || n != 1 {
		t.Errorf("recorded sources: %d (%v), want 1", n, err)
	}
}

func TestTopicIDChangeIsRefused(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db.dbo.People"
	a, pool := newApplier(t)
	b := batch(topic, 0, ev(people(), event.OpRead, 1, nil, prow(1, "ann")))
	b.Offsets[0].TopicID, b.Offsets[0].ClusterID = "old-id", "c1"
	mustApply(t, a, b)
	offs, err := a.Offsets(ctx, group, topic)
	if err != nil || offs[0] != (StoredOffset{Next: 1, TopicID: "old-id", ClusterID: "c1"}) {
		t.Fatalf("stored offsets %v (%v), want next 1 with topic and cluster ids", offs, err)
	}
	b = batch(topic, 0, ev(people(), event.OpRead, 1, nil, prow(7, "new topic")))
	b.Offsets[0].TopicID = "new-id"
	var changed *TopicChangedError
	if err := a.Apply(ctx, b); !errors.As(err, &changed) || changed.Stored.TopicID != "old-id" {
		t.Fatalf("batch of a recreated topic: got %v, want a TopicChangedError", err)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann" {
		t.Errorf("a refused batch changed the table:\n%s", got)
	}
}

// chunks is a RebuildSource that hands out chunks in order.
type chunks struct {
	end map[int32]int64
	cs  [][]*event.Event
}

func (c *chunks) End(context.Context) (map[int32]int64, error) { return c.end, nil }

func (c *chunks) Next(context.Context) ([]*event.Event, error) {
	if len(c.cs) == 0 {
		return nil, nil
	}
	n := c.cs[0]
	c.cs = c.cs[1:]
	return n, nil
}

func TestRebuildReplacesRowsWithTheLatestDatabaseLife(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db1.dbo.People"
	a, pool := newApplier(t)
	db1 := peopleOf("db1")
	const old, cur = "2026-01-01T00:00:00.000/5", "2026-03-01T00:00:00.000/5"
	mustApply(t, a, batch(topic, 0,
		from(ev(db1, event.OpRead, 50, nil, prow(1, "old ann")), old),
		from(ev(db1, event.OpRead, 50, nil, prow(2, "old bob")), old),
		from(ev(db1, event.OpDelete, 60, prow(3, "x"), nil), old)))

	// The topic holds the old life's events, then a new snapshot of the new
	// life (with lower LSNs), across two chunks.
	res, err := a.Rebuild(ctx, Rebuild{Group: group, Topic: topic, TopicID: "t2", Partitions: []int32{0}}, &chunks{end: map[int32]int64{0: 7}, cs: [][]*event.Event{
		{from(ev(db1, event.OpRead, 50, nil, prow(1, "old ann")), old), from(ev(db1, event.OpRead, 5, nil, prow(3, "new cy")), cur)},
		{from(ev(db1, event.OpRead, 50, nil, prow(2, "old bob")), old), from(ev(db1, event.OpRead, 5, nil, prow(1, "new ann")), cur),
			from(ev(db1, event.OpDelete, 6, prow(1, "new ann"), nil), cur), from(ev(db1, event.OpCreate, 7, nil, prow(4, "new dee")), cur)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 4 || res.Skipped != 2 || len(res.Tables) != 1 {
		t.Errorf("rebuild result %+v, want 4 events applied, 2 skipped, 1 table", res)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "3|new cy\n4|new dee" {
		t.Errorf("after rebuild:\n%s\nwant the new life's rows only", got)
	}
	offs, err := a.Offsets(ctx, group, topic)
	if err != nil || offs[0].Next != 7 || offs[0].TopicID != "t2" {
		t.Errorf("offsets after rebuild %v (%v), want 7 of topic t2 even though 3 was stored", offs, err)
	}
	// The new life is now the recorded one: its events apply, the old one's are refused.
	mustApply(t, a, batch(topic, 7, from(ev(db1, event.OpCreate, 8, nil, prow(5, "eve")), cur)))
	var changed *SourceChangedError
	if err := a.Apply(ctx, batch(topic, 8, from(ev(db1, event.OpCreate, 90, nil, prow(6, "zombie")), old))); !errors.As(err, &changed) {
		t.Errorf("an event of the old life after the rebuild: got %v, want a SourceChangedError", err)
	}
}

func TestRebuildIsSkippedWhenAnotherMemberDidIt(t *testing.T) {
	ctx := context.Background()
	const topic = "mssql.db.dbo.People"
	a, pool := newApplier(t)
	b := batch(topic, 0, ev(people(), event.OpRead, 1, nil, prow(1, "ann")))
	b.Offsets[0].TopicID = "current"
	mustApply(t, a, b)
	src := &chunks{end: map[int32]int64{0: 5}}
	res, err := a.Rebuild(ctx, Rebuild{Group: group, Topic: topic, TopicID: "current", Partitions: []int32{0}, SkipIfCurrent: true}, src)
	if err != nil || !res.AlreadyDone {
		t.Fatalf("rebuild of a topic whose offsets already refer to it: %+v, %v; want it skipped", res, err)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann" {
		t.Errorf("a skipped rebuild changed the table:\n%s", got)
	}
	// A partition the group never applied makes it a rebuild after all.
	res, err = a.Rebuild(ctx, Rebuild{Group: group, Topic: topic, TopicID: "current", Partitions: []int32{0, 1}, SkipIfCurrent: true}, src)
	if err != nil || res.AlreadyDone {
		t.Fatalf("rebuild with a partition never applied: %+v, %v; want it done", res, err)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "" {
		t.Errorf("the rebuild from an empty source left rows:\n%s", got)
	}
}

package apply

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const group = "g1"

func newApplier(t testing.TB) (*Applier, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.ForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Dialect().Name() != "postgres" {
		t.Fatalf("detected dialect %s on PostgreSQL", a.Dialect().Name())
	}
	return a, pool
}

func pos(n uint32) lsn.LSN {
	var l lsn.LSN
	binary.BigEndian.PutUint32(l[6:], n)
	return l
}

// ev builds an event at source position n (commit LSN n, change LSN n).
func ev(t *catalog.Table, op event.Op, n uint32, before, after event.Row) *event.Event {
	return &event.Event{Table: t, Op: op, Before: before, After: after,
		Source: event.Source{CommitLSN: pos(n), ChangeLSN: pos(n), Schema: t.Schema, Table: t.Name}}
}

// batch numbers the events' offsets in one partition from first.
func batch(topic string, first int64, events ...*event.Event) Batch {
	b := Batch{Group: group, Events: events}
	for i := range events {
		b.From = append(b.From, Origin{Topic: topic, Partition: 0, Offset: first + int64(i)})
	}
	b.Offsets = []Offset{{Topic: topic, Partition: 0, Next: first + int64(len(events))}}
	return b
}

func mustApply(t testing.TB, a *Applier, b Batch) {
	t.Helper()
	if err := a.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// dump returns every row of the table as text, ordered, one line per row.
func dump(t testing.TB, pool *pgxpool.Pool, table string, cols ...string) string {
	t.Helper()
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = fmt.Sprintf("coalesce(%s::text, 'NULL')", quote(c))
	}
	rows, err := pool.Query(context.Background(), fmt.Sprintf("SELECT concat_ws('|', %s) FROM %s ORDER BY 1", strings.Join(q, ", "), table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

func people() *catalog.Table {
	return &catalog.Table{Database: "db", Schema: "dbo", Name: "People", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{
			{Name: "Id", Ordinal: 1, Type: "int"},
			{Name: "Name", Ordinal: 2, Type: "nvarchar", Length: 50, Nullable: true},
			{Name: "Bio", Ordinal: 3, Type: "nvarchar", Length: catalog.MaxLength, Nullable: true},
		}}
}

func row(v ...any) event.Row { return v }

// stepper applies each call's events as the next batch of topic's
// partition 0, offsets following on.
func stepper(t testing.TB, a *Applier, topic string) func(...*event.Event) {
	off := int64(0)
	return func(events ...*event.Event) {
		t.Helper()
		mustApply(t, a, batch(topic, off, events...))
		off += int64(len(events))
	}
}

func TestApplyLifecycle(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	const topic = "p.db.dbo.People"
	mustApply(t, a, batch(topic, 0,
		ev(tbl, event.OpRead, 1, nil, row(int64(1), "ann", "a")),
		ev(tbl, event.OpRead, 1, nil, row(int64(2), "bob", "b")),
		ev(tbl, event.OpRead, 1, nil, row(int64(3), "cy", nil)),
	))
	if got, want := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"), "1|ann|a\n2|bob|b\n3|cy|NULL"; got != want {
		t.Fatalf("after snapshot:\n%s\nwant\n%s", got, want)
	}
	mustApply(t, a, batch(topic, 3,
		ev(tbl, event.OpCreate, 10, nil, row(int64(4), "dee", "d")),
		ev(tbl, event.OpUpdate, 11, row(int64(1), "ann", "a"), row(int64(1), "anne", "a2")),
		ev(tbl, event.OpDelete, 12, row(int64(2), "bob", nil), nil),
		// A key change: 3 becomes 30.
		ev(tbl, event.OpUpdate, 13, row(int64(3), "cy", nil), row(int64(30), "cy", "c")),
		// Delete then re-insert of one key: the insert stays.
		ev(tbl, event.OpDelete, 14, row(int64(4), "dee", nil), nil),
		ev(tbl, event.OpCreate, 15, nil, row(int64(4), "dee2", "d2")),
	))
	if got, want := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"), "1|anne|a2\n30|cy|c\n4|dee2|d2"; got != want {
		t.Fatalf("after changes:\n%s\nwant\n%s", got, want)
	}
	offs, err := a.Offsets(context.Background(), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(offs) != 1 || offs[0].Next != 9 {
		t.Errorf("offsets = %v, want map[0:9]", offs)
	}
}

func TestDuplicateBatchIsNoOp(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	const topic = "p.db.dbo.People"
	first := batch(topic, 0, ev(tbl, event.OpCreate, 10, nil, row(int64(1), "ann", "a")))
	mustApply(t, a, first)
	mustApply(t, a, batch(topic, 1, ev(tbl, event.OpDelete, 11, row(int64(1), "ann", nil), nil)))
	// Redelivered: the same offsets, even with events that would win on
	// position, must not be applied again.
	again := batch(topic, 0, ev(tbl, event.OpCreate, 99, nil, row(int64(1), "zombie", "z")))
	mustApply(t, a, again)
	noFrom := again
	noFrom.From = nil
	mustApply(t, a, noFrom)
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "" {
		t.Errorf("redelivered batch was applied: %q", got)
	}
	if offs, _ := a.Offsets(context.Background(), group, topic); offs[0].Next != 2 {
		t.Errorf("offset moved to %d, want 2", offs[0].Next)
	}
	// A partly redelivered batch applies only its new events.
	mustApply(t, a, batch(topic, 1,
		ev(tbl, event.OpCreate, 98, nil, row(int64(5), "old", "o")),
		ev(tbl, event.OpCreate, 12, nil, row(int64(6), "new", "n"))))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "6|new" {
		t.Errorf("partial redelivery: got %q, want 6|new", got)
	}
	// Status counts each event applied once: the create, the delete and
	// the new event of the partial redelivery.
	var applied int64
	if err := pool.QueryRow(context.Background(), `SELECT applied_events FROM "`+DefaultBookkeepingSchema+`".consumer_offsets WHERE group_id = $1 AND topic = $2`,
		group, topic).Scan(&applied); err != nil || applied != 3 {
		t.Errorf("applied_events = %d (%v), want 3", applied, err)
	}
}

func TestOlderEventsNeverMoveARowBack(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	step := stepper(t, a, "t")
	step(ev(tbl, event.OpCreate, 10, nil, row(int64(1), "v10", "x")))
	step(ev(tbl, event.OpUpdate, 20, row(int64(1), "v10", "x"), row(int64(1), "v20", "x")))
	step(ev(tbl, event.OpUpdate, 15, row(int64(1), "v10", "x"), row(int64(1), "v15", "x"))) // replayed older
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|v20" {
		t.Fatalf("older update applied: %q", got)
	}
	step(ev(tbl, event.OpDelete, 18, row(int64(1), "v10", nil), nil)) // older delete
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|v20" {
		t.Fatalf("older delete applied: %q", got)
	}
	step(ev(tbl, event.OpDelete, 30, row(int64(1), "v20", nil), nil))
	step(ev(tbl, event.OpCreate, 25, nil, row(int64(1), "v25", "x"))) // older insert after a newer delete
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "" {
		t.Fatalf("insert older than the delete resurrected the row: %q", got)
	}
	step(ev(tbl, event.OpCreate, 40, nil, row(int64(1), "v40", "x")))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|v40" {
		t.Fatalf("newer insert after delete: %q", got)
	}
	var tomb int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM mssql2adb.deleted_keys").Scan(&tomb); err != nil {
		t.Fatal(err)
	}
	if tomb != 0 {
		t.Errorf("%d deleted keys remain after the key was re-inserted", tomb)
	}
	// Within one batch, too, the latest position wins.
	step(ev(tbl, event.OpUpdate, 50, nil, row(int64(1), "v50", "x")),
		ev(tbl, event.OpUpdate, 45, nil, row(int64(1), "v45", "x")))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|v50" {
		t.Fatalf("older event later in a batch won: %q", got)
	}
}

func TestUnchangedKeepsValue(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	mustApply(t, a, batch("t", 0, ev(tbl, event.OpCreate, 1, nil, row(int64(1), "ann", "long bio")),
		ev(tbl, event.OpCreate, 2, nil, row(int64(2), "bob", "bob bio"))))
	mustApply(t, a, batch("t", 2,
		ev(tbl, event.OpUpdate, 3, nil, row(int64(1), "anne", event.Unchanged)),
		ev(tbl, event.OpUpdate, 4, nil, row(int64(2), "bob", "new bio")),
		ev(tbl, event.OpUpdate, 5, nil, row(int64(2), "bobby", event.Unchanged)), // same batch: keeps "new bio"
		ev(tbl, event.OpUpdate, 6, nil, row(int64(3), "cy", event.Unchanged)),    // no row to keep from
	))
	want := "1|anne|long bio\n2|bobby|new bio\n3|cy|NULL"
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAddColumnEvolution(t *testing.T) {
	a, pool := newApplier(t)
	v1 := people()
	mustApply(t, a, batch("t", 0, ev(v1, event.OpCreate, 1, nil, row(int64(1), "ann", "a"))))
	v2 := people()
	v2.Columns = append(v2.Columns, catalog.Column{Name: "Age", Ordinal: 4, Type: "tinyint", Nullable: true})
	mustApply(t, a, batch("t", 1,
		ev(v2, event.OpCreate, 2, nil, row(int64(2), "bob", "b", int64(42))),
		ev(v2, event.OpUpdate, 3, nil, row(int64(1), "ann", "a", int64(30)))))
	// An event of the old schema (say, a late one) keeps the new column.
	mustApply(t, a, batch("t", 3,
		ev(v1, event.OpUpdate, 4, nil, row(int64(1), "anne", "a")),
		ev(v2, event.OpCreate, 5, nil, row(int64(3), "cy", nil, int64(7)))))
	want := "1|anne|30\n2|bob|42\n3|cy|7"
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Age"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var typ string
	if err := pool.QueryRow(context.Background(), `SELECT data_type FROM information_schema.columns WHERE table_name = 'People' AND column_name = 'Age'`).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "smallint" {
		t.Errorf("added column type %s, want smallint", typ)
	}
}

func TestCompositeKeyAndQuotedNames(t *testing.T) {
	a, pool := newApplier(t)
	tbl := studentTable()
	id1, id2 := "6F9619FF-8B86-D011-B42D-00C04FC964FF", "00000000-0000-0000-0000-000000000001"
	mustApply(t, a, batch("s", 0,
		ev(tbl, event.OpCreate, 1, nil, row(int64(1), id1, "a", nil, nil, nil)),
		ev(tbl, event.OpCreate, 2, nil, row(int64(2), id1, "b", nil, nil, nil)),
		ev(tbl, event.OpCreate, 3, nil, row(int64(1), id2, "c", nil, nil, nil))))
	mustApply(t, a, batch("s", 3, ev(tbl, event.OpDelete, 4, row(int64(1), id1, nil, nil, nil, nil), nil)))
	want := "1|" + id2 + "|c\n2|" + id1 + "|b"
	if got := dump(t, pool, `"dbo"."Student"`, "SchoolId", "Id", "Name"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestConcurrentFirstSight has two appliers see the same new tables at once,
// in opposite orders: creation must neither fail nor deadlock.
func TestConcurrentFirstSight(t *testing.T) {
	a1, pool := newApplier(t)
	a2, err := New(context.Background(), pool, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	x, y := people(), people()
	y.Name = "Other"
	errs := make(chan error, 2)
	go func() {
		errs <- a1.Apply(context.Background(), batch("t1", 0,
			ev(x, event.OpCreate, 1, nil, row(int64(1), "a", nil)), ev(y, event.OpCreate, 2, nil, row(int64(1), "b", nil))))
	}()
	go func() {
		errs <- a2.Apply(context.Background(), batch("t2", 0,
			ev(y, event.OpCreate, 3, nil, row(int64(2), "c", nil)), ev(x, event.OpCreate, 4, nil, row(int64(2), "d", nil))))
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name") + "/" + dump(t, pool, `"dbo"."Other"`, "Id", "Name"); got != "1|a\n2|d/1|b\n2|c" {
		t.Errorf("got %q", got)
	}
}

// TestOffsetLocksArePerPartition: a transaction holding partition 0's
// offsets row (a consumer mid-batch) must not hold up a batch of partition 1
// of the same topic, which another consumer of the group owns.
func TestOffsetLocksArePerPartition(t *testing.T) {
	a, pool := newApplier(t)
	ctx := context.Background()
	tbl := people()
	mustApply(t, a, batch("t", 0, ev(tbl, event.OpCreate, 1, nil, row(int64(1), "a", nil))))
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT * FROM mssql2adb.consumer_offsets WHERE partition = 0 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	b := Batch{Group: group, Events: []*event.Event{ev(tbl, event.OpCreate, 2, nil, row(int64(2), "b", nil))},
		From: []Origin{{Topic: "t", Partition: 1, Offset: 0}}, Offsets: []Offset{{Topic: "t", Partition: 1, Next: 1}}}
	// The deadline only turns a wrong lock into a failure instead of a hang.
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := a.Apply(actx, b); err != nil {
		t.Fatalf("batch of partition 1 while partition 0 is locked: %v", err)
	}
}

// TestFirstBatchOfAPartitionIsAppliedOnce: a partition's first batch has no
// offsets row to lock. While one member (a zombie after a rebalance) has it
// in flight, its successor applying the same records must wait and then
// skip them, not apply them a second time.
func TestFirstBatchOfAPartitionIsAppliedOnce(t *testing.T) {
	a, pool := newApplier(t)
	ctx := context.Background()
	tbl := people()
	mustApply(t, a, batch("other", 0, ev(tbl, event.OpCreate, 1, nil, row(int64(1), "setup", nil)))) // bookkeeping and table made
	// The first member's transaction, in the middle of partition t/0's first
	// batch: what Apply writes first, then its row, not committed yet.
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	if _, err := first.Exec(ctx, insertMissingOffsets(DefaultBookkeepingSchema), group, []string{"t"}, []int32{0}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Exec(ctx, `INSERT INTO "dbo"."People" ("Id", "Name", "__source_lsn") VALUES (2, 'first', '\x00000000000000000002'::bytea)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- a.Apply(ctx, batch("t", 0, ev(tbl, event.OpCreate, 2, nil, row(int64(2), "second", nil))))
	}()
	// The successor waits for the first member's row.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the successor applied partition t/0's first batch while the first member had it in flight (err %v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the successor neither waited nor finished")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := first.Exec(ctx, `UPDATE mssql2adb.consumer_offsets SET next_offset = 1 WHERE group_id = $1 AND topic = 't'`, group); err != nil {
		t.Fatal(err)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|setup\n2|first" {
		t.Errorf("target after both members: %q, want the first member's row only", got)
	}
}

// TestPreparedBatch: a batch compacted ahead by Prepare applies as it would
// unprepared, and one delivered again in part is compacted afresh, without
// the events the target holds already.
func TestPreparedBatch(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	const topic = "p.db.dbo.People"
	prepared := func(b Batch) Batch {
		a.Prepare(&b)
		if b.grouped == nil {
			t.Fatal("Prepare compacted nothing")
		}
		return b
	}
	mustApply(t, a, prepared(batch(topic, 0,
		ev(tbl, event.OpCreate, 1, nil, row(int64(1), "ann", "a")),
		ev(tbl, event.OpUpdate, 2, row(int64(1), "ann", "a"), row(int64(1), "anne", event.Unchanged)),
		ev(tbl, event.OpCreate, 3, nil, row(int64(2), "bob", "b")))))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"); got != "1|anne|a\n2|bob|b" {
		t.Errorf("prepared batch: got %q", got)
	}
	// Offsets 1 and 2 again, the target holds them: only offset 3 applies.
	mustApply(t, a, prepared(batch(topic, 1,
		ev(tbl, event.OpDelete, 98, row(int64(1), "x", nil), nil),
		ev(tbl, event.OpCreate, 99, nil, row(int64(2), "zombie", "z")),
		ev(tbl, event.OpCreate, 4, nil, row(int64(3), "cy", "c")))))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"); got != "1|anne|a\n2|bob|b\n3|cy|c" {
		t.Errorf("partly redelivered prepared batch: got %q", got)
	}
}

// TestParallelPartitions: with Parallelism, a batch of three partitions is
// written in three transactions, each storing its own partition's offset;
// a batch one partition of which was applied already applies the others,
// and a partition that fails leaves the others applied.
func TestParallelPartitions(t *testing.T) {
	ctx := context.Background()
	_, pool := newApplier(t)
	a, err := New(ctx, pool, Config{Logger: slog.New(slog.DiscardHandler), Parallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	tbl := people()
	const topic = "p.db.dbo.People"
	// Keys 3p+1, 3p+2 in partition p, offsets from first.
	mk := func(first int64, name string, parts ...int32) Batch {
		b := Batch{Group: group}
		for _, p := range parts {
			for i := range int64(2) {
				id := int64(3*p) + i + 1
				b.Events = append(b.Events, ev(tbl, event.OpCreate, uint32(100*first+int64(p)*10+i+1), nil, row(id, fmt.Sprint(name, id), "x")))
				b.From = append(b.From, Origin{Topic: topic, Partition: p, Offset: first + i})
			}
			b.Offsets = append(b.Offsets, Offset{Topic: topic, Partition: p, Next: first + 2})
		}
		return b
	}
	// Partition 1 first, on its own.
	mustApply(t, a, mk(0, "a", 1))
	full := mk(0, "b", 0, 1, 2)
	a.Prepare(&full)
	if len(full.parts) != 3 {
		t.Fatalf("Prepare made %d parts, want 3", len(full.parts))
	}
	mustApply(t, a, full)
	want := "1|b1\n2|b2\n4|a4\n5|a5\n7|b7\n8|b8"
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	offs, err := a.Offsets(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		if offs[p].Next != 2 {
			t.Errorf("partition %d: next offset %d, want 2", p, offs[p].Next)
		}
	}
	// Partition 2's second event cannot be stored (NUL in a string):
	// partitions 0 and 1 are applied, and the error names partition 2's key.
	bad := mk(2, "c", 0, 1, 2)
	bad.Events[5].After[1] = "bad\x00"
	err = a.Apply(ctx, bad)
	if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), "key 8") {
		t.Fatalf("err = %v, want ErrValue naming key 8", err)
	}
	want = "1|c1\n2|c2\n4|c4\n5|c5\n7|b7\n8|b8"
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != want {
		t.Errorf("after a failed partition: got\n%s\nwant\n%s", got, want)
	}
}

// A consumer decodes only the key columns of before images (the others
// nil): deletes and key-changing updates apply from them alone.
func TestBeforeImagesOfKeysOnly(t *testing.T) {
	a, pool := newApplier(t)
	tbl := people()
	step := stepper(t, a, "t")
	step(ev(tbl, event.OpCreate, 10, nil, row(int64(1), "a", "x")), ev(tbl, event.OpCreate, 11, nil, row(int64(2), "b", "y")))
	step(ev(tbl, event.OpDelete, 20, row(int64(1), nil, nil), nil),
		ev(tbl, event.OpUpdate, 21, row(int64(2), nil, nil), row(int64(3), "b2", "y2")))
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name", "Bio"); got != "3|b2|y2" {
		t.Fatalf("after a delete and a key change from keys-only before images: %q, want 3|b2|y2", got)
	}
}

package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

const createT = `CREATE TABLE dbo.t (
	id int NOT NULL PRIMARY KEY,
	name nvarchar(50) NULL,
	amount decimal(12,2) NULL,
	g uniqueidentifier NULL,
	at datetime2(7) NULL,
	notes ntext NULL)`

func insertT(e *e2eEnv, id int) {
	e.t.Helper()
	e.exec(`INSERT INTO dbo.t (id, name, amount, g, at, notes) VALUES (@p1, @p2, @p3, @p4, @p5, @p6)`,
		id, fmt.Sprintf("name %d", id), fmt.Sprintf("%d.25", id),
		fmt.Sprintf("6F9619FF-8B86-D011-B42D-00C04FC9%04X", id), fmt.Sprintf("2024-01-02T03:04:05.123456%d", id%10),
		strings.Repeat("n", id))
}

func TestE2ESnapshotThenStream(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.enableTable("t", "")
	for id := 1; id <= 25; id++ {
		insertT(e, id)
	}
	e.waitCaptured("dbo_t", 25) // so that the snapshot LSN covers them on a real server
	tbl := discoverOne(t, e, e.config())

	// While the snapshot is being read, change rows it has read (1), rows
	// it has not (25) and add and remove rows: they must reach the stream
	// exactly once, the snapshot must not see them.
	during := func(n int, b Batch) error {
		if n == 0 {
			e.exec(`INSERT INTO dbo.t (id, name) VALUES (100, N'new')`)
			e.exec(`UPDATE dbo.t SET name = N'one' WHERE id = 1`)
			e.exec(`UPDATE dbo.t SET name = N'twenty-five' WHERE id = 25`)
			e.exec(`DELETE FROM dbo.t WHERE id = 20`)
		}
		return nil
	}
	ru := startRun(t, NewReader(e.db, e.config(), []*catalog.Table{tbl}), Position{}, during)
	ru.waitFor("the changes made during the snapshot", func(bs []Batch) bool {
		n := 0
		for _, ev := range events(bs) {
			if ev.Op != event.OpRead {
				n++
			}
		}
		return n >= 4
	})
	e.exec(`UPDATE dbo.t SET id = 200 WHERE id = 2`)           // key change: d + c
	e.exec(`UPDATE dbo.t SET amount = 99.99 WHERE id = 3`)     // notes untouched
	e.exec(`UPDATE dbo.t SET notes = N'changed' WHERE id = 5`) // notes touched
	e.exec(`DELETE FROM dbo.t WHERE id = 4`)
	want := readState(t, e.db, tbl)
	ru.waitFor("the table's final state", func(bs []Batch) bool {
		return diffStates(want, replay(t, events(bs))) == ""
	})
	bs := ru.batches()
	evs := events(bs)
	assertNoDuplicates(t, evs)

	// The snapshot: 25 rows in chunks of 10, the last one marked, one LSN.
	var snap []*event.Event
	for _, ev := range evs {
		if ev.Op == event.OpRead {
			snap = append(snap, ev)
		}
	}
	if len(snap) != 25 {
		t.Fatalf("snapshot has %d rows, want 25", len(snap))
	}
	for i, ev := range snap {
		wantSnap := "true"
		if i == 24 {
			wantSnap = "last"
		}
		if ev.Source.Snapshot != wantSnap || ev.Source.CommitLSN != snap[0].Source.CommitLSN || valueString(ev.After[0]) != fmt.Sprint(i+1) {
			t.Errorf("snapshot row %d: id %s snapshot %q commit %s", i, valueString(ev.After[0]), ev.Source.Snapshot, ev.Source.CommitLSN)
		}
	}
	if got := rowString(snap[0].After); got != "1|name 1|1.2500|6F9619FF-8B86-D011-B42D-00C04FC90001|2024-01-02T03:04:05.1234561Z|n" {
		t.Errorf("snapshot row 1 = %s", got)
	}
	if got := valueString(snap[24].After[1]); got != "name 25" {
		t.Errorf("row 25 in the snapshot has name %q; the update made during the snapshot leaked in", got)
	}
	snapLSN := bs[len(bs)-1].Position.Snapshot.LSN
	var sizes []int
	for _, b := range bs {
		if len(b.Events) > 0 && b.Events[0].Op == event.OpRead {
			sizes = append(sizes, len(b.Events))
		}
	}
	if fmt.Sprint(sizes) != "[10 10 5]" {
		t.Errorf("snapshot batch sizes %v, want [10 10 5]", sizes)
	}

	// The stream, in order.
	var ops []string
	for _, ev := range evs {
		if ev.Op == event.OpRead {
			continue
		}
		if ev.Source.CommitLSN.Compare(snapLSN) <= 0 {
			t.Errorf("streamed change at %s is not after the snapshot LSN %s", ev.Source.CommitLSN, snapLSN)
		}
		row := ev.After
		if ev.Op == event.OpDelete {
			row = ev.Before
		}
		ops = append(ops, fmt.Sprintf("%s%s", ev.Op, valueString(row[0])))
	}
	wantOps := "[c100 u1 u25 d20 d2 c200 u3 u5 d4]"
	if fmt.Sprint(ops) != wantOps {
		t.Errorf("stream ops %v, want %s", ops, wantOps)
	}
	for _, ev := range evs {
		switch {
		case ev.Op == event.OpUpdate && valueString(ev.After[0]) == "3":
			if valueString(ev.Before[2]) != "3.2500" || valueString(ev.After[2]) != "99.9900" {
				t.Errorf("update of 3: amount %s → %s", valueString(ev.Before[2]), valueString(ev.After[2]))
			}
			if !event.IsUnchanged(ev.After[5]) {
				t.Errorf("update of 3 left ntext untouched; after image has %s, want UNCHANGED", valueString(ev.After[5]))
			}
		case ev.Op == event.OpUpdate && valueString(ev.After[0]) == "5":
			if valueString(ev.After[5]) != "changed" {
				t.Errorf("update of 5 changed ntext; after image has %s", valueString(ev.After[5]))
			}
		case ev.Op == event.OpCreate && valueString(ev.After[0]) == "200":
			if ev.Source.TsMs == 0 || ev.Source.Snapshot != "false" {
				t.Errorf("insert of 200: source %+v", ev.Source)
			}
		}
	}
	if p := ru.r.Progress(); p.SnapshotRowsDone != 25 || p.Phase != "streaming" || p.StreamEvents < 9 {
		t.Errorf("progress %+v", p)
	}
	if p := ru.r.Progress(); len(p.Tables) != 1 || p.Tables[0] != (TableProgress{Table: "dbo.t", RowsDone: 25, RowsTotal: 25, Done: true}) {
		t.Errorf("per-table progress %+v, want dbo.t with 25 of 25 rows, done", p.Tables)
	}
}

func TestE2EResume(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.enableTable("t", "")
	for id := 1; id <= 25; id++ {
		insertT(e, id)
	}
	e.waitCaptured("dbo_t", 25)
	tbl := discoverOne(t, e, e.config())
	cfg := e.config()
	cfg.MaxBatchEvents = 3
	cfg.SnapshotChunkRows = 10 // capped to 3 by MaxBatchEvents

	// Run 1 stops when its third batch is refused.
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, func(n int, b Batch) error {
		if n == 2 {
			return errRefused
		}
		return nil
	})
	if err := ru.wait(); !errors.Is(err, errRefused) {
		t.Fatalf("Run 1 ended with %v, want the refusal", err)
	}
	first := ru.batches()
	pos := ru.position()
	// The saved position survives JSON.
	b, err := json.Marshal(pos)
	if err != nil {
		t.Fatal(err)
	}
	var back Position
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}

	// Run 2 resumes the snapshot, then streams a transaction of 7 inserts
	// that is split across batches of 3; its third batch is refused.
	ru2 := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), back, func(n int, b Batch) error {
		streamed := 0
		for _, ev := range b.Events {
			if ev.Op != event.OpRead {
				streamed++
			}
		}
		if streamed > 0 && b.Position.Stream.InTx && b.Position.Stream.Emitted > 3 {
			return errRefused
		}
		return nil
	})
	ru2.waitFor("the snapshot's end", snapshotDone)
	tx := "BEGIN TRAN;"
	for id := 31; id <= 37; id++ {
		tx += fmt.Sprintf(" INSERT INTO dbo.t (id, name) VALUES (%d, N'tx');", id)
	}
	e.exec(tx + " COMMIT;")
	if err := ru2.wait(); !errors.Is(err, errRefused) {
		t.Fatalf("Run 2 ended with %v, want the refusal", err)
	}
	second := ru2.batches()
	pos = ru2.position()
	if !pos.Stream.InTx || pos.Stream.Emitted != 3 {
		t.Fatalf("position after run 2 is %s, want inside the transaction after 3 events", pos)
	}
	if pos.Snapshot.LSN != first[len(first)-1].Position.Snapshot.LSN {
		t.Errorf("resumed snapshot moved the stream start from %s to %s; it must keep the oldest", first[len(first)-1].Position.Snapshot.LSN, pos.Snapshot.LSN)
	}

	// Run 3 finishes the transaction without repeating its first 3 events.
	ru3 := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), pos, nil)
	want := readState(t, e.db, tbl)
	ru3.waitFor("the rest of the transaction", func(bs []Batch) bool {
		all := append(append(append([]Batch(nil), first...), second...), bs...)
		return diffStates(want, replay(t, events(all))) == ""
	})
	all := append(append(append([]Batch(nil), first...), second...), ru3.batches()...)
	evs := events(all)
	assertNoDuplicates(t, evs)
	reads, creates := 0, 0
	for _, ev := range evs {
		switch ev.Op {
		case event.OpRead:
			reads++
		case event.OpCreate:
			creates++
		}
	}
	if reads != 25 || creates != 7 {
		t.Errorf("got %d snapshot rows and %d inserts over three runs, want 25 and 7", reads, creates)
	}
}

func TestE2ERetention(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.enableTable("t", "")
	tbl := discoverOne(t, e, e.config())
	ru := startRun(t, NewReader(e.db, e.config(), []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	if err := ru.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v, want context.Canceled", err)
	}
	pos := ru.position()
	for id := 1; id <= 3; id++ {
		insertT(e, id)
	}
	e.waitCaptured("dbo_t", 3)
	e.exec(`DECLARE @l binary(10) = sys.fn_cdc_get_max_lsn();
EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_t', @low_water_mark = @l, @threshold = 5000;`)
	ru2 := startRun(t, NewReader(e.db, e.config(), []*catalog.Table{tbl}), pos, nil)
	err := ru2.wait()
	if !errors.Is(err, ErrOutOfRetention) {
		t.Fatalf("Run from a cleaned-up position ended with %v, want ErrOutOfRetention", err)
	}
	var lost *RetentionError
	if !errors.As(err, &lost) || lost.MinLSN.Compare(lost.Position) <= 0 {
		t.Fatalf("Run from a cleaned-up position ended with %v, want a *RetentionError with the minimum LSN after the position", err)
	}
	errorContains(t, err, "dbo_t", "new snapshot", lost.Position.String(), lost.MinLSN.String(), "RETENTION_LOSS=resnapshot")
}

// TestE2ERetentionResnapshot: with ResnapshotLost, the table whose unread
// changes were cleaned up is snapshotted again (its rows as they are now,
// with a new table incarnation) while the other table streams its changes
// on, and the table then streams too.
func TestE2ERetentionResnapshot(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.enableTable("t", "")
	e.exec(`CREATE TABLE dbo.u (id int NOT NULL PRIMARY KEY, v int NULL)`)
	e.enableTable("u", "")
	for id := 1; id <= 5; id++ {
		insertT(e, id)
	}
	cfg := e.config()
	cfg.ResnapshotLost = true
	tables, _, err := Discover(context.Background(), e.db, cfg)
	if err != nil || len(tables) != 2 {
		t.Fatalf("Discover: %d tables, %v; want 2", len(tables), err)
	}
	ru := startRun(t, NewReader(e.db, cfg, tables), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	if err := ru.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v, want context.Canceled", err)
	}
	pos := ru.position()

	// While the producer is down: t loses rows 1 and 2 and gains 6 and 7,
	// u gains a row; then the cleanup job removes t's changes only.
	insertT(e, 6)
	insertT(e, 7)
	e.exec("DELETE FROM dbo.t WHERE id <= 2")
	e.exec("INSERT INTO dbo.u (id, v) VALUES (1, 10)")
	e.waitCaptured("dbo_t", 4)
	e.waitCaptured("dbo_u", 1)
	e.exec(`DECLARE @l binary(10) = sys.fn_cdc_get_max_lsn();
EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_t', @low_water_mark = @l, @threshold = 5000;`)

	ru2 := startRun(t, NewReader(e.db, cfg, tables), pos, nil)
	ru2.waitFor("t snapshotted again", func(bs []Batch) bool {
		return len(bs) > 0 && bs[len(bs)-1].Position.Snapshot.Tables["dbo.t"].Done && !bs[len(bs)-1].Position.Snapshot.Tables["dbo.t"].Resnapshot.IsZero()
	})
	insertT(e, 8)
	ru2.waitFor("the insert of t after its new snapshot", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if ev.Table.Name == "t" && ev.Op == event.OpCreate {
				return true
			}
		}
		return false
	})
	if err := ru2.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v, want context.Canceled", err)
	}
	var snap []string
	var streamed []string
	var incarnations = map[string]bool{}
	for _, ev := range events(ru2.batches()) {
		row := ev.After
		if row == nil {
			row = ev.Before
		}
		desc := fmt.Sprintf("%s %c %v", ev.Table.Name, ev.Op, row[0])
		if ev.Op == event.OpRead {
			snap = append(snap, desc)
		} else {
			streamed = append(streamed, desc)
		}
		if ev.Table.Name == "t" {
			incarnations[ev.Source.Incarnation] = true
		}
	}
	if got, want := strings.Join(snap, ", "), "t r 3, t r 4, t r 5, t r 6, t r 7"; got != want {
		t.Errorf("new snapshot: %s; want %s", got, want)
	}
	if got, want := strings.Join(streamed, ", "), "u c 1, t c 8"; got != want {
		t.Errorf("streamed: %s; want %s (u's change streamed, none of t's lost ones)", got, want)
	}
	resnap := ru2.position().Snapshot.Tables["dbo.t"].Resnapshot
	if len(incarnations) != 1 || !incarnations[event.TableIncarnation(pos.Incarnation, resnap)] || resnap.IsZero() {
		t.Errorf("t's events carry incarnations %v; want only %q", incarnations, event.TableIncarnation(pos.Incarnation, resnap))
	}
}

func TestE2EDiscover(t *testing.T) {
	t.Run("database without CDC", func(t *testing.T) {
		e := newEnv(t, false)
		e.exec(createT)
		_, _, err := Discover(context.Background(), e.db, e.config())
		errorContains(t, err, e.name, "sys.sp_cdc_enable_db")
	})
	t.Run("table without primary key", func(t *testing.T) {
		e := newEnv(t, true)
		e.exec(`CREATE TABLE dbo.nokey (id int NOT NULL, v int NULL)`)
		e.enableTable("nokey", "")
		_, _, err := Discover(context.Background(), e.db, e.config())
		errorContains(t, err, "nokey", "no primary key")
	})
	t.Run("included table without CDC", func(t *testing.T) {
		e := newEnv(t, true)
		e.exec(createT)
		e.enableTable("t", "")
		e.exec(`CREATE TABLE dbo.plain (id int NOT NULL PRIMARY KEY)`)
		cfg := e.config()
		cfg.Tables = []string{"dbo.t", "dbo.plain"}
		_, _, err := Discover(context.Background(), e.db, cfg)
		errorContains(t, err, "dbo.plain", "sys.sp_cdc_enable_table", "@source_name = N'plain'")
	})
	t.Run("columns, types and capture instances", func(t *testing.T) {
		e := newEnv(t, true)
		e.exec(`CREATE TABLE dbo.wide (
			id bigint NOT NULL,
			code char(3) NOT NULL,
			title nvarchar(40) COLLATE Latin1_General_CI_AS NULL,
			body nvarchar(max) NULL,
			price decimal(18,4) NULL,
			at datetimeoffset(3) NULL,
			rv rowversion,
			place geography NULL,
			anything sql_variant NULL,
			CONSTRAINT pk_wide PRIMARY KEY (code, id))`)
		e.enableTable("wide", "dbo_wide")
		e.enableTable("wide", "dbo_wide_v2")
		tables, warns, err := Discover(context.Background(), e.db, e.config())
		if err != nil {
			t.Fatal(err)
		}
		tb := tables[0]
		if tb.CaptureInstance != "dbo_wide_v2" || fmt.Sprint(tb.PrimaryKey) != "[code id]" {
			t.Errorf("instance %s key %v, want dbo_wide_v2 and [code id]", tb.CaptureInstance, tb.PrimaryKey)
		}
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, fmt.Sprintf("%s:%s:%v:%s", c.Name, c.TypeString(), c.Nullable, c.Collation))
		}
		wantCols := "[id:bigint:false: code:char(3):false:" + tb.Columns[1].Collation +
			" title:nvarchar(40):true:Latin1_General_CI_AS body:nvarchar(max):true:" + tb.Columns[3].Collation +
			" price:decimal(18,4):true: at:datetimeoffset(3):true:]"
		if fmt.Sprint(cols) != wantCols {
			t.Errorf("columns\n got %v\nwant %s", cols, wantCols)
		}
		if tb.Columns[1].Collation == "" {
			t.Error("char column has no collation")
		}
		var msgs []string
		for _, w := range warns {
			msgs = append(msgs, w.Message)
		}
		joined := strings.Join(msgs, "\n")
		for _, want := range []string{
			"column dbo.wide.rv of type timestamp is not synchronized",
			"column dbo.wide.place of type geography is not synchronized",
			"column dbo.wide.anything of type sql_variant is not synchronized",
			"reading the newest, dbo_wide_v2",
		} {
			if !strings.Contains(joined, want) {
				t.Errorf("warnings lack %q:\n%s", want, joined)
			}
		}
	})
}

// TestE2ESnapshotCompositeKey pages a table whose key mixes types through
// several chunks: each chunk after the first passes the last key back as
// typed parameters, so every row must come exactly once.
func TestE2ESnapshotCompositeKey(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.ck (
		region nvarchar(20) NOT NULL,
		at datetime2(7) NOT NULL,
		g uniqueidentifier NOT NULL,
		price decimal(10,2) NOT NULL,
		v int NULL,
		CONSTRAINT pk_ck PRIMARY KEY (region, at, g, price))`)
	e.enableTable("ck", "")
	n := 0
	for _, region := range []string{"north", "south"} {
		for i := 0; i < 4; i++ {
			for _, price := range []string{"1.50", "-2.25"} {
				n++
				e.exec(`INSERT INTO dbo.ck (region, at, g, price, v) VALUES (@p1, @p2, @p3, @p4, @p5)`,
					region, fmt.Sprintf("2024-05-0%dT10:00:00.000000%d", 1+i%2, i), fmt.Sprintf("%08X-0000-0000-0000-%012X", 7-i, i*3), price, n)
			}
		}
	}
	tbl := discoverOne(t, e, e.config())
	cfg := e.config()
	cfg.SnapshotChunkRows = 3
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	evs := events(ru.batches())
	assertNoDuplicates(t, evs)
	if len(evs) != n {
		t.Errorf("snapshot has %d rows, want %d", len(evs), n)
	}
	if d := diffStates(readState(t, e.db, tbl), replay(t, evs)); d != "" {
		t.Errorf("snapshot differs from the table:\n%s", d)
	}
}

// TestE2ESnapshotBoundsBytes: rows with large values end a snapshot chunk
// at MaxBatchBytes, and the next chunks ask for fewer rows; every row is
// delivered once, and no batch of more than one row exceeds the bound.
func TestE2ESnapshotBoundsBytes(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.big (id int NOT NULL PRIMARY KEY, v nvarchar(max) NULL)`)
	e.enableTable("big", "")
	const rows = 25
	for i := 1; i <= rows; i++ {
		e.exec(`INSERT INTO dbo.big (id, v) VALUES (@p1, REPLICATE(N'x', 1000 * @p1))`, i)
	}
	tbl := discoverOne(t, e, e.config())
	cfg := e.config()
	cfg.MaxBatchBytes = 5000
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	var n int
	for i, b := range ru.batches() {
		var size int64
		for _, ev := range b.Events {
			if ev.Op == event.OpRead {
				n++
				size += rowBytes(ev.After)
			}
		}
		if len(b.Events) > 1 && size > 2*cfg.MaxBatchBytes {
			t.Errorf("batch %d: %d rows of %d value bytes, far above MaxBatchBytes %d", i, len(b.Events), size, cfg.MaxBatchBytes)
		}
	}
	evs := events(ru.batches())
	assertNoDuplicates(t, evs)
	if n != rows {
		t.Errorf("snapshot has %d rows, want %d", n, rows)
	}
	if d := diffStates(readState(t, e.db, tbl), replay(t, evs)); d != "" {
		t.Errorf("snapshot differs from the table:\n%s", d)
	}
}

// TestE2EReadCommittedFallback reads the snapshot of a database without
// ALLOW_SNAPSHOT_ISOLATION: it warns and still delivers every row.
func TestE2EReadCommittedFallback(t *testing.T) {
	e := newEnv(t, true)
	e.exec("ALTER DATABASE " + quoteName(e.name) + " SET ALLOW_SNAPSHOT_ISOLATION OFF")
	e.exec(createT)
	e.enableTable("t", "")
	for id := 1; id <= 5; id++ {
		insertT(e, id)
	}
	tbl := discoverOne(t, e, e.config())
	cfg := e.config()
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`UPDATE dbo.t SET name = N'after' WHERE id = 5`)
	want := readState(t, e.db, tbl)
	ru.waitFor("the update", func(bs []Batch) bool { return diffStates(want, replay(t, events(bs))) == "" })
	if !strings.Contains(logs.String(), "READ COMMITTED") || !strings.Contains(logs.String(), "ALLOW_SNAPSHOT_ISOLATION ON") {
		t.Errorf("no warning about the READ COMMITTED fallback in the log:\n%s", logs.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestE2ETwoTablesOneTransaction merges two capture instances: changes of
// one transaction come out in the order they were made, across tables.
func TestE2ETwoTablesOneTransaction(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.a (id int NOT NULL PRIMARY KEY, v nvarchar(10) NULL)`)
	e.exec(`CREATE TABLE dbo.b (id int NOT NULL PRIMARY KEY, v nvarchar(10) NULL)`)
	e.enableTable("a", "")
	e.enableTable("b", "")
	tables, _, err := Discover(context.Background(), e.db, e.config())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].Name != "a" || tables[1].Name != "b" {
		t.Fatalf("Discover found %v, want dbo.a and dbo.b in order", tables)
	}
	ru := startRun(t, NewReader(e.db, e.config(), tables), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`BEGIN TRAN;
INSERT INTO dbo.b (id, v) VALUES (1, N'b1');
INSERT INTO dbo.a (id, v) VALUES (1, N'a1');
UPDATE dbo.b SET v = N'b1x' WHERE id = 1;
DELETE FROM dbo.a WHERE id = 1;
INSERT INTO dbo.a (id, v) VALUES (2, N'a2');
COMMIT;`)
	e.exec(`INSERT INTO dbo.b (id, v) VALUES (2, N'b2')`)
	ru.waitFor("both transactions", func(bs []Batch) bool { return len(events(bs)) >= 6 })
	var got []string
	var commits []string
	for _, ev := range events(ru.batches()) {
		row := ev.After
		if ev.Op == event.OpDelete {
			row = ev.Before
		}
		got = append(got, fmt.Sprintf("%s:%s%s", ev.Table.Name, ev.Op, valueString(row[0])))
		commits = append(commits, ev.Source.CommitLSN.String())
	}
	if want := "[b:c1 a:c1 b:u1 a:d1 a:c2 b:c2]"; fmt.Sprint(got) != want {
		t.Errorf("events %v, want %s", got, want)
	}
	if len(commits) == 6 && (commits[0] != commits[4] || commits[4] == commits[5]) {
		t.Errorf("commit LSNs %v: the first five events share one transaction, the last has its own", commits)
	}
}

// TestE2EIdleCheckpoint moves the saved position forward with an empty
// batch while only tables this reader does not read change.
func TestE2EIdleCheckpoint(t *testing.T) {
	e := newEnv(t, true)
	e.exec(createT)
	e.exec(`CREATE TABLE dbo.other (id int NOT NULL PRIMARY KEY)`)
	e.enableTable("t", "")
	e.enableTable("other", "")
	cfg := e.config()
	cfg.Tables = []string{"dbo.t"}
	cfg.IdleCheckpoint = time.Millisecond
	tbl := discoverOne(t, e, cfg)
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`INSERT INTO dbo.other (id) VALUES (1)`)
	ru.waitFor("an empty batch that moves the position", func(bs []Batch) bool {
		last := bs[len(bs)-1]
		return len(last.Events) == 0 && !last.Position.Stream.CommitLSN.IsZero()
	})
	if n := len(events(ru.batches())); n != 0 {
		t.Errorf("got %d events, want none: dbo.t did not change", n)
	}
}

// TestE2EHandoffUnderCaptureLag takes the snapshot while the capture job
// has not yet harvested the latest commits: the snapshot LSN is then older
// than the rows read, the stream delivers those commits again, and the
// replayed result must still equal the table (no gap; overlap is allowed).
func TestE2EHandoffUnderCaptureLag(t *testing.T) {
	e := newEnvLag(t, true, 200*time.Millisecond)
	e.exec(createT)
	e.enableTable("t", "")
	for id := 1; id <= 10; id++ {
		insertT(e, id)
	}
	tbl := discoverOne(t, e, e.config())
	ru := startRun(t, NewReader(e.db, e.config(), []*catalog.Table{tbl}), Position{}, func(n int, b Batch) error {
		if n == 0 {
			e.exec(`UPDATE dbo.t SET name = N'during' WHERE id = 10`)
		}
		return nil
	})
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`DELETE FROM dbo.t WHERE id = 1`)
	want := readState(t, e.db, tbl)
	ru.waitFor("the table's final state", func(bs []Batch) bool {
		evs := events(bs)
		deleted := false
		for _, ev := range evs {
			deleted = deleted || (ev.Op == event.OpDelete && valueString(ev.Before[0]) == "1")
		}
		return deleted && diffStates(want, replay(t, evs)) == ""
	})
	overlap := 0
	for _, ev := range events(ru.batches()) {
		if ev.Op == event.OpCreate {
			overlap++
		}
	}
	t.Logf("the stream re-delivered %d inserts the snapshot already held", overlap)
}

package source

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/selection"
)

// replayFilled is replay for a table that gained columns: a row an event of
// an older shape wrote reads, in a column it lacks, the fill an event of the
// newer shape announces (what the target's column default gives it), else NULL.
func replayFilled(t *testing.T, evs []*event.Event, final *catalog.Table) map[string]string {
	t.Helper()
	fills := map[string]string{}
	for _, e := range evs {
		for _, c := range e.Table.Columns {
			if c.HasFill {
				fills[lower(c.Name)] = c.Fill
			}
		}
	}
	state := map[string]map[string]string{}
	for _, e := range evs {
		if e.Op == event.OpDelete {
			delete(state, keyString(e.Table, e.Before))
			continue
		}
		k := keyString(e.Table, e.After)
		row := state[k]
		if row == nil {
			row = map[string]string{}
			for _, c := range final.Columns {
				if f, ok := fills[lower(c.Name)]; ok {
					row[lower(c.Name)] = f
				} else {
					row[lower(c.Name)] = "NULL"
				}
			}
			state[k] = row
		}
		for i, c := range e.Table.Columns {
			if !event.IsUnchanged(e.After[i]) {
				row[lower(c.Name)] = valueString(e.After[i])
			}
		}
	}
	out := map[string]string{}
	for k, row := range state {
		parts := make([]string, len(final.Columns))
		for i, c := range final.Columns {
			parts[i] = row[lower(c.Name)]
		}
		out[k] = strings.Join(parts, "|")
	}
	return out
}

func (e *e2eEnv) instances() string {
	e.t.Helper()
	rows, err := e.db.Query("SELECT capture_instance FROM cdc.change_tables ORDER BY capture_instance")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (e *e2eEnv) waitInstances(want string) {
	e.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for got := e.instances(); got != want; got = e.instances() {
		if time.Now().After(deadline) {
			e.t.Fatalf("capture instances %q, want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestE2EAddColumnSwitchesCaptureInstance: ADD COLUMN on a captured table,
// in a transaction that writes rows before and after it, is followed by a
// second capture instance the reader creates, reads from its start and
// keeps alone; every change arrives once and the replayed rows equal the
// table, the new columns' values and defaults included.
func TestE2EAddColumnSwitchesCaptureInstance(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.s (id int NOT NULL PRIMARY KEY, name nvarchar(50) NULL)`)
	e.enableTable("s", "")
	for id := 1; id <= 3; id++ {
		e.exec(`INSERT INTO dbo.s (id, name) VALUES (@p1, @p2)`, id, fmt.Sprint("name ", id))
	}
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	tbl := discoverOne(t, e, cfg)
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)

	tx, err := e.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO dbo.s (id, name) VALUES (10, N'before the ALTER')`,
		`ALTER TABLE dbo.s ADD cc int NOT NULL CONSTRAINT DF_s_cc DEFAULT (42), note nvarchar(20) NULL`,
		`INSERT INTO dbo.s (id, name, cc, note) VALUES (11, N'after the ALTER', 7, N'n11')`,
	} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE dbo.s SET name = N'one', note = N'n1' WHERE id = 1`)
	e.waitInstances("dbo_s_v2")
	e.exec(`INSERT INTO dbo.s (id, name, cc) VALUES (12, N'twelve', 9)`)
	e.exec(`UPDATE dbo.s SET cc = 8 WHERE id = 2`)
	e.exec(`DELETE FROM dbo.s WHERE id = 3`)

	final := discoverOne(t, e, cfg)
	if final.CaptureInstance != "dbo_s_v2" || len(final.Columns) != 4 {
		t.Fatalf("after the switch Discover reads %s with %d columns", final.CaptureInstance, len(final.Columns))
	}
	want := readState(t, e.db, final)
	ru.waitFor("the table's final state", func(bs []Batch) bool {
		return diffStates(want, replayFilled(t, events(bs), final)) == ""
	})
	seen := map[string]bool{}
	var last *catalog.Table
	for _, ev := range events(ru.batches()) {
		if ev.Op == event.OpRead {
			continue
		}
		id := changeID(ev)
		if seen[id] {
			t.Errorf("change emitted twice: %s", id)
		}
		seen[id] = true
		last = ev.Table
	}
	if last == nil || last.CaptureInstance != "dbo_s_v2" {
		t.Fatalf("the last change was not read through dbo_s_v2: %+v", last)
	}
	cc, note := last.Columns[last.ColumnIndex("cc")], last.Columns[last.ColumnIndex("note")]
	if !cc.Optional || !cc.HasFill || cc.Fill != "42" || cc.Nullable {
		t.Errorf("cc in events: %+v, want optional with fill 42", cc)
	}
	if !note.Optional || note.HasFill {
		t.Errorf("note in events: %+v, want optional without fill", note)
	}
	if p := ru.position(); fmt.Sprint(p.Snapshot.Tables["dbo.s"].Added) != "[cc note]" {
		t.Errorf("position's added columns: %v", p.Snapshot.Tables["dbo.s"].Added)
	}
}

// TestE2EManualCaptureInstances: with management off the reader only says
// what to run, and switches once a DBA has run it.
func TestE2EManualCaptureInstances(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.m (id int NOT NULL PRIMARY KEY, name nvarchar(50) NULL)`)
	e.enableTable("m", "")
	var logs lockedBuffer
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	cfg.ManualCaptureInstances = true
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tbl := discoverOne(t, e, cfg)
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`ALTER TABLE dbo.m ADD extra int NULL`)
	e.exec(`INSERT INTO dbo.m (id, name, extra) VALUES (1, N'a', 5)`)
	stmt := "EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'm', @role_name = NULL, @capture_instance = N'dbo_m_v2', @supports_net_changes = 1, @index_name = N'"
	deadline := time.Now().Add(e2eWait)
	for !strings.Contains(logs.String(), stmt) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with the statement to run; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := e.instances(); got != "dbo_m" {
		t.Fatalf("capture instances %q: management is off, the reader must not create one", got)
	}
	i := strings.Index(logs.String(), stmt)
	line := logs.String()[i:]
	line = line[:strings.Index(line, ";")+1]
	e.exec(line)
	for !strings.Contains(logs.String(), "switching capture instance") {
		if time.Now().After(deadline) {
			t.Fatalf("the reader did not switch; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.exec(`INSERT INTO dbo.m (id, name, extra) VALUES (2, N'b', 6)`)
	ru.waitFor("the insert read through dbo_m_v2", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if ev.Op == event.OpCreate && valueString(ev.After[0]) == "2" {
				return ev.Table.CaptureInstance == "dbo_m_v2" && valueString(ev.After[2]) == "6"
			}
		}
		return false
	})
	final := discoverOne(t, e, cfg)
	want := readState(t, e.db, final)
	ru.waitFor("the table's final state", func(bs []Batch) bool {
		return diffStates(want, replayFilled(t, events(bs), final)) == ""
	})
	if got := e.instances(); got != "dbo_m,dbo_m_v2" {
		t.Errorf("capture instances %q: management is off, the old one stays", got)
	}
}

// TestE2EOtherDDLStopsTheTable: a dropped column, a retyped column and CDC
// disabled each stop their table with a log line saying what to do; the
// other tables keep flowing, and the stop is saved with the position.
func TestE2EOtherDDLStopsTheTable(t *testing.T) {
	e := newEnv(t, true)
	for _, name := range []string{"a", "b", "c", "d", "ok"} {
		e.exec(`CREATE TABLE dbo.` + name + ` (id int NOT NULL PRIMARY KEY, v varchar(10) NULL, w int NULL)`)
		e.enableTable(name, "")
	}
	var logs lockedBuffer
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tables, _, err := Discover(t.Context(), e.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(e.db, cfg, tables)
	ru := startRun(t, r, Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`ALTER TABLE dbo.a DROP COLUMN w`)
	e.exec(`ALTER TABLE dbo.b ALTER COLUMN v varchar(20) NULL`)
	e.exec(`EXEC sys.sp_cdc_disable_table @source_schema = N'dbo', @source_name = N'c', @capture_instance = N'all'`)
	e.exec(`DROP TABLE dbo.d`)
	deadline := time.Now().Add(e2eWait)
	for r.Progress().TablesStopped < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tables stopped; logs:\n%s", r.Progress().TablesStopped, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.exec(`INSERT INTO dbo.ok (id, v) VALUES (1, 'x')`)
	ru.waitFor("the other table's insert", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if ev.Op == event.OpCreate && ev.Table.Name == "ok" {
				return true
			}
		}
		return false
	})
	out := logs.String()
	for _, want := range []string{
		`table stopped: column w was dropped or renamed; the pipeline cannot follow this change`,
		`table stopped: column v changed from varchar(10) NULL to varchar(20) NULL`,
		`table stopped: change data capture was disabled for the table; its topic and target table are left as they are`,
		`table stopped: the table was dropped; its topic and target table are left as they are`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no log line %q; logs:\n%s", want, out)
		}
	}
	p := ru.position()
	for _, name := range []string{"dbo.a", "dbo.b", "dbo.c", "dbo.d"} {
		if p.Snapshot.Tables[name].Stopped == "" {
			t.Errorf("%s: the saved position does not say it stopped", name)
		}
	}
	if p.Snapshot.Tables["dbo.ok"].Stopped != "" {
		t.Errorf("dbo.ok stopped: %s", p.Snapshot.Tables["dbo.ok"].Stopped)
	}
}

// TestE2ETableJoinsWhileRunning: a table enabled for CDC after the reader
// started is snapshotted and streamed, with no gap and no change twice.
func TestE2ETableJoinsWhileRunning(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.first (id int NOT NULL PRIMARY KEY)`)
	e.enableTable("first", "")
	e.exec(`CREATE TABLE dbo.later (id int NOT NULL PRIMARY KEY, v nvarchar(20) NULL)`)
	for id := 1; id <= 25; id++ {
		e.exec(`INSERT INTO dbo.later (id, v) VALUES (@p1, N'before')`, id)
	}
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	var joined []string
	cfg.OnNewTable = func(_ context.Context, t *catalog.Table) error {
		joined = append(joined, t.QualifiedName())
		return nil
	}
	first := discoverOne(t, e, cfg)
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{first}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`INSERT INTO dbo.first (id) VALUES (1)`)
	e.enableTable("later", "")
	e.exec(`UPDATE dbo.later SET v = N'after' WHERE id = 3`)
	e.exec(`DELETE FROM dbo.later WHERE id = 4`)
	e.exec(`INSERT INTO dbo.later (id, v) VALUES (100, N'new')`)
	cfg.Tables = []string{"dbo.later"}
	later := discoverOne(t, e, cfg)
	want := readState(t, e.db, later)
	ru.waitFor("the joined table's rows", func(bs []Batch) bool {
		var evs []*event.Event
		for _, ev := range events(bs) {
			if ev.Table.Name == "later" {
				evs = append(evs, ev)
			}
		}
		return diffStates(want, replay(t, evs)) == ""
	})
	assertNoDuplicates(t, events(ru.batches()))
	if len(joined) != 1 || !strings.HasSuffix(joined[0], ".dbo.later") {
		t.Errorf("OnNewTable calls: %v", joined)
	}
	if p := ru.position(); !p.Snapshot.Tables["dbo.later"].Done {
		t.Errorf("the joined table's snapshot is not marked done: %+v", p.Snapshot.Tables["dbo.later"])
	}
}

// TestE2ERestartDuringSwitch: the producer is down (killed, say) between
// the creation of the second capture instance and the end of the switch.
// Discover then picks the newest instance, but the saved position is before
// its start: the reader reads the old one up to there first, re-reads the
// rows changed after the ALTER, and finishes the switch.
func TestE2ERestartDuringSwitch(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.r (id int NOT NULL PRIMARY KEY, name nvarchar(50) NULL)`)
	e.enableTable("r", "")
	e.exec(`INSERT INTO dbo.r (id, name) VALUES (1, N'one'), (2, N'two')`)
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{discoverOne(t, e, cfg)}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	if err := ru.stop(); err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
	first := ru.batches()
	saved := ru.position()

	e.exec(`INSERT INTO dbo.r (id, name) VALUES (3, N'old instance only')`)
	e.exec(`ALTER TABLE dbo.r ADD score int NOT NULL CONSTRAINT DF_r_score DEFAULT (5)`)
	e.exec(`INSERT INTO dbo.r (id, name, score) VALUES (4, N'after the ALTER', 40)`)
	e.exec(`UPDATE dbo.r SET score = 10 WHERE id = 1`)
	e.enableTable("r", "dbo_r_v2")
	e.exec(`INSERT INTO dbo.r (id, name, score) VALUES (5, N'both instances', 50)`)
	e.exec(`DELETE FROM dbo.r WHERE id = 2`)

	final := discoverOne(t, e, cfg)
	if final.CaptureInstance != "dbo_r_v2" {
		t.Fatalf("Discover picked %s, want the newest instance", final.CaptureInstance)
	}
	ru2 := startRun(t, NewReader(e.db, cfg, []*catalog.Table{final}), saved, nil)
	want := readState(t, e.db, final)
	ru2.waitFor("the table's final state", func(bs []Batch) bool {
		return diffStates(want, replayFilled(t, append(events(first), events(bs)...), final)) == ""
	})
	e.waitInstances("dbo_r_v2")
	seen := map[string]bool{}
	for _, ev := range events(ru2.batches()) {
		id := changeID(ev)
		if ev.Op != event.OpRead && seen[id] {
			t.Errorf("change emitted twice: %s", id)
		}
		seen[id] = true
	}
}

// TestE2ETwoInstancesAlready: a table that already has SQL Server's two
// capture instances cannot get a third for an added column; the log says
// which one to drop, and the table keeps flowing without the column.
func TestE2ETwoInstancesAlready(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.two (id int NOT NULL PRIMARY KEY, name nvarchar(50) NULL)`)
	e.enableTable("two", "")
	e.enableTable("two", "dbo_two_b")
	var logs lockedBuffer
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tbl := discoverOne(t, e, cfg)
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{tbl}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`ALTER TABLE dbo.two ADD extra int NULL`)
	e.exec(`INSERT INTO dbo.two (id, name, extra) VALUES (1, N'a', 1)`)
	ru.waitFor("the insert without the new column", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if ev.Op == event.OpCreate {
				return len(ev.After) == 2
			}
		}
		return false
	})
	want := "already has two capture instances (dbo_two and dbo_two_b), SQL Server's maximum"
	deadline := time.Now().Add(e2eWait)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line %q; logs:\n%s", want, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "@capture_instance = N'dbo_two'") {
		t.Errorf("the message does not name the instance to drop:\n%s", logs.String())
	}
	if got := e.instances(); got != "dbo_two,dbo_two_b" {
		t.Errorf("capture instances %q", got)
	}
}

// changeID identifies a change: its position and its row's key (the rows
// read again at a capture-instance switch share one position).
func changeID(ev *event.Event) string {
	row := ev.After
	if ev.Op == event.OpDelete {
		row = ev.Before
	}
	return fmt.Sprintf("%s:%s:%s:%d:%s", ev.Source.CommitLSN, ev.Source.ChangeLSN, ev.Op, ev.Source.EventSerialNo, keyString(ev.Table, row))
}

// manualSwitch captures dbo.<name>, runs a reader that manages capture
// instances by hand and checks the schema every interval; after the
// snapshot a DBA adds column v and creates dbo_<name>_v2, and a row (1, 10)
// is inserted. It returns once that row has been read with v through the
// new instance: as an insert, or (when the reader read it through the old
// instance before it saw the new one) re-read as an update once the switch
// completes, even though nothing else is written to the table.
func manualSwitch(t *testing.T, name string, interval time.Duration) (*e2eEnv, Config, *runner) {
	t.Helper()
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.` + name + ` (id int NOT NULL PRIMARY KEY)`)
	e.enableTable(name, "")
	cfg := e.config()
	cfg.SchemaCheckInterval = interval
	cfg.ManualCaptureInstances = true
	ru := startRun(t, NewReader(e.db, cfg, []*catalog.Table{discoverOne(t, e, cfg)}), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.exec(`ALTER TABLE dbo.` + name + ` ADD v int NULL`)
	e.enableTable(name, "dbo_"+name+"_v2")
	e.exec(`INSERT INTO dbo.` + name + ` (id, v) VALUES (1, 10)`)
	ru.waitFor("row 1 with v=10 through dbo_"+name+"_v2", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if (ev.Op == event.OpCreate || ev.Op == event.OpUpdate) && ev.Table.CaptureInstance == "dbo_"+name+"_v2" &&
				valueString(ev.After[0]) == "1" && valueString(ev.After[ev.Table.ColumnIndex("v")]) == "10" {
				return true
			}
		}
		return false
	})
	return e, cfg, ru
}

// TestE2ELeftoverInstanceDropped: a switch completed without dropping the
// old instance (managed by hand then, or the producer stopped in between);
// a reader that manages instances drops it at its first check.
func TestE2ELeftoverInstanceDropped(t *testing.T) {
	e, cfg, ru := manualSwitch(t, "l", 20*time.Millisecond)
	if err := ru.stop(); err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
	if got := e.instances(); got != "dbo_l,dbo_l_v2" {
		t.Fatalf("capture instances %q before the managing reader", got)
	}
	cfg.ManualCaptureInstances = false
	startRun(t, NewReader(e.db, cfg, []*catalog.Table{discoverOne(t, e, cfg)}), ru.position(), nil)
	e.waitInstances("dbo_l_v2")
}

// TestE2EManualSwitchWhileIdle: with the schema checked only every few
// seconds, the reader mostly reads the row through the old instance before
// it finds the new one (the case that once left the switch pending until
// the table's next change).
func TestE2EManualSwitchWhileIdle(t *testing.T) {
	manualSwitch(t, "w", 2*time.Second)
}

// TestE2ESelectedTables: Config.Select (the producer's INCLUDE_TABLES and
// EXCLUDE_TABLES) picks the tables at start and among those enabled for
// CDC later; a selection that leaves nothing is refused with the reason.
func TestE2ESelectedTables(t *testing.T) {
	e := newEnv(t, true)
	for _, name := range []string{"orders", "orders_audit", "customers"} {
		e.exec(`CREATE TABLE dbo.` + name + ` (id int NOT NULL PRIMARY KEY)`)
		e.enableTable(name, "")
	}
	e.exec(`CREATE TABLE dbo.orders_late (id int NOT NULL PRIMARY KEY)`)
	e.exec(`CREATE TABLE dbo.items_late (id int NOT NULL PRIMARY KEY)`)
	cfg := e.config()
	cfg.SchemaCheckInterval = 20 * time.Millisecond
	cfg.Select = func(schema, table string) bool {
		return selection.Selected([]string{"dbo.orders*"}, []string{"*.*_audit"}, cfg.Database, schema, table)
	}
	tables, _, err := Discover(t.Context(), e.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Name != "orders" {
		t.Fatalf("Discover selected %v, want only dbo.orders", tables)
	}
	var joined []string
	cfg.OnNewTable = func(_ context.Context, t *catalog.Table) error {
		joined = append(joined, t.Name)
		return nil
	}
	ru := startRun(t, NewReader(e.db, cfg, tables), Position{}, nil)
	ru.waitFor("the snapshot's end", snapshotDone)
	e.enableTable("items_late", "")
	e.enableTable("orders_late", "")
	e.exec(`INSERT INTO dbo.items_late (id) VALUES (1)`)
	e.exec(`INSERT INTO dbo.orders_late (id) VALUES (1)`)
	// The row comes as an insert when the table joined before it was
	// written, else in the table's snapshot.
	ru.waitFor("the row of dbo.orders_late", func(bs []Batch) bool {
		for _, ev := range events(bs) {
			if ev.Table.Name == "orders_late" && (ev.Op == event.OpCreate || ev.Op == event.OpRead) {
				return true
			}
		}
		return false
	})
	for _, ev := range events(ru.batches()) {
		if ev.Table.Name != "orders" && ev.Table.Name != "orders_late" {
			t.Fatalf("an event of %s, which the selection leaves out", ev.Table.QualifiedName())
		}
	}
	if len(joined) != 1 || joined[0] != "orders_late" {
		t.Errorf("tables joined while running: %v, want [orders_late]", joined)
	}

	cfg.Select = func(schema, table string) bool {
		return selection.Selected([]string{"sales.*"}, nil, cfg.Database, schema, table)
	}
	if _, _, err := Discover(t.Context(), e.db, cfg); err == nil || !strings.Contains(err.Error(), "INCLUDE_TABLES and EXCLUDE_TABLES") {
		t.Errorf("Discover with a selection matching nothing: %v", err)
	}
}

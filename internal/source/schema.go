package source

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// Schema changes while streaming. Every Config.SchemaCheckInterval the
// reader compares each table it reads with the catalog:
//
//   - a column added (ALTER TABLE … ADD) is not captured by the table's
//     capture instance, by SQL Server's design; the reader creates a second
//     one like the first that captures every column (or, with
//     Config.ManualCaptureInstances, logs the statement for a DBA and waits
//     for it), reads the old instance up to just before the new one's
//     start_lsn and the new one from there, then drops the old one;
//   - a column dropped, renamed or retyped, the table dropped or renamed, or
//     CDC disabled for it: the table is stopped with a log line saying what
//     to do, and the others keep flowing;
//   - a table enabled for CDC that matches the selection and is not read
//     yet joins: it is snapshotted like the initial snapshot and streamed
//     from the current position.

// schemaView is what one check reads of the catalog.
type schemaView struct {
	tables    map[int64]sysTable
	instances map[int64][]captureInstance // by source object_id, oldest start first
	names     map[string]bool             // every capture instance name, lower case
	types     map[int64]sysType
	ddl       []ddlRow
}

type ddlRow struct {
	objectID int64
	command  string
	lsn      lsn.LSN
}

func (r *Reader) readSchemaView(ctx context.Context) (*schemaView, error) {
	v := &schemaView{instances: map[int64][]captureInstance{}, names: map[string]bool{}}
	// Capture instances before tables: DROP TABLE drops the instances too,
	// and read in this order it is never mistaken for CDC disabled.
	all, err := readCaptureInstances(ctx, r.db)
	if err != nil {
		return nil, err
	}
	if v.tables, err = readTables(ctx, r.db); err != nil {
		return nil, err
	}
	if v.types, err = readTypes(ctx, r.db); err != nil {
		return nil, err
	}
	for _, ci := range all {
		v.instances[ci.SourceObjectID] = append(v.instances[ci.SourceObjectID], ci)
		v.names[lower(ci.Name)] = true
	}
	for _, ins := range v.instances {
		sort.Slice(ins, func(i, j int) bool { return ins[i].StartLSN.Compare(ins[j].StartLSN) < 0 })
	}
	rows, err := r.db.QueryContext(ctx, qDDLHistory)
	if err != nil {
		return nil, fmt.Errorf("read cdc.ddl_history: %w", err)
	}
	for rows.Next() {
		var d ddlRow
		var b []byte
		if err := rows.Scan(&d.objectID, &d.command, &b); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read cdc.ddl_history: %w", err)
		}
		if d.lsn, err = lsn.FromBytes(b); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read cdc.ddl_history: %w", err)
		}
		v.ddl = append(v.ddl, d)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read cdc.ddl_history: %w", err)
	}
	return v, nil
}

// checkSchema looks for schema changes of the tables read and for tables
// that joined; see the comment at the top of this file.
func (r *Reader) checkSchema(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	v, err := r.readSchemaView(ctx)
	if err != nil {
		return err
	}
	stopped := 0
	for _, ts := range r.tables {
		if ts.stopped != "" {
			continue
		}
		if err := r.checkTable(ctx, v, ts, pos); err != nil {
			return err
		}
		if ts.stopped != "" {
			stopped++
		}
	}
	if stopped > 0 {
		// Save the stop with the position, so that a restart does not read
		// the table again as if nothing had happened.
		if err := emit(ctx, Batch{Position: pos.clone()}); err != nil {
			return err
		}
	}
	return r.joinTables(ctx, v, pos, emit)
}

// stop ends reading ts: why is what happened, todo what the operator does.
func (r *Reader) stop(ts *tableState, pos *Position, why, todo string) {
	ts.stopped, ts.next = why, nil
	if pos.Snapshot.Tables == nil {
		pos.Snapshot.Tables = map[string]TableSnapshot{}
	}
	st := pos.Snapshot.Tables[ts.key]
	st.Stopped = why
	pos.Snapshot.Tables[ts.key] = st
	r.update(func(p *Progress) { p.TablesStopped++ })
	r.cfg.Logger.Error("source: table stopped: "+why+"; "+todo, "table", ts.t.QualifiedName(),
		"capture_instance", ts.t.CaptureInstance)
}

// tell logs msg for ts once (until a different message comes).
func (r *Reader) tell(ts *tableState, level slog.Level, msg string) {
	if ts.told == msg {
		return
	}
	ts.told = msg
	r.cfg.Logger.Log(context.Background(), level, msg, "table", ts.t.QualifiedName())
}

const redoHint = "the pipeline cannot follow this change: apply it to the target table by hand (or drop the target table to have it recreated), " +
	"then take a new snapshot (delete the producer's position in the state topic) and restart the producer; its topic and target table are left as they are"

func (r *Reader) checkTable(ctx context.Context, v *schemaView, ts *tableState, pos *Position) error {
	st, ok := findTable(v.tables, ts.t.Schema, ts.t.Name)
	if !ok {
		if t, renamed := v.tables[ts.objectID]; renamed && ts.objectID != 0 {
			r.stop(ts, pos, fmt.Sprintf("the table was renamed to %s.%s", t.Schema, t.Name), redoHint)
		} else {
			r.stop(ts, pos, "the table was dropped", "its topic and target table are left as they are")
		}
		return nil
	}
	ts.objectID = st.ObjectID
	ins := v.instances[st.ObjectID]
	if len(ins) == 0 {
		r.stop(ts, pos, "change data capture was disabled for the table", fmt.Sprintf(
			"its topic and target table are left as they are; to synchronize it again enable CDC for it (%s) and take a new snapshot",
			enableTableCommand(ts.t.Schema, ts.t.Name)))
		return nil
	}
	if err := r.resumeSwitch(ctx, v, st, ts, ins, pos); err != nil {
		return err
	}
	if err := r.dropLeftover(ctx, ts, ins, *pos); err != nil {
		return err
	}
	latest := ts
	if ts.next != nil {
		latest = ts.next
	}
	// Columns change only by DDL, which SQL Server records in
	// cdc.ddl_history: without DDL since the instance read began, the
	// table is as it was (and the catalog is not read for it).
	if cur, ok := instanceNamed(ins, latest.t.CaptureInstance); ok && !v.ddlSince(st.ObjectID, cur.StartLSN) {
		return nil
	}
	now, _, err := describe(ctx, r.db, ts.t.Database, st, captureInstance{}, nil, v.types)
	if err != nil {
		return err
	}
	var problems []string
	maxOrd := 0
	for _, c := range latest.t.Columns {
		maxOrd = max(maxOrd, c.Ordinal)
		i := now.ColumnIndex(c.Name)
		if i < 0 {
			problems = append(problems, fmt.Sprintf("column %s was dropped or renamed", c.Name))
			continue
		}
		if n := now.Columns[i]; n.TypeString() != c.TypeString() || n.Nullable != c.Nullable {
			problems = append(problems, fmt.Sprintf("column %s changed from %s to %s", c.Name, describeType(c), describeType(n)))
		}
	}
	if len(problems) > 0 {
		r.stop(ts, pos, strings.Join(problems, "; "), redoHint)
		return nil
	}
	cur, ok := instanceNamed(ins, latest.t.CaptureInstance)
	if !ok {
		return nil // gone since; the next check stops or switches the table
	}
	// Added: columns the instance does not capture, created after its
	// columns (a higher column_id) and named by DDL recorded since it began.
	var added []string
	for _, c := range now.Columns {
		if latest.t.ColumnIndex(c.Name) < 0 && c.Ordinal > maxOrd && v.ddlMentions(st.ObjectID, cur.StartLSN, c.Name) {
			added = append(added, c.Name)
		}
	}
	if len(added) == 0 || ts.next != nil {
		return nil
	}
	return r.addColumns(ctx, v, st, ts, ins, cur, added, pos)
}

func describeType(c catalog.Column) string {
	if c.Nullable {
		return c.TypeString() + " NULL"
	}
	return c.TypeString() + " NOT NULL"
}

func instanceNamed(ins []captureInstance, name string) (captureInstance, bool) {
	for _, ci := range ins {
		if strings.EqualFold(ci.Name, name) {
			return ci, true
		}
	}
	return captureInstance{}, false
}

// ddlSince reports whether DDL was recorded on the table at or after from.
func (v *schemaView) ddlSince(objectID int64, from lsn.LSN) bool {
	for _, d := range v.ddl {
		if d.objectID == objectID && d.lsn.Compare(from) >= 0 {
			return true
		}
	}
	return false
}

// ddlMentions reports whether DDL recorded on the table after from names
// the column.
func (v *schemaView) ddlMentions(objectID int64, from lsn.LSN, column string) bool {
	for _, d := range v.ddl {
		if d.objectID == objectID && d.lsn.Compare(from) >= 0 && strings.Contains(lower(d.command), lower(column)) {
			return true
		}
	}
	return false
}

// addColumns switches ts to a capture instance that captures the added
// columns: one newer than the current, or one it creates.
func (r *Reader) addColumns(ctx context.Context, v *schemaView, st sysTable, ts *tableState, ins []captureInstance, cur captureInstance, added []string, pos *Position) error {
	qual := ts.t.QualifiedName()
	for _, ci := range ins {
		if ci.StartLSN.Compare(cur.StartLSN) > 0 {
			return r.switchTo(ctx, v, st, ts, ci, added, pos)
		}
	}
	if len(ins) >= 2 {
		other := ins[0].Name
		if strings.EqualFold(other, cur.Name) {
			other = ins[1].Name
		}
		r.tell(ts, slog.LevelError, fmt.Sprintf("source: table %s: column(s) %s were added, but the table already has two capture instances (%s and %s), "+
			"SQL Server's maximum, so none can capture them; the table keeps flowing without them. Drop the instance the producer does not read: %s "+
			"and it creates the new one", qual, strings.Join(added, ", "), ins[0].Name, ins[1].Name, disableInstanceCommand(ts.t.Schema, ts.t.Name, other)))
		return nil
	}
	name := nextInstanceName(cur.Name, v.names)
	stmt := enableInstanceCommand(ts.t.Schema, ts.t.Name, cur, name)
	if r.cfg.ManualCaptureInstances {
		r.tell(ts, slog.LevelWarn, fmt.Sprintf("source: table %s: column(s) %s were added; they are synchronized once a capture instance captures them. "+
			"Run: %s The producer switches to it as soon as it exists (capture instances are managed by hand: CAPTURE_INSTANCES=manual)",
			qual, strings.Join(added, ", "), stmt))
		return nil
	}
	if _, err := r.db.ExecContext(ctx, stmt); err != nil {
		r.tell(ts, slog.LevelError, fmt.Sprintf("source: table %s: column(s) %s were added, and creating a capture instance for them failed: %v. "+
			"The producer retries at every schema check; a DBA may run it instead: %s", qual, strings.Join(added, ", "), err, stmt))
		return nil
	}
	r.cfg.Logger.Info("source: created a capture instance for added columns", "table", qual, "columns", added,
		"capture_instance", name, "statement", stmt)
	all, err := readCaptureInstances(ctx, r.db)
	if err != nil {
		return err
	}
	for _, ci := range all {
		if strings.EqualFold(ci.Name, name) {
			return r.switchTo(ctx, v, st, ts, ci, added, pos)
		}
	}
	return fmt.Errorf("table %s: capture instance %s was created but cdc.change_tables does not list it", qual, name)
}

var instanceSuffix = regexp.MustCompile(`^(.*)_v([0-9]+)$`)

// nextInstanceName names the capture instance after cur: dbo_t → dbo_t_v2 →
// dbo_t_v3, skipping names in use.
func nextInstanceName(cur string, taken map[string]bool) string {
	base, n := cur, 2
	if m := instanceSuffix.FindStringSubmatch(cur); m != nil {
		if k, err := strconv.Atoi(m[2]); err == nil {
			base, n = m[1], k+1
		}
	}
	for {
		name := fmt.Sprintf("%s_v%d", base, n)
		if !taken[lower(name)] {
			return name
		}
		n++
	}
}

// switchTo makes ci the instance ts reads from its start_lsn on.
func (r *Reader) switchTo(ctx context.Context, v *schemaView, st sysTable, ts *tableState, ci captureInstance, added []string, pos *Position) error {
	qual := ts.t.QualifiedName()
	t, _, err := describeTable(ctx, r.db, ts.t.Database, st, ci, v.types)
	if err != nil {
		return err
	}
	for _, name := range added {
		if t.ColumnIndex(name) < 0 {
			r.tell(ts, slog.LevelError, fmt.Sprintf("source: table %s: capture instance %s does not capture the added column %s: drop it (%s) and the producer creates one that does",
				qual, ci.Name, name, disableInstanceCommand(ts.t.Schema, ts.t.Name, ci.Name)))
			return nil
		}
	}
	next := &tableState{t: t, key: ts.key, objectID: st.ObjectID}
	if err := r.prepare(ctx, next, ci); err != nil {
		return err
	}
	if err := r.recordAdded(ctx, v, st, next, added, pos); err != nil {
		return err
	}
	ts.next, ts.nextStart = next, ci.StartLSN
	ts.addLSN = v.addLSN(st.ObjectID, ts.startLSN(v, st.ObjectID), added)
	// A DBA may have created the instance a while ago (or the producer
	// another run): what the old instance was read up to since its start
	// lacks the new columns too, and is read again.
	ts.oldReadTo = decrement(ci.StartLSN)
	if p := pos.Stream.CommitLSN; p.Compare(ts.oldReadTo) > 0 {
		ts.oldReadTo = p
	}
	r.cfg.Logger.Info("source: switching capture instance for added columns", "table", qual, "columns", added,
		"from", ts.t.CaptureInstance, "to", ci.Name, "switch_lsn", ci.StartLSN.String())
	return nil
}

// recordAdded marks the added columns of next's table (optional, with the
// value existing rows got) and records them in the position, so that they
// stay optional across restarts.
func (r *Reader) recordAdded(ctx context.Context, v *schemaView, st sysTable, next *tableState, added []string, pos *Position) error {
	if pos.Snapshot.Tables == nil {
		pos.Snapshot.Tables = map[string]TableSnapshot{}
	}
	ts := pos.Snapshot.Tables[next.key]
	all := append([]string(nil), ts.Added...)
	for _, a := range added {
		known := false
		for _, b := range all {
			known = known || strings.EqualFold(a, b)
		}
		if !known {
			all = append(all, a)
		}
	}
	t, err := r.markAdded(ctx, next.t, st.ObjectID, all, v)
	if err != nil {
		return err
	}
	next.t = t
	ts.Added = all
	pos.Snapshot.Tables[next.key] = ts
	return nil
}

// resumeSwitch handles a restart in the middle of a switch: Discover chose
// the newest capture instance, but the position is before its start, so the
// older one is read first.
func (r *Reader) resumeSwitch(ctx context.Context, v *schemaView, st sysTable, ts *tableState, ins []captureInstance, pos *Position) error {
	if ts.next != nil || len(ins) != 2 || !strings.EqualFold(ins[1].Name, ts.t.CaptureInstance) {
		return nil
	}
	from, _, _ := streamStart(*pos)
	if from.IsZero() || from.Compare(ins[1].StartLSN) >= 0 {
		return nil
	}
	old, _, err := describeTable(ctx, r.db, ts.t.Database, st, ins[0], v.types)
	if err != nil {
		return err
	}
	if old, err = r.markAdded(ctx, old, st.ObjectID, pos.Snapshot.Tables[ts.key].Added, v); err != nil {
		return err
	}
	next := &tableState{t: ts.t, key: ts.key, objectID: st.ObjectID, ords: ts.ords, keyIdx: ts.keyIdx}
	ts.t = old
	if err := r.prepare(ctx, ts, ins[0]); err != nil {
		return err
	}
	ts.next, ts.nextStart = next, ins[1].StartLSN
	var added []string
	for _, c := range next.t.Columns {
		if old.ColumnIndex(c.Name) < 0 {
			added = append(added, c.Name)
		}
	}
	ts.addLSN = v.addLSN(st.ObjectID, ins[0].StartLSN, added)
	ts.oldReadTo = decrement(ins[1].StartLSN)
	if err := r.recordAdded(ctx, v, st, next, added, pos); err != nil {
		return err
	}
	r.cfg.Logger.Info("source: resuming a capture instance switch", "table", ts.t.QualifiedName(),
		"from", ins[0].Name, "to", ins[1].Name, "switch_lsn", ins[1].StartLSN.String())
	return nil
}

// dropLeftover drops the old capture instance of a switch that completed
// without dropping it (the producer stopped in between, or instances were
// managed by hand then): the table is read through the newer instance from
// its start on, and the older one lacks columns added while synchronized.
func (r *Reader) dropLeftover(ctx context.Context, ts *tableState, ins []captureInstance, pos Position) error {
	added := pos.Snapshot.Tables[ts.key].Added
	if r.cfg.ManualCaptureInstances || ts.next != nil || len(ins) != 2 || len(added) == 0 || !strings.EqualFold(ins[1].Name, ts.t.CaptureInstance) {
		return nil
	}
	if from, _, _ := streamStart(pos); from.IsZero() || from.Compare(ins[1].StartLSN) < 0 {
		return nil
	}
	captured, err := capturedColumns(ctx, r.db, ins[0])
	if err != nil {
		return err
	}
	lacks := false
	for _, c := range added {
		_, ok := captured[lower(c)]
		lacks = lacks || !ok
	}
	if !lacks {
		return nil
	}
	stmt := disableInstanceCommand(ts.t.Schema, ts.t.Name, ins[0].Name)
	if _, err := r.db.ExecContext(ctx, stmt); err != nil {
		r.tell(ts, slog.LevelWarn, fmt.Sprintf("source: table %s: could not drop the capture instance %s, no longer read: %v; drop it by hand: %s",
			ts.t.QualifiedName(), ins[0].Name, err, stmt))
		return nil
	}
	r.cfg.Logger.Info("source: dropped a capture instance no longer read", "table", ts.t.QualifiedName(), "capture_instance", ins[0].Name)
	return nil
}

// finishSwitches completes the switches whose old instance is read up to
// the new one's start: it saves that position, reads the new instance only
// from then on and drops the old one (unless instances are managed by hand).
func (r *Reader) finishSwitches(ctx context.Context, pos *Position, emit func(context.Context, Batch) error) error {
	saved := false
	for _, ts := range r.tables {
		if ts.next == nil || pos.Stream.InTx || pos.Stream.CommitLSN.IsZero() || increment(pos.Stream.CommitLSN).Compare(ts.nextStart) < 0 {
			continue
		}
		fix, err := r.windowEvents(ctx, ts)
		if err != nil {
			return err
		}
		if !saved || len(fix) > 0 {
			// A restart must not go back before the new instance's start
			// once the old instance is gone.
			if err := emit(ctx, Batch{Events: fix, Position: pos.clone()}); err != nil {
				return err
			}
			saved = true
		}
		old := ts.t.CaptureInstance
		*ts = tableState{t: ts.next.t, key: ts.key, ords: ts.next.ords, keyIdx: ts.next.keyIdx, objectID: ts.objectID}
		r.cfg.Logger.Info("source: switched capture instance", "table", ts.t.QualifiedName(), "from", old, "to", ts.t.CaptureInstance)
		if r.cfg.ManualCaptureInstances {
			r.cfg.Logger.Info("source: the old capture instance is no longer read; drop it when convenient",
				"table", ts.t.QualifiedName(), "statement", disableInstanceCommand(ts.t.Schema, ts.t.Name, old))
			continue
		}
		if _, err := r.db.ExecContext(ctx, disableInstanceCommand(ts.t.Schema, ts.t.Name, old)); err != nil {
			r.cfg.Logger.Warn("source: could not drop the old capture instance; drop it by hand", "table", ts.t.QualifiedName(),
				"statement", disableInstanceCommand(ts.t.Schema, ts.t.Name, old), "err", err)
		}
	}
	return nil
}

// startLSN is the start_lsn of the capture instance ts reads now.
func (ts *tableState) startLSN(v *schemaView, objectID int64) lsn.LSN {
	if ci, ok := instanceNamed(v.instances[objectID], ts.t.CaptureInstance); ok {
		return ci.StartLSN
	}
	return lsn.Zero
}

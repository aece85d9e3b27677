package engine

import (
	"bytes"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Change data capture, as Microsoft documents it:
// https://learn.microsoft.com/en-us/sql/relational-databases/track-changes/about-change-data-capture-sql-server
//
// Committed transactions that touched tracked tables are queued; the
// capture job (Engine.jobs) writes them to the change tables once the
// capture delay has passed, like the log reader agent does, and records
// the commit in cdc.lsn_time_mapping.

const (
	cdcDelete       = 1
	cdcInsert       = 2
	cdcUpdate       = 3 // recorded as 3 (before) and 4 (after)
	cdcUpdateBefore = 3
	cdcUpdateAfter  = 4
)

// cdcOp is one row change a transaction made to a tracked table.
type cdcOp struct {
	table  *Table
	kind   int
	before []any
	after  []any
	seqval uint64
	cmdID  int32
}

// captureBatch is one committed transaction waiting for the capture job.
type captureBatch struct {
	commit uint64
	txID   uint64
	begin  time.Time
	end    time.Time
	due    time.Time
	ops    []cdcOp
	// marker lists the CDC-enabled databases an untracked transaction
	// wrote: the capture job then records that it scanned past the commit.
	marker []*Database
	// beginLSN is the transaction's first log record (tran_begin_lsn).
	beginLSN uint64
}

// lsnMapping is a row of cdc.lsn_time_mapping.
type lsnMapping struct {
	capSeq    uint64 // when the capture job wrote it (snapshot visibility)
	startLSN  uint64
	beginTime time.Time
	endTime   time.Time
	txID      uint64
	beginLSN  uint64
}

// ddlEntry is a row of cdc.ddl_history.
type ddlEntry struct {
	sourceID int32
	ctID     int32
	command  string
	lsn      uint64
	time     time.Time
}

// cdcState is a CDC-enabled database's metadata.
type cdcState struct {
	schema    *Schema
	instances []*captureInstance
	mapping   []lsnMapping
	ddl       []ddlEntry
}

// captureInstance is one capture instance of a source table.
type captureInstance struct {
	name       string
	source     *Table
	ct         *Table // cdc.<name>_CT
	cols       []int  // source ordinals of captured columns (-1: dropped)
	colNames   []string
	colIDs     []int32
	colTypes   []sqltypes.Type
	startLSN   uint64
	netChanges bool
	indexName  string
	indexCols  []int // positions in cols of the row-identifying index
	roleName   any
	filegroup  any
	created    time.Time
	seqCreated uint64
}

// lsnBytes encodes an LSN value as binary(10): a fixed virtual log file
// number, the value as block offset and slot 1, so byte order is LSN order.
func lsnBytes(v uint64) []byte {
	if v == 0 {
		return make([]byte, 10)
	}
	b := make([]byte, 10)
	b[0], b[1], b[2], b[3] = 0, 0, 0, 0x2A
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	b[8], b[9] = 0, 1
	return b
}

// lsnAdd adds d (±1) to an LSN as an 80-bit unsigned number.
func lsnAdd(b []byte, d int) []byte {
	out := append([]byte(nil), b...)
	if len(out) != 10 {
		out = append(make([]byte, 10-min(len(out), 10)), out...)
	}
	for i := 9; i >= 0; i-- {
		if d > 0 {
			out[i]++
			if out[i] != 0 {
				break
			}
		} else {
			out[i]--
			if out[i] != 0xFF {
				break
			}
		}
	}
	return out
}

// updateMask sets the bits of the given 1-based column ordinals: ordinal 1
// is the lowest bit of the last byte, as SQL Server stores __$update_mask.
func updateMask(n int, set func(ord int) bool) []byte {
	m := make([]byte, (n+7)/8)
	for ord := 1; ord <= n; ord++ {
		if set(ord) {
			m[len(m)-1-(ord-1)/8] |= 1 << ((ord - 1) % 8)
		}
	}
	return m
}

func maskBit(m []byte, ord int) bool {
	i := len(m) - 1 - (ord-1)/8
	return i >= 0 && m[i]&(1<<((ord-1)%8)) != 0
}

// enqueueCapture hands a committed transaction's changes to the capture
// job. Callers hold e.mu.
func (e *Engine) enqueueCapture(tx *txn, commit uint64) {
	now := e.cfg.Now()
	b := captureBatch{commit: commit, txID: tx.id, begin: tx.began, end: now, due: now.Add(e.cfg.CaptureDelay), ops: tx.ops, beginLSN: tx.beginLSN}
	e.queue = append(e.queue, b)
	if e.cfg.CaptureDelay <= 0 {
		e.captureDue(now, true)
		return
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// enqueueScanMarker queues a transaction that changed only untracked
// tables of CDC-enabled databases. SQL Server's capture job still records
// its progress in cdc.lsn_time_mapping (rows with tran_id 0x00) so that
// sys.fn_cdc_get_max_lsn advances in periods without tracked changes.
// Callers hold e.mu.
func (e *Engine) enqueueScanMarker(dbs []*Database, commit uint64) {
	if len(dbs) == 0 {
		return
	}
	now := e.cfg.Now()
	e.queue = append(e.queue, captureBatch{commit: commit, begin: now, end: now, due: now.Add(e.cfg.CaptureDelay), marker: dbs})
	if e.cfg.CaptureDelay <= 0 {
		e.captureDue(now, true)
	}
}

// cdcDatabases lists the CDC-enabled databases tx wrote to (before
// commit, while its undo log is intact).
func cdcDatabases(tx *txn) []*Database {
	var dbs []*Database
	for _, u := range tx.undo {
		if d := u.table.db; d != nil && d.cdc != nil && !containsDB(dbs, d) {
			dbs = append(dbs, d)
		}
	}
	return dbs
}

func containsDB(dbs []*Database, d *Database) bool {
	for _, x := range dbs {
		if x == d {
			return true
		}
	}
	return false
}

// captureDue writes queued changes whose delay has passed (all of them
// when all is set) into the change tables. Callers hold e.mu.
func (e *Engine) captureDue(now time.Time, all bool) {
	n := 0
	for n < len(e.queue) && (all || !e.queue[n].due.After(now)) {
		n++
	}
	if n == 0 {
		return
	}
	batches := e.queue[:n]
	e.queue = append([]captureBatch(nil), e.queue[n:]...)
	writeSeq := e.nextSeq()
	// One scan marker per database and capture cycle, at the last
	// untracked commit the cycle read.
	markers := map[*Database]lsnMapping{}
	for _, b := range batches {
		for _, d := range b.marker {
			markers[d] = lsnMapping{capSeq: writeSeq, startLSN: b.commit, beginTime: b.end, endTime: b.end, beginLSN: b.commit}
		}
	}
	for d, m := range markers {
		if d.cdc != nil && m.startLSN > d.maxLSN() {
			d.cdc.addMapping(m)
		}
	}
	for _, b := range batches {
		touched := map[*Database]bool{}
		for _, op := range b.ops {
			for _, ci := range op.table.capture {
				if ci.seqCreated >= b.commit {
					continue
				}
				ci.capture(writeSeq, b.commit, op)
				touched[ci.source.db] = true
			}
		}
		for d := range touched {
			d.cdc.addMapping(lsnMapping{capSeq: writeSeq, startLSN: b.commit, beginTime: b.begin, endTime: b.end, txID: b.txID, beginLSN: b.beginLSN})
		}
	}
}

// capture writes one operation's change rows. Change-table layout:
// __$start_lsn, __$end_lsn, __$seqval, __$operation, __$update_mask,
// captured columns, __$command_id.
func (ci *captureInstance) capture(writeSeq, commit uint64, op cdcOp) {
	// Rows stored before ALTER TABLE ADD read the added columns' fill.
	op.before, op.after = ci.source.pad(op.before), ci.source.pad(op.after)
	n := len(ci.cols)
	row := func(kind int, src []any, mask []byte, lobs bool) []any {
		r := make([]any, 0, n+6)
		r = append(r, lsnBytes(commit), nil, lsnBytes(op.seqval), int64(kind), mask)
		for i, ord := range ci.cols {
			var v any
			if ord >= 0 && ord < len(src) {
				v = src[ord]
			}
			if ci.colTypes[i].ID.IsLOB() && !lobs {
				v = nil
			}
			r = append(r, v)
		}
		return append(r, int64(op.cmdID))
	}
	all := updateMask(n, func(ord int) bool { return ci.cols[ord-1] >= 0 })
	switch op.kind {
	case cdcInsert:
		ci.ct.insertCommitted(writeSeq, row(cdcInsert, op.after, all, true))
	case cdcDelete:
		ci.ct.insertCommitted(writeSeq, row(cdcDelete, op.before, all, false))
	case cdcUpdate:
		changed := func(ord int) bool {
			src := ci.cols[ord-1]
			if src < 0 {
				return false
			}
			var a, b any
			if src < len(op.before) {
				a = op.before[src]
			}
			if src < len(op.after) {
				b = op.after[src]
			}
			return !sameValue(a, b)
		}
		mask := updateMask(n, changed)
		// varchar(max), nvarchar(max) and varbinary(max) are NULL in the
		// before image unless the update changed them (as text, ntext and
		// image always are), as SQL Server documents for __$operation = 3.
		before := row(cdcUpdateBefore, op.before, mask, false)
		for i := range ci.cols {
			if t := ci.colTypes[i]; t.Length == sqltypes.Max && (t.ID == sqltypes.VarChar || t.ID == sqltypes.NVarChar || t.ID == sqltypes.VarBinary) && !changed(i+1) {
				before[5+i] = nil
			}
		}
		ci.ct.insertCommitted(writeSeq, before)
		after := row(cdcUpdateAfter, op.after, mask, true)
		for i := range ci.cols {
			if ci.colTypes[i].ID.IsLOB() && !changed(i+1) {
				after[5+i] = nil
			}
		}
		ci.ct.insertCommitted(writeSeq, after)
	}
}

// sameValue compares stored values exactly (binary equality).
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	sa, err1 := sqltypes.ToString(a, sqltypes.TypeOf(a), 2)
	sb, err2 := sqltypes.ToString(b, sqltypes.TypeOf(b), 2)
	if err1 != nil || err2 != nil {
		return false
	}
	if ba, ok := a.([]byte); ok {
		bb, _ := b.([]byte)
		return bytes.Equal(ba, bb)
	}
	return sa == sb
}

func (ci *captureInstance) dropSourceColumn(ord int) {
	for i, c := range ci.cols {
		switch {
		case c == ord:
			ci.cols[i] = -1
		case c > ord:
			ci.cols[i] = c - 1
		}
	}
}

// addMapping records a commit in cdc.lsn_time_mapping, keeping LSN order.
func (c *cdcState) addMapping(m lsnMapping) {
	c.mapping = append(c.mapping, m)
	for i := len(c.mapping) - 1; i > 0 && c.mapping[i].startLSN < c.mapping[i-1].startLSN; i-- {
		c.mapping[i], c.mapping[i-1] = c.mapping[i-1], c.mapping[i]
	}
}

// maxLSN is sys.fn_cdc_get_max_lsn: the largest start_lsn in
// cdc.lsn_time_mapping.
func (d *Database) maxLSN() uint64 { return d.maxLSNAt(0) }

// maxLSNAt is maxLSN as a snapshot taken at snap sees the mapping table
// (0: the latest state).
func (d *Database) maxLSNAt(snap uint64) uint64 {
	if d.cdc == nil {
		return 0
	}
	var best uint64
	for _, m := range d.cdc.mapping {
		if (snap == 0 || m.capSeq <= snap) && m.startLSN > best {
			best = m.startLSN
		}
	}
	return best
}

func (d *Database) captureInstance(name string) *captureInstance {
	if d.cdc == nil {
		return nil
	}
	for _, ci := range d.cdc.instances {
		if strings.EqualFold(ci.name, name) {
			return ci
		}
	}
	return nil
}

// recordDDL adds a cdc.ddl_history row for a DDL statement on a tracked table.
func (e *Engine) recordDDL(d *Database, t *Table, batch string, offset int) {
	if len(t.capture) == 0 || d.cdc == nil {
		return
	}
	text := batch
	if offset >= 0 && offset < len(batch) {
		text = batch[offset:]
	}
	if i := strings.IndexByte(text, ';'); i >= 0 {
		text = text[:i]
	}
	text = strings.TrimSpace(text)
	lsn := e.nextSeq()
	for _, ci := range t.capture {
		d.cdc.ddl = append(d.cdc.ddl, ddlEntry{sourceID: t.ID, ctID: ci.ct.ID, command: text, lsn: lsn, time: wall(e.cfg.Now())})
	}
}

// dropCapture removes a capture instance and its change table.
func (e *Engine) dropCapture(d *Database, ci *captureInstance) {
	t := ci.source
	for i, c := range t.capture {
		if c == ci {
			t.capture = append(t.capture[:i], t.capture[i+1:]...)
			break
		}
	}
	for i, c := range d.cdc.instances {
		if c == ci {
			d.cdc.instances = append(d.cdc.instances[:i], d.cdc.instances[i+1:]...)
			break
		}
	}
	delete(d.tables, ci.ct.ID)
}

// cleanupRetention removes change rows committed before now-retention and
// moves each instance's low water mark (start_lsn) past them. Callers hold e.mu.
func (e *Engine) cleanupRetention(d *Database, now time.Time, retention time.Duration) {
	if d.cdc == nil || retention < 0 {
		return
	}
	// The new low water mark is the newest commit older than the cutoff;
	// rows below it go, as the cleanup job does.
	cutoff := now.Add(-retention)
	var low uint64
	for _, m := range d.cdc.mapping {
		if m.endTime.Before(cutoff) {
			low = m.startLSN
		}
	}
	if low == 0 {
		return
	}
	for _, ci := range d.cdc.instances {
		e.cleanupInstance(d, ci, low)
	}
}

// cleanupInstance deletes ci's change rows below low and sets its start_lsn,
// as sys.sp_cdc_cleanup_change_table does.
func (e *Engine) cleanupInstance(d *Database, ci *captureInstance, low uint64) {
	if low <= ci.startLSN {
		return
	}
	lb := lsnBytes(low)
	ci.ct.deleteCommitted(func(row []any) bool {
		b, _ := row[0].([]byte)
		return bytes.Compare(b, lb) < 0
	})
	ci.startLSN = low
	// Mapping rows below every instance's low water mark go too.
	minLow := low
	for _, o := range d.cdc.instances {
		minLow = min(minLow, o.startLSN)
	}
	kept := d.cdc.mapping[:0]
	for _, m := range d.cdc.mapping {
		if m.startLSN >= minLow || m.startLSN == d.maxLSN() {
			kept = append(kept, m)
		}
	}
	d.cdc.mapping = kept
}

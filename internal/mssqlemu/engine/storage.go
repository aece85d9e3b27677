package engine

import (
	"sort"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Rows are kept as chains of versions. Committed versions carry the commit
// sequence number of the transaction that wrote them; a transaction's own
// uncommitted change sits in pending until it commits. The pending version
// is the row's exclusive lock (locks.go), so there is at most one.

type rowVersion struct {
	seq  uint64 // commit sequence
	data []any  // nil: the row was deleted
}

type rowChain struct {
	versions []rowVersion
	pending  *pendingVersion
}

type pendingVersion struct {
	tx   *txn
	data []any // nil: deleted
}

// latestCommitted returns the newest committed version (nil data if none
// or deleted) and its sequence.
func (c *rowChain) latestCommitted() ([]any, uint64) {
	if len(c.versions) == 0 {
		return nil, 0
	}
	v := c.versions[len(c.versions)-1]
	return v.data, v.seq
}

// visible returns the row as tx sees it: its own pending change first, then
// the newest committed version at or before snap (0: the latest).
func (c *rowChain) visible(tx *txn, snap uint64) []any {
	if c.pending != nil && tx != nil && c.pending.tx == tx {
		return c.pending.data
	}
	if snap == 0 {
		d, _ := c.latestCommitted()
		return d
	}
	for i := len(c.versions) - 1; i >= 0; i-- {
		if c.versions[i].seq <= snap {
			return c.versions[i].data
		}
	}
	return nil
}

// current is the row as its lock holder sees it (the latest committed
// version when nobody holds it).
func (c *rowChain) current() []any {
	if c.pending != nil {
		return c.pending.data
	}
	d, _ := c.latestCommitted()
	return d
}

// undoEntry restores a chain's pending state.
type undoEntry struct {
	table *Table
	chain *rowChain
	prev  *pendingVersion
	// created marks a chain the transaction created (appended to the table).
	created bool
}

// keyString encodes the primary key values of row for the PK index.
func keyString(t *Table, ix *Index, row []any) string {
	var sb strings.Builder
	for _, ord := range ix.Columns {
		v := row[ord]
		if s, ok := v.(string); ok && !t.Columns[ord].Type.Collation.CaseSensitive() {
			v = strings.ToLower(strings.TrimRight(s, " "))
		}
		s := valueKey(v, t.Columns[ord].Type)
		sb.WriteString(s)
		sb.WriteByte(0)
	}
	return sb.String()
}

// setPending replaces chain's pending version, keeping the PK index and the
// undo log up to date, and reserves the row's old and new key for tx.
// Callers checked that no other transaction holds the row or the keys.
func (tx *txn) setPending(t *Table, c *rowChain, data []any, created bool) {
	tx.undo = append(tx.undo, undoEntry{table: t, chain: c, prev: c.pending, created: created})
	t.touch(c)
	pk := t.PK()
	if pk == nil {
		c.pending = &pendingVersion{tx: tx, data: data}
		return
	}
	// What reindex does, with each key computed once for the index and
	// the lock.
	if old := c.current(); old != nil {
		k := keyString(t, pk, t.pad(old))
		tx.lockKey(t, k)
		if t.pkIndex[k] == c {
			delete(t.pkIndex, k)
		}
	}
	c.pending = &pendingVersion{tx: tx, data: data}
	if data != nil {
		k := keyString(t, pk, t.pad(data))
		tx.lockKey(t, k)
		t.pkIndex[k] = c
	}
}

// reindex runs change on c and moves c's PK index entry accordingly.
func (t *Table) reindex(c *rowChain, change func()) {
	t.touch(c)
	pk := t.PK()
	if pk == nil {
		change()
		return
	}
	if old := c.current(); old != nil {
		k := keyString(t, pk, t.pad(old))
		if t.pkIndex[k] == c {
			delete(t.pkIndex, k)
		}
	}
	change()
	if cur := c.current(); cur != nil {
		t.pkIndex[keyString(t, pk, t.pad(cur))] = c
	}
}

// pad extends rows stored before ALTER TABLE ADD with the added columns' fill.
func (t *Table) pad(row []any) []any {
	if row == nil || len(row) >= len(t.Columns) {
		return row
	}
	out := make([]any, len(t.Columns))
	copy(out, row)
	for i := len(row); i < len(t.Columns); i++ {
		out[i] = t.Columns[i].Fill
	}
	return out
}

// rollbackTo undoes the transaction's row changes back to undo position n.
func (tx *txn) rollbackTo(n int) {
	for i := len(tx.undo) - 1; i >= n; i-- {
		u := tx.undo[i]
		u.table.reindex(u.chain, func() { u.chain.pending = u.prev })
		if u.created && u.chain.pending == nil && len(u.chain.versions) == 0 {
			u.table.removeChain(u.chain)
		}
	}
	tx.undo = tx.undo[:n]
}

func (t *Table) removeChain(c *rowChain) {
	for i := len(t.chains) - 1; i >= 0; i-- {
		if t.chains[i] == c {
			t.chains = append(t.chains[:i], t.chains[i+1:]...)
			return
		}
	}
}

// commitRows turns the transaction's pending versions into committed ones
// and drops versions no snapshot older than keep can read.
func (tx *txn) commitRows(seq, keep uint64) {
	for _, u := range tx.undo {
		c := u.chain
		if c.pending == nil || c.pending.tx != tx {
			continue
		}
		u.table.touch(c)
		c.versions = append(c.versions, rowVersion{seq: seq, data: c.pending.data})
		c.pending = nil
		c.prune(keep)
		if len(c.versions) == 1 && c.versions[0].data == nil && c.versions[0].seq <= keep {
			u.table.dead++
			u.table.compact()
		}
	}
	tx.undo = nil
}

// prune keeps the versions newer than keep and the newest one at or
// before it (what the oldest active snapshot reads).
func (c *rowChain) prune(keep uint64) {
	k := -1
	for i, v := range c.versions {
		if v.seq <= keep {
			k = i
		}
	}
	if k > 0 {
		c.versions = append(c.versions[:0], c.versions[k:]...)
	}
}

// compact drops chains whose only version is a delete nobody can still
// see, once they are a good part of the table.
func (t *Table) compact() {
	if t.dead < 64 || t.dead*2 < len(t.chains) {
		return
	}
	t.touch(nil)
	kept := t.chains[:0]
	for _, c := range t.chains {
		if c.pending == nil && len(c.versions) == 1 && c.versions[0].data == nil {
			continue
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(t.chains); i++ {
		t.chains[i] = nil
	}
	t.chains = kept
	t.dead = 0
}

// scan returns the rows tx sees, in clustered key order when the table has
// a clustered primary key, else in insertion order. Each row is padded to
// the table's current columns; the chain is returned for writers.
func (t *Table) scan(tx *txn, snap uint64) ([][]any, []*rowChain) {
	rows := make([][]any, 0, len(t.chains))
	chains := make([]*rowChain, 0, len(t.chains))
	for _, c := range t.chains {
		if d := c.visible(tx, snap); d != nil {
			rows = append(rows, t.pad(d))
			chains = append(chains, c)
		}
	}
	if pk := t.PK(); pk != nil && pk.Clustered && len(rows) > 1 && !keySorted(t, pk, rows) {
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			return compareKeys(t, pk, rows[idx[a]], rows[idx[b]]) < 0
		})
		r2 := make([][]any, len(rows))
		c2 := make([]*rowChain, len(rows))
		for i, j := range idx {
			r2[i], c2[i] = rows[j], chains[j]
		}
		rows, chains = r2, c2
	}
	return rows, chains
}

func compareKeys(t *Table, ix *Index, a, b []any) int {
	for i, ord := range ix.Columns {
		col := t.Columns[ord]
		x, y := a[ord], b[ord]
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = -1
		case y == nil:
			c = 1
		default:
			c, _ = sqltypes.Compare(x, y, col.Type, col.Type, col.Type.Collation)
		}
		if i < len(ix.Desc) && ix.Desc[i] {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// insertCommitted appends a committed row directly (CDC system tables, which
// only the capture job writes).
func (t *Table) insertCommitted(seq uint64, row []any) {
	c := &rowChain{versions: []rowVersion{{seq: seq, data: row}}}
	t.chains = append(t.chains, c)
	t.touch(c)
	if pk := t.PK(); pk != nil {
		t.pkIndex[keyString(t, pk, row)] = c
	}
}

// deleteCommitted removes rows matching keep==false outright (cleanup of
// CDC tables: history is not kept for them).
func (t *Table) deleteCommitted(drop func(row []any) bool) int {
	t.touch(nil)
	n := 0
	kept := t.chains[:0]
	for _, c := range t.chains {
		d, _ := c.latestCommitted()
		if d != nil && c.pending == nil && drop(t.pad(d)) {
			n++
			continue
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(t.chains); i++ {
		t.chains[i] = nil
	}
	t.chains = kept
	return n
}

// latestRows returns every committed live row, in insertion order.
func (t *Table) latestRows() [][]any {
	out := make([][]any, 0, len(t.chains))
	for _, c := range t.chains {
		if d, _ := c.latestCommitted(); d != nil {
			out = append(out, t.pad(d))
		}
	}
	return out
}

// keySorted reports whether rows are already in key order (the common case
// of ascending inserts), so that scans skip the sort.
func keySorted(t *Table, ix *Index, rows [][]any) bool {
	for i := 1; i < len(rows); i++ {
		if compareKeys(t, ix, rows[i-1], rows[i]) > 0 {
			return false
		}
	}
	return true
}

// valueKey renders v so that equal values, and only those, give equal
// text: style 2 keeps every digit of floats and binary; dates and times
// need 121, as style 2 is date-only for them.
func valueKey(v any, t sqltypes.Type) string {
	style := 2
	if t.ID.IsDateTime() {
		style = 121
	}
	s, _ := sqltypes.ToString(v, t, style)
	return s
}

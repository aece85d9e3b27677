package apply

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// tableBatch is the events of one batch for one target table, compacted to
// one entry per key.
type tableBatch struct {
	schema, name string
	// union is every column any event's table has, by name, in the order
	// first seen; the target's columns are a superset after ensureTable.
	union []catalog.Column
	key   []int // indexes in union of the key columns
	keep  []int // indexes in union that may carry event.Unchanged
	maps  map[*catalog.Table][]int
	// rows is the last entry of each key, keys in first-seen order so COPY
	// order is stable; index finds a key's place in it.
	rows    []*entry
	index   map[string]int
	deletes int // delete entries put, superseded ones included
	events  int // events of this table in the batch
	// changes reports whether any event was an update or a delete, or a
	// row left a column to keep: the batch is then not only new rows.
	changes bool
}

// entry is the last state of one key in a batch.
type entry struct {
	op  byte // 'u' or 'd'
	key string
	pos position
	// vals are in union order; event.Unchanged means "keep the target's
	// value". For 'd' only the key columns matter.
	vals event.Row
	// owned reports whether vals is this entry's own slice (safe to change)
	// rather than an event's row.
	owned bool
}

// groupBatch splits events by target table and compacts each table's events
// by key: the event with the latest source position wins (Kafka order on a
// tie), a later update's untouched large values are filled from an earlier
// event of the same batch, and a key change becomes a delete of the old key
// and an upsert of the new one.
func groupBatch(events []*event.Event, name func(*catalog.Table) (string, string)) ([]*tableBatch, error) {
	name = memoName(name)
	var out []*tableBatch
	byName := map[string]*tableBatch{}
	for _, e := range events {
		if e == nil || e.Table == nil {
			return nil, fmt.Errorf("event without a table")
		}
		s, n := name(e.Table)
		id := s + "\x00" + n
		tb := byName[id]
		if tb == nil {
			tb = &tableBatch{schema: s, name: n, maps: map[*catalog.Table][]int{}}
			byName[id] = tb
			out = append(out, tb)
		}
		if err := tb.addTable(e.Table); err != nil {
			return nil, err
		}
		tb.events++
	}
	for _, tb := range out {
		// Sized for a batch of distinct keys, the usual one.
		tb.rows, tb.index = make([]*entry, 0, tb.events), make(map[string]int, tb.events)
	}
	for _, e := range events {
		s, n := name(e.Table)
		if err := byName[s+"\x00"+n].add(e); err != nil {
			return nil, fmt.Errorf("table %s: %w", e.Table.QualifiedName(), err)
		}
	}
	for _, tb := range out {
		tb.finishKeep()
	}
	return out, nil
}

func (tb *tableBatch) addTable(t *catalog.Table) error {
	if _, ok := tb.maps[t]; ok {
		return nil
	}
	m := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		// An exact match wins over one that ignores case: in a
		// case-sensitive database T and t are two columns, never one.
		j := -1
		for k, u := range tb.union {
			if u.Name == c.Name {
				j = k
				break
			}
			if j < 0 && strings.EqualFold(u.Name, c.Name) && t.Columns[t.ColumnIndex(u.Name)].Name != u.Name {
				j = k
			}
		}
		if j < 0 {
			if _, err := TargetType(c); err != nil {
				return fmt.Errorf("table %s: %w", t.QualifiedName(), err)
			}
			tb.union = append(tb.union, c)
			j = len(tb.union) - 1
		}
		m[i] = j
	}
	tb.maps[t] = m
	if tb.key == nil {
		idx, err := t.KeyIndexes()
		if err != nil {
			return err
		}
		for _, i := range idx {
			tb.key = append(tb.key, m[i])
		}
	}
	return nil
}

// finishKeep computes which union columns may be "keep": large values, and
// columns some event's table lacks.
func (tb *tableBatch) finishKeep() {
	for j, c := range tb.union {
		keep := c.IsLOB()
		for _, m := range tb.maps {
			if len(m) < len(tb.union) && !contains(m, j) {
				keep = true
			}
		}
		if keep && !contains(tb.key, j) {
			tb.keep = append(tb.keep, j)
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// project returns row (of table t) in union order, without copying when the
// orders are the same.
func (tb *tableBatch) project(t *catalog.Table, row event.Row) (event.Row, bool, error) {
	if len(row) != len(t.Columns) {
		return nil, false, fmt.Errorf("row has %d values for %d columns", len(row), len(t.Columns))
	}
	m := tb.maps[t]
	identity := len(m) == len(tb.union)
	for i, j := range m {
		if i != j {
			identity = false
			break
		}
	}
	if identity {
		return row, false, nil
	}
	out := make(event.Row, len(tb.union))
	for j := range out {
		out[j] = event.Unchanged
	}
	for i, j := range m {
		out[j] = row[i]
	}
	return out, true, nil
}

func (tb *tableBatch) keyOf(vals event.Row) (string, error) {
	var buf [64]byte
	b := buf[:0]
	for i, j := range tb.key {
		v := vals[j]
		if v == nil || event.IsUnchanged(v) {
			return "", fmt.Errorf("key column %q has no value", tb.union[j].Name)
		}
		var err error
		if b, err = appendKeyValue(b, i, v); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

func (tb *tableBatch) add(e *event.Event) error {
	pos := encodePosition(e)
	if e.Op != event.OpCreate && e.Op != event.OpRead {
		tb.changes = true
	} else if !tb.changes {
		for _, v := range e.After {
			if event.IsUnchanged(v) {
				tb.changes = true
				break
			}
		}
		if len(tb.maps[e.Table]) < len(tb.union) {
			tb.changes = true // columns the row lacks become keep columns
		}
	}
	switch e.Op {
	case event.OpDelete:
		if e.Before == nil {
			return fmt.Errorf("delete event without a before row")
		}
		vals, owned, err := tb.project(e.Table, e.Before)
		if err != nil {
			return err
		}
		return tb.put(&entry{op: 'd', pos: pos, vals: vals, owned: owned})
	case event.OpCreate, event.OpRead, event.OpUpdate:
		if e.After == nil {
			return fmt.Errorf("%s event without an after row", e.Op)
		}
		vals, owned, err := tb.project(e.Table, e.After)
		if err != nil {
			return err
		}
		if e.Op == event.OpUpdate && e.Before != nil {
			before, bOwned, err := tb.project(e.Table, e.Before)
			if err != nil {
				return err
			}
			oldKey, err1 := tb.keyOf(before)
			newKey, err2 := tb.keyOf(vals)
			if err1 == nil && err2 == nil && oldKey != newKey {
				// A key change: distribution-key columns cannot be updated
				// in place on AnalyticDB, and a set-based upsert matches by
				// key, so delete the old key and upsert the new one.
				if err := tb.put(&entry{op: 'd', pos: pos, vals: before, owned: bOwned}); err != nil {
					return err
				}
			}
		}
		return tb.put(&entry{op: 'u', pos: pos, vals: vals, owned: owned})
	}
	return fmt.Errorf("unknown op %q", e.Op)
}

func (tb *tableBatch) put(n *entry) error {
	k, err := tb.keyOf(n.vals)
	if err != nil {
		return err
	}
	n.key = k
	if n.op == 'd' {
		tb.deletes++
	}
	i, seen := tb.index[k]
	if !seen {
		tb.index[k] = len(tb.rows)
		tb.rows = append(tb.rows, n)
		return nil
	}
	old := tb.rows[i]
	if n.pos.compare(old.pos) < 0 {
		return nil // older than what the batch already holds for this key
	}
	if n.op == 'u' && old.op == 'u' {
		// Carry values the newer event does not hold from the older one.
		for j, v := range n.vals {
			if event.IsUnchanged(v) && !event.IsUnchanged(old.vals[j]) {
				if !n.owned {
					n.vals = append(event.Row(nil), n.vals...)
					n.owned = true
				}
				n.vals[j] = old.vals[j]
			}
		}
	}
	tb.rows[i] = n
	return nil
}

// memoName remembers name's answers by table: the events of one table in a
// batch share its *catalog.Table, and name may take a lock.
func memoName(name func(*catalog.Table) (string, string)) func(*catalog.Table) (string, string) {
	type pair struct{ s, n string }
	m := map[*catalog.Table]pair{}
	return func(t *catalog.Table) (string, string) {
		p, ok := m[t]
		if !ok {
			p.s, p.n = name(t)
			m[t] = p
		}
		return p.s, p.n
	}
}

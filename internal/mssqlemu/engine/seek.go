package engine

import (
	"math"
	"slices"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// A key seek answers SELECT TOP (n) ... FROM t WHERE <range of the first
// key column> ORDER BY <first key column>, ... — the producer's snapshot
// chunk, keyset pagination — from an ordered view of the table instead of
// a scan of every row. Without it each chunk of a large table costs the
// whole table, and a snapshot grows with the square of the rows.
//
// The seek only narrows which rows are looked at: every row it reads is
// made visible with the same rule as a scan and tested against the whole
// WHERE clause, so the bounds it derives from WHERE need only be implied
// by it, never exact. It is taken for a clustered primary key whose first
// column is an integer type (compared exactly, as int64, with no collation
// involved); string and other keys keep the scan. One difference from the
// scan is plan-like: a WHERE clause that fails with an error on a row
// outside the range is not evaluated on that row, as SQL Server's own seek
// would not.

// keyOrder is the ordered view: every chain once under each distinct
// value its first key column has in any of its versions (committed or
// pending), so that an older snapshot finds a row under the key it had
// then. Chains changed since the view was built are in dirty and read
// apart; a large change or DDL drops the view, rebuilt at the next seek.
type keyOrder struct {
	ix      *Index
	ord     int
	entries []orderEntry // sorted by key
	dirty   map[*rowChain]struct{}
}

type orderEntry struct {
	key   int64
	chain *rowChain
}

// touch records that c changed; nil means the table changed in a way the
// view cannot follow (a chain removed, DDL), which drops the view.
func (t *Table) touch(c *rowChain) {
	o := t.order
	if o == nil {
		return
	}
	if c == nil || len(o.dirty) >= 4096+len(o.entries)/64 {
		t.order = nil
		return
	}
	o.dirty[c] = struct{}{}
}

// intKey is the first key column's value as int64, for integer columns.
func intKey(row []any, ord int) (int64, bool) {
	if ord >= len(row) {
		return 0, false
	}
	v, ok := row[ord].(int64)
	return v, ok
}

func isIntType(id sqltypes.TypeID) bool {
	switch id {
	case sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Int, sqltypes.BigInt:
		return true
	}
	return false
}

// seekable returns the clustered primary key when its first column is an
// integer one a seek can order by.
func (t *Table) seekable() *Index {
	pk := t.PK()
	if pk == nil || !pk.Clustered || len(pk.Columns) == 0 || (len(pk.Desc) > 0 && pk.Desc[0]) {
		return nil
	}
	if !isIntType(t.Columns[pk.Columns[0]].Type.ID) {
		return nil
	}
	for _, c := range t.Columns {
		if c.Computed != nil {
			return nil
		}
	}
	return pk
}

// keyOrder returns the table's ordered view, building it when it is
// missing or describes another key.
func (t *Table) keyOrder(pk *Index) *keyOrder {
	if o := t.order; o != nil && o.ix == pk && o.ord == pk.Columns[0] {
		return o
	}
	ord := pk.Columns[0]
	o := &keyOrder{ix: pk, ord: ord, entries: make([]orderEntry, 0, len(t.chains)), dirty: map[*rowChain]struct{}{}}
	for _, c := range t.chains {
		o.entries = chainKeys(o.entries, c, ord)
	}
	cmp := func(a, b orderEntry) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	}
	// Ascending inserts, the common case, need no sort.
	if !slices.IsSortedFunc(o.entries, cmp) {
		slices.SortStableFunc(o.entries, cmp)
	}
	t.order = o
	return o
}

// chainKeys appends an entry for each distinct first-key value of c's
// versions.
func chainKeys(out []orderEntry, c *rowChain, ord int) []orderEntry {
	first := len(out)
	add := func(d []any) {
		k, ok := intKey(d, ord)
		if !ok {
			return
		}
		for _, e := range out[first:] {
			if e.key == k {
				return
			}
		}
		out = append(out, orderEntry{key: k, chain: c})
	}
	for _, v := range c.versions {
		add(v.data)
	}
	if c.pending != nil {
		add(c.pending.data)
	}
	return out
}

// span is an inclusive range of int64 keys; lo > hi is empty.
type span struct{ lo, hi int64 }

var fullSpan = span{math.MinInt64, math.MaxInt64}

func (s span) empty() bool { return s.lo > s.hi }

func (s span) intersect(o span) span { return span{max(s.lo, o.lo), min(s.hi, o.hi)} }

func (s span) union(o span) span {
	switch {
	case s.empty():
		return o
	case o.empty():
		return s
	}
	return span{min(s.lo, o.lo), max(s.hi, o.hi)}
}

// seekPlan is what a SELECT needs for a key seek.
type seekPlan struct {
	d     *Database
	t     *Table
	pk    *Index
	rel   *relation
	top   int
	where span
}

// planSeek reports whether sel can be answered by a key seek, and how.
func (ev *evaluator) planSeek(sel *tsql.SelectStmt) (*seekPlan, bool) {
	if ev.s.e.scanOnly || sel.Top == nil || sel.Top.Percent || sel.Top.WithTies || sel.Offset != nil ||
		sel.Distinct || len(sel.GroupBy) > 0 || sel.Having != nil || len(sel.OrderBy) == 0 || sel.OrderBy[0].Desc ||
		!orderBySource(sel) {
		return nil, false
	}
	tn, ok := sel.From.(*tsql.TableName)
	if !ok || len(tn.Hints) > 0 {
		return nil, false
	}
	for _, it := range sel.Items {
		if it.Expr != nil && hasAggregate(it.Expr) {
			return nil, false
		}
	}
	for _, o := range sel.OrderBy {
		if hasAggregate(o.Expr) {
			return nil, false
		}
	}
	if sel.Where != nil && hasAggregate(sel.Where) {
		return nil, false
	}
	o := tn.Name
	switch strings.ToLower(o.Schema) {
	case "sys", "information_schema", "cdc":
		return nil, false
	}
	if o.Schema == "" && o.Database == "" && ev.ctes != nil && ev.ctes[strings.ToLower(o.Object)] != nil {
		return nil, false
	}
	d, err := ev.s.dbFor(o)
	if err != nil {
		return nil, false
	}
	t := ev.s.findTable(d, o)
	if t == nil || t.System {
		return nil, false
	}
	pk := t.seekable()
	if pk == nil {
		return nil, false
	}
	rel := qualify(&relation{cols: tableCols(t)}, o, tn.Alias)
	key := pk.Columns[0]
	if !ev.isColumn(sel.OrderBy[0].Expr, rel, key) {
		return nil, false
	}
	n, err := ev.topCount(sel.Top, 0)
	if err != nil {
		return nil, false
	}
	p := &seekPlan{d: d, t: t, pk: pk, rel: rel, top: n, where: fullSpan}
	if sel.Where != nil {
		p.where = ev.keySpan(sel.Where, rel, key)
	}
	return p, true
}

// isColumn reports whether e names column ord of rel.
func (ev *evaluator) isColumn(e tsql.Expr, rel *relation, ord int) bool {
	cr, ok := e.(*tsql.ColumnRef)
	if !ok {
		return false
	}
	i, err := rel.find(cr)
	return err == nil && i == ord
}

// keySpan is a range of the key column that every row satisfying e lies
// in (fullSpan when e implies none that is understood here).
func (ev *evaluator) keySpan(e tsql.Expr, rel *relation, ord int) span {
	switch x := e.(type) {
	case *tsql.BinaryExpr:
		switch x.Op {
		case tsql.OpAnd:
			return ev.keySpan(x.L, rel, ord).intersect(ev.keySpan(x.R, rel, ord))
		case tsql.OpOr:
			return ev.keySpan(x.L, rel, ord).union(ev.keySpan(x.R, rel, ord))
		}
		op := x.Op
		val := x.R
		if !ev.isColumn(x.L, rel, ord) {
			if !ev.isColumn(x.R, rel, ord) {
				return fullSpan
			}
			val = x.L
			if m, ok := mirrored[op]; ok {
				op = m
			}
		}
		v, ok := ev.constInt(val)
		if !ok {
			return fullSpan
		}
		return compareSpan(op, v)
	case *tsql.BetweenExpr:
		if x.Not || !ev.isColumn(x.X, rel, ord) {
			return fullSpan
		}
		lo, ok1 := ev.constInt(x.Lo)
		hi, ok2 := ev.constInt(x.Hi)
		if !ok1 || !ok2 {
			return fullSpan
		}
		return span{lo, hi}
	}
	return fullSpan
}

// mirrored turns v op k into k op' v (= and the rest stay as they are).
var mirrored = map[tsql.BinaryOp]tsql.BinaryOp{
	tsql.OpLt: tsql.OpGt, tsql.OpGt: tsql.OpLt, tsql.OpLe: tsql.OpGe, tsql.OpGe: tsql.OpLe,
	tsql.OpNotLt: tsql.OpNotGt, tsql.OpNotGt: tsql.OpNotLt,
}

// compareSpan is the range of k for which k op v holds.
func compareSpan(op tsql.BinaryOp, v int64) span {
	switch op {
	case tsql.OpEq:
		return span{v, v}
	case tsql.OpGt:
		if v == math.MaxInt64 {
			return span{1, 0}
		}
		return span{v + 1, math.MaxInt64}
	case tsql.OpGe, tsql.OpNotLt:
		return span{v, math.MaxInt64}
	case tsql.OpLt:
		if v == math.MinInt64 {
			return span{1, 0}
		}
		return span{math.MinInt64, v - 1}
	case tsql.OpLe, tsql.OpNotGt:
		return span{math.MinInt64, v}
	}
	return fullSpan
}

// constInt evaluates e when it is a literal or a variable (a parameter)
// of an integer type that is not NULL; comparing an integer column with it
// is then exact.
func (ev *evaluator) constInt(e tsql.Expr) (int64, bool) {
	switch x := e.(type) {
	case *tsql.VarRef, *tsql.NumberLit:
	case *tsql.UnaryExpr:
		if x.Op != tsql.OpNeg && x.Op != tsql.OpPlus {
			return 0, false
		}
		if _, ok := x.X.(*tsql.NumberLit); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	v, t, err := ev.eval(e, nil)
	if err != nil || !isIntType(t.ID) {
		return 0, false
	}
	n, ok := v.(int64)
	return n, ok
}

// seek reads the rows of p's table that satisfy where, in key order, as
// many as TOP needs: every match up to the n-th in the first key column's
// order and the rest of its key value (the later ORDER BY columns may put
// one of those first), plus the matches among the chains changed since the
// view was built. The caller sorts and cuts them as it would a scan.
func (ev *evaluator) seek(p *seekPlan, where tsql.Expr, outer *rowCtx) (*relation, error) {
	t := p.t
	if err := ev.s.checkSnapshot(ev.tx, p.d); err != nil {
		return nil, err
	}
	if err := readLock(ev.tx, ev.s.iso, t); err != nil {
		return nil, err
	}
	snap := ev.s.snapshotSeq(ev.tx)
	out := &relation{cols: p.rel.cols}
	if p.top == 0 || p.where.empty() {
		return out, nil
	}
	o := t.keyOrder(p.pk)
	rc := &rowCtx{rel: out, outer: outer}
	match := func(row []any) (bool, error) {
		if where == nil {
			return true, nil
		}
		rc.row = row
		return ev.cond(where, rc)
	}
	var rows [][]any
	found := 0
	var last int64
	i, _ := slices.BinarySearchFunc(o.entries, p.where.lo, func(e orderEntry, k int64) int {
		switch {
		case e.key < k:
			return -1
		case e.key > k:
			return 1
		}
		return 0
	})
	for ; i < len(o.entries); i++ {
		e := o.entries[i]
		if e.key > p.where.hi || (found >= p.top && e.key > last) {
			break
		}
		if _, ok := o.dirty[e.chain]; ok {
			continue
		}
		d := e.chain.visible(ev.tx, snap)
		if d == nil {
			continue
		}
		row := t.pad(d)
		if k, ok := intKey(row, o.ord); !ok || k != e.key {
			continue // read under the key it has in this snapshot
		}
		ok, err := match(row)
		if err != nil {
			return nil, err
		}
		if ok {
			rows = append(rows, row)
			if found++; found == p.top {
				last = e.key
			}
		}
	}
	for c := range o.dirty {
		d := c.visible(ev.tx, snap)
		if d == nil {
			continue
		}
		row := t.pad(d)
		if k, ok := intKey(row, o.ord); !ok || k < p.where.lo || k > p.where.hi {
			continue
		}
		ok, err := match(row)
		if err != nil {
			return nil, err
		}
		if ok {
			rows = append(rows, row)
		}
	}
	// In clustered key order, as a scan returns them, so that ORDER BY
	// ties come out the same.
	slices.SortStableFunc(rows, func(a, b []any) int { return compareKeys(t, p.pk, a, b) })
	out.rows = rows
	return out, nil
}

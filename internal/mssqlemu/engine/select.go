package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// source builds the relation a FROM item names.
func (ev *evaluator) source(ts tsql.TableSource, outer *rowCtx) (*relation, error) {
	switch x := ts.(type) {
	case *tsql.TableName:
		rel, _, err := ev.tableRelation(x.Name)
		if err != nil {
			return nil, err
		}
		return qualify(rel, x.Name, x.Alias), nil
	case *tsql.TableFunc:
		rel, err := ev.tableFunc(x)
		if err != nil {
			return nil, err
		}
		return qualify(rel, x.Name, x.Alias), nil
	case *tsql.DerivedTable:
		rel, err := ev.query(x.Select, outer)
		if err != nil {
			return nil, err
		}
		return qualify(rel, tsql.ObjectName{Object: x.Alias}, x.Alias), nil
	case *tsql.Join:
		return ev.join(x, outer)
	}
	return nil, errNotSupported(fmt.Sprintf("%T", ts))
}

// qualify names a relation's columns by alias, or by table and schema.table.
func qualify(rel *relation, name tsql.ObjectName, alias string) *relation {
	var quals []string
	if alias != "" {
		quals = []string{strings.ToLower(alias)}
	} else {
		quals = []string{strings.ToLower(name.Object)}
		if name.Schema != "" {
			quals = append(quals, strings.ToLower(name.Schema+"."+name.Object))
		} else {
			quals = append(quals, "dbo."+strings.ToLower(name.Object))
		}
	}
	out := &relation{cols: make([]relCol, len(rel.cols)), rows: rel.rows}
	for i, c := range rel.cols {
		c.quals = quals
		out.cols[i] = c
	}
	return out
}

func (ev *evaluator) join(j *tsql.Join, outer *rowCtx) (*relation, error) {
	l, err := ev.source(j.Left, outer)
	if err != nil {
		return nil, err
	}
	r, err := ev.source(j.Right, outer)
	if err != nil {
		return nil, err
	}
	if j.Kind == tsql.RightJoin {
		l, r = r, l
	}
	out := &relation{cols: append(append([]relCol{}, l.cols...), r.cols...)}
	rc := &rowCtx{rel: out, outer: outer}
	for _, lr := range l.rows {
		matched := false
		for _, rr := range r.rows {
			row := append(append(make([]any, 0, len(out.cols)), lr...), rr...)
			if j.On != nil {
				rc.row = row
				ok, err := ev.cond(j.On, rc)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			matched = true
			out.rows = append(out.rows, row)
		}
		if !matched && (j.Kind == tsql.LeftJoin || j.Kind == tsql.RightJoin || j.Kind == tsql.FullJoin) {
			out.rows = append(out.rows, append(append(make([]any, 0, len(out.cols)), lr...), make([]any, len(r.cols))...))
		}
	}
	if j.Kind == tsql.RightJoin {
		// Restore column order: left columns first.
		n := len(r.cols)
		cols := append(append([]relCol{}, out.cols[len(l.cols):]...), out.cols[:len(l.cols)]...)
		for i, row := range out.rows {
			out.rows[i] = append(append([]any{}, row[len(l.cols):]...), row[:len(l.cols)]...)
		}
		_ = n
		out.cols = cols
	}
	return out, nil
}

// hasAggregate reports whether e contains an aggregate call (outside subqueries).
func hasAggregate(e tsql.Expr) bool {
	found := false
	walkExpr(e, func(x tsql.Expr) bool {
		if f, ok := x.(*tsql.FuncCall); ok && isAggregate(f) {
			found = true
		}
		return !found
	})
	return found
}

// walkExpr visits e and its sub-expressions (not subqueries) while fn returns true.
func walkExpr(e tsql.Expr, fn func(tsql.Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *tsql.UnaryExpr:
		walkExpr(x.X, fn)
	case *tsql.BinaryExpr:
		walkExpr(x.L, fn)
		walkExpr(x.R, fn)
	case *tsql.IsNullExpr:
		walkExpr(x.X, fn)
	case *tsql.InExpr:
		walkExpr(x.X, fn)
		for _, a := range x.List {
			walkExpr(a, fn)
		}
	case *tsql.BetweenExpr:
		walkExpr(x.X, fn)
		walkExpr(x.Lo, fn)
		walkExpr(x.Hi, fn)
	case *tsql.LikeExpr:
		walkExpr(x.X, fn)
		walkExpr(x.Pattern, fn)
	case *tsql.CaseExpr:
		walkExpr(x.Operand, fn)
		for _, w := range x.Whens {
			walkExpr(w.Cond, fn)
			walkExpr(w.Result, fn)
		}
		walkExpr(x.Else, fn)
	case *tsql.CastExpr:
		walkExpr(x.X, fn)
	case *tsql.ConvertExpr:
		walkExpr(x.X, fn)
		walkExpr(x.Style, fn)
	case *tsql.FuncCall:
		walkExpr(x.Receiver, fn)
		for _, a := range x.Args {
			walkExpr(a, fn)
		}
	case *tsql.CollateExpr:
		walkExpr(x.X, fn)
	}
}

// outRow is a projected row with what ORDER BY needs to sort it.
type outRow struct {
	vals []any
	ctx  *rowCtx
	keys []any
}

// query runs a SELECT and returns its result relation.
func (ev *evaluator) query(sel *tsql.SelectStmt, outer *rowCtx) (*relation, error) {
	if len(sel.With) > 0 {
		defer ev.withCTEs(sel)()
		inner := *sel
		inner.With = nil
		return ev.query(&inner, outer)
	}
	if len(sel.Unions) > 0 {
		return ev.queryUnion(sel, outer)
	}
	if sel.Where != nil && hasAggregate(sel.Where) {
		return nil, msg(147, 15, 1, "An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference.")
	}
	src := &relation{rows: [][]any{{}}}
	filtered := false // the key seek applied WHERE already
	if p, ok := ev.planSeek(sel); ok {
		var err error
		if src, err = ev.seek(p, sel.Where, outer); err != nil {
			return nil, err
		}
		filtered = true
	} else if sel.From != nil {
		var err error
		if src, err = ev.source(sel.From, outer); err != nil {
			return nil, err
		}
	}
	// WHERE
	var rows [][]any
	if sel.Where != nil && !filtered {
		rc := &rowCtx{rel: src, outer: outer}
		for _, r := range src.rows {
			rc.row = r
			ok, err := ev.cond(sel.Where, rc)
			if err != nil {
				return nil, err
			}
			if ok {
				rows = append(rows, r)
			}
		}
	} else {
		rows = src.rows
	}
	// Grouping
	grouped := len(sel.GroupBy) > 0 || sel.Having != nil
	for _, it := range sel.Items {
		if it.Expr != nil && hasAggregate(it.Expr) {
			grouped = true
		}
	}
	for _, o := range sel.OrderBy {
		if hasAggregate(o.Expr) {
			grouped = true
		}
	}
	var ctxs []*rowCtx
	if grouped {
		groups, err := ev.group(src, rows, sel.GroupBy, outer)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			rc := &rowCtx{rel: src, group: g, outer: outer}
			if len(g) > 0 {
				rc.row = g[0]
			}
			if sel.Having != nil {
				ok, err := ev.cond(sel.Having, rc)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			ctxs = append(ctxs, rc)
		}
	} else {
		for _, r := range rows {
			ctxs = append(ctxs, &rowCtx{rel: src, row: r, outer: outer})
		}
	}
	// Output columns
	out := &relation{}
	type itemPlan struct {
		expr tsql.Expr
		idx  []int // star: source column indexes
	}
	var plans []itemPlan
	typeCtx := &rowCtx{rel: src, row: make([]any, len(src.cols)), outer: outer}
	if grouped {
		typeCtx.group = [][]any{}
	}
	for _, it := range sel.Items {
		if it.Star {
			var idx []int
			for i, c := range src.cols {
				if it.Qualifier.Object != "" {
					q := qualName(it.Qualifier)
					ok := false
					for _, cq := range c.quals {
						ok = ok || cq == q
					}
					if !ok {
						continue
					}
				}
				idx = append(idx, i)
				out.cols = append(out.cols, relCol{name: c.name, typ: c.typ, nullable: c.nullable, identity: c.identity, quals: c.quals})
			}
			if sel.From == nil {
				return nil, msg(263, 16, 1, "Must specify table to select from.")
			}
			if len(idx) == 0 && it.Qualifier.Object != "" {
				return nil, msg(4104, 16, 1, fmt.Sprintf("The multi-part identifier \"%s\" could not be bound.", it.Qualifier.Object))
			}
			plans = append(plans, itemPlan{idx: idx})
			continue
		}
		col := relCol{name: it.Alias, nullable: true}
		if cr, ok := it.Expr.(*tsql.ColumnRef); ok {
			if col.name == "" {
				col.name = cr.Column
			}
			if i, err := src.find(cr); err == nil && i >= 0 {
				c := src.cols[i]
				col.typ, col.nullable, col.identity, col.quals = c.typ, c.nullable, c.identity, c.quals
				if col.name == cr.Column {
					col.name = c.name
				}
			}
		}
		if col.typ.ID == sqltypes.Unknown {
			col.typ = ev.typeOf(it.Expr, typeCtx)
		}
		out.cols = append(out.cols, col)
		plans = append(plans, itemPlan{expr: it.Expr})
	}
	// Without DISTINCT or grouping, and when ORDER BY needs no output
	// column, sort and cut the source rows first and project only what
	// TOP/OFFSET keep (keyset pagination reads a few rows of many).
	early := !grouped && !sel.Distinct && orderBySource(sel)
	if early {
		pre := make([]outRow, len(ctxs))
		for i, rc := range ctxs {
			pre[i] = outRow{ctx: rc}
		}
		if len(sel.OrderBy) > 0 {
			if err := ev.sortRows(pre, sel, out); err != nil {
				return nil, err
			}
		}
		pre, err := ev.limit(pre, sel)
		if err != nil {
			return nil, err
		}
		ctxs = ctxs[:0]
		for _, r := range pre {
			ctxs = append(ctxs, r.ctx)
		}
	}
	// Project
	orows := make([]outRow, 0, len(ctxs))
	for _, rc := range ctxs {
		vals := make([]any, 0, len(out.cols))
		for _, p := range plans {
			if p.expr == nil {
				for _, i := range p.idx {
					if rc.row != nil {
						vals = append(vals, rc.row[i])
					} else {
						vals = append(vals, nil)
					}
				}
				continue
			}
			v, t, err := ev.eval(p.expr, rc)
			if err != nil {
				return nil, err
			}
			ct := out.cols[len(vals)].typ
			if v != nil && t.ID != ct.ID && ct.ID != sqltypes.Unknown {
				if v, err = sqltypes.Convert(v, t, ct, -1); err != nil {
					return nil, err
				}
			}
			vals = append(vals, v)
		}
		orows = append(orows, outRow{vals: vals, ctx: rc})
	}
	if !early {
		if sel.Distinct {
			orows = distinct(orows, out)
		}
		if len(sel.OrderBy) > 0 {
			if err := ev.sortRows(orows, sel, out); err != nil {
				return nil, err
			}
		}
		var err error
		if orows, err = ev.limit(orows, sel); err != nil {
			return nil, err
		}
	}
	out.rows = make([][]any, len(orows))
	for i, r := range orows {
		out.rows[i] = r.vals
	}
	return out, nil
}

func (ev *evaluator) intExpr(e tsql.Expr) (int64, error) {
	v, t, err := ev.eval(e, nil)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	n, err := sqltypes.Convert(v, t, sqltypes.BigIntType, -1)
	if err != nil {
		return 0, err
	}
	return n.(int64), nil
}

func (ev *evaluator) topCount(top *tsql.TopClause, total int) (int, error) {
	v, t, err := ev.eval(top.Count, nil)
	if err != nil {
		return 0, err
	}
	if top.Percent {
		f, err := sqltypes.Convert(v, t, sqltypes.FloatType, -1)
		if err != nil {
			return 0, err
		}
		p := f.(float64)
		n := int(p*float64(total)/100 + 0.999999999)
		return n, nil
	}
	n, err := sqltypes.Convert(v, t, sqltypes.BigIntType, -1)
	if err != nil {
		return 0, err
	}
	if n == nil || n.(int64) < 0 {
		return 0, msg(1060, 16, 1, "The number of rows in the TOP clause must be an integer.")
	}
	return int(min(n.(int64), 1<<31)), nil
}

// limit applies OFFSET/FETCH and TOP.
func (ev *evaluator) limit(orows []outRow, sel *tsql.SelectStmt) ([]outRow, error) {
	if sel.Offset != nil {
		n, err := ev.intExpr(sel.Offset)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, msg(10742, 16, 1, "The offset specified in a OFFSET clause may not be negative.")
		}
		if int(n) < len(orows) {
			orows = orows[n:]
		} else {
			orows = nil
		}
		if sel.Fetch != nil {
			m, err := ev.intExpr(sel.Fetch)
			if err != nil {
				return nil, err
			}
			if int(m) < len(orows) {
				orows = orows[:max(m, 0)]
			}
		}
	}
	if sel.Top != nil {
		n, err := ev.topCount(sel.Top, len(orows))
		if err != nil {
			return nil, err
		}
		if n < len(orows) {
			orows = orows[:n]
		}
	}
	return orows, nil
}

// orderBySource reports whether every ORDER BY item can be evaluated on the
// source row (no select-list ordinal or alias).
func orderBySource(sel *tsql.SelectStmt) bool {
	for _, o := range sel.OrderBy {
		if n, ok := o.Expr.(*tsql.NumberLit); ok && n.Kind == tsql.IntNumber {
			return false
		}
		if cr, ok := o.Expr.(*tsql.ColumnRef); ok && cr.Table.Object == "" {
			for _, it := range sel.Items {
				if !it.Star && it.Alias != "" && strings.EqualFold(it.Alias, cr.Column) {
					return false
				}
			}
		}
	}
	return true
}

package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

func distinct(rows []outRow, rel *relation) []outRow {
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		var sb strings.Builder
		for i, v := range r.vals {
			s := valueKey(v, rel.cols[i].typ)
			if v == nil {
				s = "\x00NULL"
			} else if !rel.cols[i].typ.Collation.CaseSensitive() {
				s = strings.ToLower(strings.TrimRight(s, " "))
			}
			sb.WriteString(s)
			sb.WriteByte(1)
		}
		if !seen[sb.String()] {
			seen[sb.String()] = true
			out = append(out, r)
		}
	}
	return out
}

// sortRows orders by ORDER BY items: an output alias or ordinal, else an
// expression over the source row.
func (ev *evaluator) sortRows(rows []outRow, sel *tsql.SelectStmt, out *relation) error {
	types := make([]sqltypes.Type, len(sel.OrderBy))
	for i := range rows {
		rows[i].keys = make([]any, len(sel.OrderBy))
	}
	for k, o := range sel.OrderBy {
		outIdx := -1
		if n, ok := o.Expr.(*tsql.NumberLit); ok && n.Kind == tsql.IntNumber {
			var pos int
			fmt.Sscan(n.Text, &pos)
			if pos < 1 || pos > len(out.cols) {
				return msg(108, 16, 1, fmt.Sprintf("The ORDER BY position number %d is out of range of the number of items in the select list.", pos))
			}
			outIdx = pos - 1
		} else if cr, ok := o.Expr.(*tsql.ColumnRef); ok && cr.Table.Object == "" {
			for i, it := range sel.Items {
				if !it.Star && it.Alias != "" && strings.EqualFold(it.Alias, cr.Column) {
					outIdx = colOffset(sel, out, i)
				}
			}
		}
		if outIdx >= 0 {
			types[k] = out.cols[outIdx].typ
			for i := range rows {
				rows[i].keys[k] = rows[i].vals[outIdx]
			}
			continue
		}
		for i := range rows {
			v, t, err := ev.eval(o.Expr, rows[i].ctx)
			if err != nil {
				return err
			}
			rows[i].keys[k] = v
			types[k] = t
		}
	}
	var sortErr error
	less := func(a, b int) bool {
		for k, o := range sel.OrderBy {
			x, y := rows[a].keys[k], rows[b].keys[k]
			var c int
			switch {
			case x == nil && y == nil:
			case x == nil:
				c = -1
			case y == nil:
				c = 1
			default:
				var err error
				c, err = compareValues(x, y, types[k], types[k])
				if err != nil && sortErr == nil {
					sortErr = err
				}
			}
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	}
	// Rows usually come in clustered key order already.
	sorted := true
	for i := 1; i < len(rows) && sorted; i++ {
		sorted = !less(i, i-1)
	}
	if !sorted {
		sort.SliceStable(rows, less)
	}
	return sortErr
}

// colOffset maps select item i to its output column index.
func colOffset(sel *tsql.SelectStmt, out *relation, item int) int {
	off := 0
	for i := 0; i < item; i++ {
		if sel.Items[i].Star {
			// A star's width is unknown here; count by names is not needed
			// because aliases never follow stars in producer queries.
			return item
		}
		off++
	}
	return off
}

// group partitions rows by the GROUP BY expressions (one group when none).
func (ev *evaluator) group(src *relation, rows [][]any, by []tsql.Expr, outer *rowCtx) ([][][]any, error) {
	if len(by) == 0 {
		return [][][]any{rows}, nil
	}
	var order []string
	groups := map[string][][]any{}
	rc := &rowCtx{rel: src, outer: outer}
	for _, r := range rows {
		rc.row = r
		var sb strings.Builder
		for _, e := range by {
			v, t, err := ev.eval(e, rc)
			if err != nil {
				return nil, err
			}
			s, _ := sqltypes.ToString(v, t, 2)
			if v == nil {
				s = "\x00NULL"
			} else if t.ID.IsCharacter() && !t.Collation.CaseSensitive() {
				s = strings.ToLower(strings.TrimRight(s, " "))
			}
			sb.WriteString(s)
			sb.WriteByte(1)
		}
		k := sb.String()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([][][]any, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out, nil
}

// aggregate evaluates COUNT/SUM/AVG/MIN/MAX over the current group.
func (ev *evaluator) aggregate(f *tsql.FuncCall, rc *rowCtx) (any, sqltypes.Type, error) {
	name := strings.ToUpper(f.Name.Object)
	var group [][]any
	var rel *relation
	if rc != nil {
		group, rel = rc.group, rc.rel
		if group == nil && rc.row != nil {
			group = [][]any{rc.row}
		}
	}
	if f.Star {
		if name == "COUNT_BIG" {
			return int64(len(group)), sqltypes.BigIntType, nil
		}
		return int64(len(group)), sqltypes.IntType, nil
	}
	if len(f.Args) != 1 {
		return nil, sqltypes.Type{}, msg(174, 15, 1, fmt.Sprintf("The %s function requires 1 argument(s).", strings.ToLower(name)))
	}
	var vals []any
	var vt sqltypes.Type
	seen := map[string]bool{}
	sub := &rowCtx{rel: rel}
	if rc != nil {
		sub.outer = rc.outer
	}
	for _, r := range group {
		sub.row = r
		v, t, err := ev.eval(f.Args[0], sub)
		if err != nil {
			return nil, t, err
		}
		vt = t
		if v == nil {
			continue
		}
		if f.Distinct {
			k, _ := sqltypes.ToString(v, t, 2)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		vals = append(vals, v)
	}
	if len(group) == 0 {
		vt = ev.typeOf(f.Args[0], &rowCtx{rel: rel})
	}
	switch name {
	case "COUNT":
		return int64(len(vals)), sqltypes.IntType, nil
	case "COUNT_BIG":
		return int64(len(vals)), sqltypes.BigIntType, nil
	case "MIN", "MAX":
		var best any
		for _, v := range vals {
			if best == nil {
				best = v
				continue
			}
			c, err := compareValues(v, best, vt, vt)
			if err != nil {
				return nil, vt, err
			}
			if (name == "MIN" && c < 0) || (name == "MAX" && c > 0) {
				best = v
			}
		}
		return best, vt, nil
	case "SUM", "AVG":
		rt := vt
		switch vt.ID {
		case sqltypes.Bit, sqltypes.TinyInt, sqltypes.SmallInt:
			rt = sqltypes.IntType
		case sqltypes.Decimal, sqltypes.Numeric:
			rt = sqltypes.DecimalType(38, vt.Scale)
			if name == "AVG" {
				rt = sqltypes.DecimalType(38, max(vt.Scale, 6))
			}
		case sqltypes.Real:
			rt = sqltypes.FloatType
		}
		if len(vals) == 0 {
			return nil, rt, nil
		}
		var sum any = vals[0]
		st := vt
		for _, v := range vals[1:] {
			var err error
			if sum, st, err = sqltypes.Arith('+', sum, v, widenSum(st), vt); err != nil {
				return nil, rt, err
			}
		}
		if name == "AVG" {
			var err error
			if sum, _, err = sqltypes.Arith('/', sum, int64(len(vals)), widenSum(st), sqltypes.BigIntType); err != nil {
				return nil, rt, err
			}
		}
		out, err := sqltypes.Convert(sum, sqltypes.TypeOf(sum), rt, -1)
		if d, ok := sum.(sqltypes.DecimalValue); ok && err == nil && name == "AVG" {
			out, err = sqltypes.RatToDecimal(d.Rat(), rt)
		}
		return out, rt, err
	}
	return nil, vt, nil
}

// widenSum keeps running sums from overflowing the operand type early.
func widenSum(t sqltypes.Type) sqltypes.Type {
	switch t.ID {
	case sqltypes.Bit, sqltypes.TinyInt, sqltypes.SmallInt, sqltypes.Int:
		return sqltypes.BigIntType
	case sqltypes.Decimal, sqltypes.Numeric:
		return sqltypes.DecimalType(38, t.Scale)
	}
	return t
}

package engine

import (
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// queryUnion runs SELECT ... UNION [ALL] SELECT ... as the set operators
// page documents
// (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/set-operators-union-transact-sql):
// the arms combine left to right, UNION removes duplicates of what it has
// combined so far, UNION ALL keeps them; the column names are the first
// arm's, each column's type the one of highest precedence among the arms;
// ORDER BY and OFFSET apply to the result.
func (ev *evaluator) queryUnion(sel *tsql.SelectStmt, outer *rowCtx) (*relation, error) {
	first := *sel
	first.Unions, first.OrderBy, first.Offset, first.Fetch = nil, nil, nil, nil
	out, err := ev.query(&first, outer)
	if err != nil {
		return nil, err
	}
	arms := []*relation{out}
	for _, u := range sel.Unions {
		r, err := ev.query(u.Select, outer)
		if err != nil {
			return nil, err
		}
		if len(r.cols) != len(out.cols) {
			return nil, msg(205, 16, 1, "All queries combined using a UNION, INTERSECT or EXCEPT operator must have an equal number of expressions in their target lists.")
		}
		for i, c := range r.cols {
			oc := &out.cols[i]
			if oc.typ.ID == sqltypes.Unknown || c.typ.ID.Precedence() > oc.typ.ID.Precedence() || c.typ.ID == oc.typ.ID {
				oc.typ = widen(oc.typ, c.typ)
			}
			oc.nullable = oc.nullable || c.nullable
			oc.identity = false
		}
		arms = append(arms, r)
	}
	// Convert every arm's rows to the result types, then combine.
	var rows []outRow
	for k, arm := range arms {
		for _, r := range arm.rows {
			vals := make([]any, len(r))
			for i, v := range r {
				if v != nil && arm.cols[i].typ.ID != out.cols[i].typ.ID {
					if v, err = sqltypes.Convert(v, arm.cols[i].typ, out.cols[i].typ, -1); err != nil {
						return nil, err
					}
				}
				vals[i] = v
			}
			rows = append(rows, outRow{vals: vals})
		}
		if k > 0 && !sel.Unions[k-1].All {
			rows = distinct(rows, out)
		}
	}
	rel := &relation{cols: out.cols}
	for i := range rows {
		rows[i].ctx = &rowCtx{rel: rel, row: rows[i].vals, outer: outer}
	}
	if len(sel.OrderBy) > 0 {
		if err := ev.sortRows(rows, &tsql.SelectStmt{OrderBy: sel.OrderBy}, rel); err != nil {
			return nil, err
		}
	}
	if rows, err = ev.limit(rows, &tsql.SelectStmt{Offset: sel.Offset, Fetch: sel.Fetch}); err != nil {
		return nil, err
	}
	rel.rows = make([][]any, len(rows))
	for i, r := range rows {
		rel.rows[i] = r.vals
	}
	return rel, nil
}

package tsql

import (
	"strconv"
	"strings"
)

func (f *formatter) selectStmt(s *SelectStmt) {
	f.with(s.With)
	f.w("SELECT ")
	if s.Distinct {
		f.w("DISTINCT ")
	}
	f.top(s.Top)
	for k, it := range s.Items {
		if k > 0 {
			f.w(", ")
		}
		f.selectItem(it)
	}
	if s.From != nil {
		f.w(" FROM ")
		f.source(s.From)
	}
	f.where(s.Where)
	if s.GroupBy != nil {
		f.w(" GROUP BY ")
		f.exprs(s.GroupBy)
	}
	if s.Having != nil {
		f.w(" HAVING ")
		f.expr(s.Having)
	}
	for _, u := range s.Unions {
		f.w(" UNION ")
		if u.All {
			f.w("ALL ")
		}
		f.selectStmt(u.Select)
	}
	if s.OrderBy != nil {
		f.w(" ORDER BY ")
		for k, o := range s.OrderBy {
			if k > 0 {
				f.w(", ")
			}
			f.expr(o.Expr)
			if o.Desc {
				f.w(" DESC")
			}
		}
	}
	if s.Offset != nil {
		f.w(" OFFSET ")
		f.expr(s.Offset)
		f.w(" ROWS")
		if s.Fetch != nil {
			f.w(" FETCH NEXT ")
			f.expr(s.Fetch)
			f.w(" ROWS ONLY")
		}
	}
	if s.Options != nil {
		f.w(" OPTION (", strings.Join(s.Options, ", "), ")")
	}
}

func (f *formatter) selectItem(it *SelectItem) {
	switch {
	case it.Star:
		if it.Qualifier.Object != "" {
			f.name(it.Qualifier)
			f.w(".")
		}
		f.w("*")
	case it.Variable != "":
		f.w(it.Variable, " ", it.Op, " ")
		f.expr(it.Expr)
	default:
		f.expr(it.Expr)
		if it.Alias != "" {
			f.w(" AS ", quoteIdent(it.Alias))
		}
	}
}

func (f *formatter) alias(a string) {
	if a != "" {
		f.w(" AS ", quoteIdent(a))
	}
}

// String returns the join as canonical T-SQL writes it.
func (k JoinKind) String() string {
	switch k {
	case InnerJoin:
		return "INNER JOIN"
	case LeftJoin:
		return "LEFT JOIN"
	case RightJoin:
		return "RIGHT JOIN"
	case FullJoin:
		return "FULL JOIN"
	case CrossJoin:
		return "CROSS JOIN"
	}
	return "JoinKind(" + strconv.Itoa(int(k)) + ")"
}

func (f *formatter) source(s TableSource) {
	switch s := s.(type) {
	case *TableName:
		f.name(s.Name)
		f.alias(s.Alias)
		if len(s.Hints) > 0 {
			f.w(" WITH (", strings.Join(s.Hints, ", "), ")")
		}
	case *TableFunc:
		f.name(s.Name)
		f.w("(")
		f.exprs(s.Args)
		f.w(")")
		f.alias(s.Alias)
	case *DerivedTable:
		f.w("(")
		f.selectStmt(s.Select)
		f.w(")")
		f.alias(s.Alias)
	case *Join:
		f.source(s.Left)
		f.w(" ", s.Kind.String(), " ")
		f.source(s.Right)
		if s.On != nil {
			f.w(" ON ")
			f.expr(s.On)
		}
	default:
		f.w("<?>")
	}
}

// with renders WITH name [(columns)] AS (select)[, ...] and a space.
func (f *formatter) with(ctes []*CTE) {
	for k, c := range ctes {
		if k == 0 {
			f.w("WITH ")
		} else {
			f.w(", ")
		}
		f.w(quoteIdent(c.Name))
		if c.Columns != nil {
			f.w(" (")
			f.idents(c.Columns)
			f.w(")")
		}
		f.w(" AS (")
		f.selectStmt(c.Select)
		f.w(")")
		if k == len(ctes)-1 {
			f.w(" ")
		}
	}
}

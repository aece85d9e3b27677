package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// evaluator evaluates expressions and queries for one statement. Callers
// hold e.mu for its whole life.
type evaluator struct {
	s  *session
	fr *frame
	tx *txn
	// resolved caches column lookups: a column reference resolves to the
	// same index of the same relation for every row.
	resolved map[colKey]int
	// ctes are the common table expressions in scope (cte.go), and the
	// statement's OPTION (MAXRECURSION n); -1 for the default.
	ctes         map[string]*cteBinding
	maxRecursion int
}

type colKey struct {
	rel *relation
	ref *tsql.ColumnRef
}

func (s *session) evaluator(fr *frame, tx *txn) *evaluator {
	return &evaluator{s: s, fr: fr, tx: tx}
}

// relCol is a column of an intermediate relation.
type relCol struct {
	name     string
	quals    []string // lower-case qualifiers that name its table: alias, table, schema.table
	typ      sqltypes.Type
	nullable bool
	identity bool
}

// relation is a materialized set of rows.
type relation struct {
	cols []relCol
	rows [][]any
}

// rowCtx is the row an expression is evaluated against; group is set for
// aggregate queries (the rows of the current group).
type rowCtx struct {
	rel   *relation
	row   []any
	group [][]any
	outer *rowCtx
}

type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func (ev *evaluator) cond(e tsql.Expr, rc *rowCtx) (bool, error) {
	t, err := ev.truth(e, rc)
	return t == triTrue, err
}

func boolTri(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// truth evaluates a predicate with three-valued logic.
func (ev *evaluator) truth(e tsql.Expr, rc *rowCtx) (tri, error) {
	switch x := e.(type) {
	case *tsql.BinaryExpr:
		switch x.Op {
		case tsql.OpAnd, tsql.OpOr:
			l, err := ev.truth(x.L, rc)
			if err != nil {
				return triUnknown, err
			}
			if x.Op == tsql.OpAnd && l == triFalse {
				return triFalse, nil
			}
			if x.Op == tsql.OpOr && l == triTrue {
				return triTrue, nil
			}
			r, err := ev.truth(x.R, rc)
			if err != nil {
				return triUnknown, err
			}
			if x.Op == tsql.OpAnd {
				if r == triFalse {
					return triFalse, nil
				}
				if l == triTrue && r == triTrue {
					return triTrue, nil
				}
				return triUnknown, nil
			}
			if r == triTrue {
				return triTrue, nil
			}
			if l == triFalse && r == triFalse {
				return triFalse, nil
			}
			return triUnknown, nil
		case tsql.OpEq, tsql.OpNe, tsql.OpLt, tsql.OpGt, tsql.OpLe, tsql.OpGe, tsql.OpNotLt, tsql.OpNotGt:
			a, ta, err := ev.eval(x.L, rc)
			if err != nil {
				return triUnknown, err
			}
			b, tb, err := ev.eval(x.R, rc)
			if err != nil {
				return triUnknown, err
			}
			if a == nil || b == nil {
				return triUnknown, nil
			}
			c, err := compareValues(a, b, ta, tb)
			if err != nil {
				return triUnknown, err
			}
			switch x.Op {
			case tsql.OpEq:
				return boolTri(c == 0), nil
			case tsql.OpNe:
				return boolTri(c != 0), nil
			case tsql.OpLt:
				return boolTri(c < 0), nil
			case tsql.OpGt:
				return boolTri(c > 0), nil
			case tsql.OpLe, tsql.OpNotGt:
				return boolTri(c <= 0), nil
			default:
				return boolTri(c >= 0), nil
			}
		}
	case *tsql.UnaryExpr:
		if x.Op == tsql.OpNot {
			t, err := ev.truth(x.X, rc)
			switch t {
			case triTrue:
				return triFalse, err
			case triFalse:
				return triTrue, err
			}
			return triUnknown, err
		}
	case *tsql.IsNullExpr:
		v, _, err := ev.eval(x.X, rc)
		if err != nil {
			return triUnknown, err
		}
		return boolTri((v == nil) != x.Not), nil
	case *tsql.BetweenExpr:
		v, tv, err := ev.eval(x.X, rc)
		if err != nil {
			return triUnknown, err
		}
		lo, tl, err := ev.eval(x.Lo, rc)
		if err != nil {
			return triUnknown, err
		}
		hi, th, err := ev.eval(x.Hi, rc)
		if err != nil {
			return triUnknown, err
		}
		if v == nil || lo == nil || hi == nil {
			return triUnknown, nil
		}
		c1, err := compareValues(v, lo, tv, tl)
		if err != nil {
			return triUnknown, err
		}
		c2, err := compareValues(v, hi, tv, th)
		if err != nil {
			return triUnknown, err
		}
		return boolTri((c1 >= 0 && c2 <= 0) != x.Not), nil
	case *tsql.InExpr:
		return ev.inTruth(x, rc)
	case *tsql.LikeExpr:
		v, tv, err := ev.eval(x.X, rc)
		if err != nil {
			return triUnknown, err
		}
		p, _, err := ev.eval(x.Pattern, rc)
		if err != nil {
			return triUnknown, err
		}
		if v == nil || p == nil {
			return triUnknown, nil
		}
		esc := rune(0)
		if x.Escape != nil {
			ev2, _, err := ev.eval(x.Escape, rc)
			if err != nil {
				return triUnknown, err
			}
			if s, ok := ev2.(string); ok && s != "" {
				esc = []rune(s)[0]
			}
		}
		vs, err := sqltypes.ToString(v, tv, -1)
		if err != nil {
			return triUnknown, err
		}
		ps, _ := p.(string)
		ok := likeMatch(vs, ps, esc, !tv.Collation.CaseSensitive())
		return boolTri(ok != x.Not), nil
	case *tsql.ExistsExpr:
		rel, err := ev.query(x.Select, rc)
		if err != nil {
			return triUnknown, err
		}
		return boolTri(len(rel.rows) > 0), nil
	}
	v, t, err := ev.eval(e, rc)
	if err != nil || v == nil {
		return triUnknown, err
	}
	if b, ok := v.(bool); ok {
		return boolTri(b), nil
	}
	return triUnknown, msg(4145, 15, 1, fmt.Sprintf("An expression of non-boolean type (%s) specified in a context where a condition is expected.", t.ID.Name()))
}

func (ev *evaluator) inTruth(x *tsql.InExpr, rc *rowCtx) (tri, error) {
	v, tv, err := ev.eval(x.X, rc)
	if err != nil {
		return triUnknown, err
	}
	var vals []any
	var types []sqltypes.Type
	if x.Select != nil {
		rel, err := ev.query(x.Select, rc)
		if err != nil {
			return triUnknown, err
		}
		for _, r := range rel.rows {
			vals = append(vals, r[0])
			types = append(types, rel.cols[0].typ)
		}
	} else {
		for _, item := range x.List {
			iv, it, err := ev.eval(item, rc)
			if err != nil {
				return triUnknown, err
			}
			vals = append(vals, iv)
			types = append(types, it)
		}
	}
	if v == nil {
		if len(vals) == 0 {
			return boolTri(x.Not), nil
		}
		return triUnknown, nil
	}
	sawNull := false
	for i, iv := range vals {
		if iv == nil {
			sawNull = true
			continue
		}
		c, err := compareValues(v, iv, tv, types[i])
		if err != nil {
			return triUnknown, err
		}
		if c == 0 {
			return boolTri(!x.Not), nil
		}
	}
	if sawNull {
		return triUnknown, nil
	}
	return boolTri(x.Not), nil
}

// compareValues compares non-NULL values; the collation of the character
// operand that has one decides case sensitivity.
func compareValues(a, b any, ta, tb sqltypes.Type) (int, error) {
	// An explicit column collation wins over the default one literals and
	// variables carry (SQL Server's collation precedence, simplified).
	coll := sqltypes.DefaultCollation
	if ta.Collation.Name != "" && ta.Collation != sqltypes.DefaultCollation {
		coll = ta.Collation
	} else if tb.Collation.Name != "" && tb.Collation != sqltypes.DefaultCollation {
		coll = tb.Collation
	}
	return sqltypes.Compare(a, b, ta, tb, coll)
}

// eval computes an expression's value and type.
func (ev *evaluator) eval(e tsql.Expr, rc *rowCtx) (any, sqltypes.Type, error) {
	switch x := e.(type) {
	case *tsql.NumberLit:
		return numberLit(x)
	case *tsql.StringLit:
		if x.Unicode {
			n := sqltypes.CharLength(x.Value, sqltypes.NVarCharType(1))
			return x.Value, sqltypes.NVarCharType(max(n, 1)), nil
		}
		v := sqltypes.ToCodePage(x.Value, sqltypes.DefaultCollation)
		return v, sqltypes.VarCharType(max(len([]rune(v)), 1)), nil
	case *tsql.BinaryLit:
		return x.Value, sqltypes.VarBinaryType(max(len(x.Value), 1)), nil
	case *tsql.NullLit:
		return nil, sqltypes.Type{}, nil
	case *tsql.DefaultExpr:
		return nil, sqltypes.Type{}, msg(156, 15, 1, "Incorrect syntax near the keyword 'DEFAULT'.")
	case *tsql.VarRef:
		v := ev.fr.vars[strings.ToLower(x.Name)]
		if v == nil {
			return nil, sqltypes.Type{}, msg(137, 15, 2, fmt.Sprintf("Must declare the scalar variable \"%s\".", x.Name))
		}
		return v.val, v.typ, nil
	case *tsql.GlobalVar:
		return ev.globalVar(x.Name)
	case *tsql.ColumnRef:
		return ev.column(x, rc)
	case *tsql.DatePart:
		return x.Unit, sqltypes.VarCharType(20), nil
	case *tsql.UnaryExpr:
		return ev.unary(x, rc)
	case *tsql.BinaryExpr:
		return ev.binary(x, rc)
	case *tsql.IsNullExpr, *tsql.InExpr, *tsql.BetweenExpr, *tsql.LikeExpr, *tsql.ExistsExpr:
		t, err := ev.truth(e, rc)
		if err != nil || t == triUnknown {
			return nil, sqltypes.BitType, err
		}
		return t == triTrue, sqltypes.BitType, nil
	case *tsql.CaseExpr:
		return ev.caseExpr(x, rc)
	case *tsql.CastExpr:
		return ev.cast(x.X, x.Type, nil, x.Try, rc)
	case *tsql.ConvertExpr:
		return ev.cast(x.X, x.Type, x.Style, x.Try, rc)
	case *tsql.FuncCall:
		return ev.call(x, rc)
	case *tsql.SubqueryExpr:
		rel, err := ev.query(x.Select, rc)
		if err != nil {
			return nil, sqltypes.Type{}, err
		}
		if len(rel.cols) == 0 {
			return nil, sqltypes.Type{}, nil
		}
		if len(rel.rows) > 1 {
			return nil, rel.cols[0].typ, msg(512, 16, 1, "Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression.")
		}
		if len(rel.rows) == 0 {
			return nil, rel.cols[0].typ, nil
		}
		return rel.rows[0][0], rel.cols[0].typ, nil
	case *tsql.CollateExpr:
		v, t, err := ev.eval(x.X, rc)
		if err != nil {
			return nil, t, err
		}
		c, ok := sqltypes.LookupCollation(x.Collation)
		if !ok {
			return nil, t, msg(448, 16, 1, fmt.Sprintf("Invalid collation '%s'.", x.Collation))
		}
		t.Collation = c
		return v, t, nil
	}
	return nil, sqltypes.Type{}, errNotSupported(fmt.Sprintf("%T", e))
}

// column resolves a column reference against the row (and outer rows).
func (ev *evaluator) column(x *tsql.ColumnRef, rc *rowCtx) (any, sqltypes.Type, error) {
	for r := rc; r != nil; r = r.outer {
		if r.rel == nil {
			continue
		}
		key := colKey{r.rel, x}
		i, ok := ev.resolved[key]
		if !ok {
			var err error
			if i, err = r.rel.find(x); err != nil {
				return nil, sqltypes.Type{}, err
			}
			if ev.resolved == nil {
				ev.resolved = map[colKey]int{}
			}
			ev.resolved[key] = i
		}
		if i < 0 {
			continue
		}
		var v any
		if r.row != nil {
			v = r.row[i]
		} else if len(r.group) > 0 {
			v = r.group[0][i]
		}
		return v, r.rel.cols[i].typ, nil
	}
	name := x.Column
	if x.Table.Object != "" {
		name = x.Table.Object + "." + x.Column
		if rc == nil || rc.rel == nil || !rc.rel.hasQual(x.Table) {
			if v, t, ok, err := ev.columnProperty(x, rc); ok {
				return v, t, err
			}
			return nil, sqltypes.Type{}, msg(4104, 16, 1, fmt.Sprintf("The multi-part identifier \"%s\" could not be bound.", name))
		}
		name = x.Column
	}
	return nil, sqltypes.Type{}, errInvalidColumn(name)
}

func qualName(o tsql.ObjectName) string {
	q := strings.ToLower(o.Object)
	if o.Schema != "" {
		q = strings.ToLower(o.Schema) + "." + q
	}
	return q
}

func (rel *relation) hasQual(o tsql.ObjectName) bool {
	q := qualName(o)
	for _, c := range rel.cols {
		for _, cq := range c.quals {
			if cq == q {
				return true
			}
		}
	}
	return false
}

// find returns the column's index, -1 when absent, Msg 209 when ambiguous.
func (rel *relation) find(x *tsql.ColumnRef) (int, error) {
	q := ""
	if x.Table.Object != "" {
		q = qualName(x.Table)
	}
	found := -1
	for i, c := range rel.cols {
		if !strings.EqualFold(c.name, x.Column) {
			continue
		}
		if q != "" {
			ok := false
			for _, cq := range c.quals {
				if cq == q {
					ok = true
				}
			}
			if !ok {
				continue
			}
		}
		if found >= 0 {
			return -1, msg(209, 16, 1, fmt.Sprintf("Ambiguous column name '%s'.", x.Column))
		}
		found = i
	}
	return found, nil
}

package engine

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// evaluator evaluates expressions and queries for one statement. Callers
// hold e.mu for its whole life.
type evaluator struct {
	s  *session
	fr *frame
	tx *txn
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
	coll := ta.Collation
	if coll.Name == "" {
		coll = tb.Collation
	}
	if coll.Name == "" {
		coll = sqltypes.DefaultCollation
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

func numberLit(x *tsql.NumberLit) (any, sqltypes.Type, error) {
	switch x.Kind {
	case tsql.IntNumber:
		n, err := strconv.ParseInt(x.Text, 10, 64)
		if err == nil && n <= 2147483647 {
			return n, sqltypes.IntType, nil
		}
		fallthrough
	case tsql.DecimalNumber:
		r, ok := new(big.Rat).SetString(x.Text)
		if !ok {
			return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
		}
		scale := 0
		if i := strings.IndexByte(x.Text, '.'); i >= 0 {
			scale = len(x.Text) - i - 1
		}
		digits := len(strings.TrimLeft(strings.ReplaceAll(x.Text, ".", ""), "0"))
		p := max(digits, scale, 1)
		if p > 38 {
			f, _ := r.Float64()
			return f, sqltypes.FloatType, nil
		}
		t := sqltypes.DecimalType(uint8(p), uint8(scale))
		v, err := sqltypes.RatToDecimal(r, t)
		return v, t, err
	case tsql.FloatNumber:
		f, err := strconv.ParseFloat(x.Text, 64)
		if err != nil {
			return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
		}
		return f, sqltypes.FloatType, nil
	case tsql.MoneyNumber:
		v, err := sqltypes.Convert(x.Text, sqltypes.VarCharType(40), sqltypes.Type{ID: sqltypes.Money}, -1)
		return v, sqltypes.Type{ID: sqltypes.Money}, err
	}
	return nil, sqltypes.Type{}, msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Text))
}

// column resolves a column reference against the row (and outer rows).
func (ev *evaluator) column(x *tsql.ColumnRef, rc *rowCtx) (any, sqltypes.Type, error) {
	for r := rc; r != nil; r = r.outer {
		if r.rel == nil {
			continue
		}
		i, err := r.rel.find(x)
		if err != nil {
			return nil, sqltypes.Type{}, err
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

func (ev *evaluator) unary(x *tsql.UnaryExpr, rc *rowCtx) (any, sqltypes.Type, error) {
	if x.Op == tsql.OpNot {
		t, err := ev.truth(x, rc)
		if err != nil || t == triUnknown {
			return nil, sqltypes.BitType, err
		}
		return t == triTrue, sqltypes.BitType, nil
	}
	v, t, err := ev.eval(x.X, rc)
	if err != nil || x.Op == tsql.OpPlus {
		return v, t, err
	}
	if v == nil {
		return nil, t, nil
	}
	if x.Op == tsql.OpBitNot {
		n, ok := v.(int64)
		if !ok {
			return nil, t, msg(8117, 16, 1, fmt.Sprintf("Operand data type %s is invalid for '~' operator.", t.ID.Name()))
		}
		return ^n, t, nil
	}
	switch n := v.(type) {
	case int64:
		if t.ID == sqltypes.Int && n == -2147483648 {
			return nil, t, msg(8115, 16, 2, "Arithmetic overflow error converting expression to data type int.")
		}
		return -n, t, nil
	case float64:
		return -n, t, nil
	case float32:
		return -n, t, nil
	case sqltypes.MoneyValue:
		return -n, t, nil
	case sqltypes.DecimalValue:
		return sqltypes.DecimalValue{Unscaled: new(big.Int).Neg(n.Unscaled), Scale: n.Scale}, t, nil
	}
	r, rt, err := sqltypes.Arith('-', int64(0), v, sqltypes.IntType, t)
	return r, rt, err
}

var arithOps = map[tsql.BinaryOp]byte{tsql.OpAdd: '+', tsql.OpSub: '-', tsql.OpMul: '*', tsql.OpDiv: '/', tsql.OpMod: '%'}

func (ev *evaluator) binary(x *tsql.BinaryExpr, rc *rowCtx) (any, sqltypes.Type, error) {
	if op, ok := arithOps[x.Op]; ok {
		a, ta, err := ev.eval(x.L, rc)
		if err != nil {
			return nil, ta, err
		}
		b, tb, err := ev.eval(x.R, rc)
		if err != nil {
			return nil, tb, err
		}
		if ta.ID == sqltypes.Unknown && a == nil {
			ta = tb
		}
		if tb.ID == sqltypes.Unknown && b == nil {
			tb = ta
		}
		return sqltypes.Arith(op, a, b, ta, tb)
	}
	switch x.Op {
	case tsql.OpBitAnd, tsql.OpBitOr, tsql.OpBitXor:
		a, ta, err := ev.eval(x.L, rc)
		if err != nil {
			return nil, ta, err
		}
		b, tb, err := ev.eval(x.R, rc)
		if err != nil {
			return nil, tb, err
		}
		rt := ta
		if tb.ID.Precedence() > ta.ID.Precedence() {
			rt = tb
		}
		if a == nil || b == nil {
			return nil, rt, nil
		}
		av, err := sqltypes.Convert(a, ta, sqltypes.BigIntType, -1)
		if err != nil {
			return nil, rt, err
		}
		bv, err := sqltypes.Convert(b, tb, sqltypes.BigIntType, -1)
		if err != nil {
			return nil, rt, err
		}
		var r int64
		switch x.Op {
		case tsql.OpBitAnd:
			r = av.(int64) & bv.(int64)
		case tsql.OpBitOr:
			r = av.(int64) | bv.(int64)
		default:
			r = av.(int64) ^ bv.(int64)
		}
		if rt.ID == sqltypes.Bit {
			return r != 0, rt, nil
		}
		return r, rt, nil
	}
	t, err := ev.truth(x, rc)
	if err != nil || t == triUnknown {
		return nil, sqltypes.BitType, err
	}
	return t == triTrue, sqltypes.BitType, nil
}

func (ev *evaluator) caseExpr(x *tsql.CaseExpr, rc *rowCtx) (any, sqltypes.Type, error) {
	// The result type is the highest-precedence type of the results.
	var rt sqltypes.Type
	results := append([]tsql.Expr{}, x.Else)
	for _, w := range x.Whens {
		results = append(results, w.Result)
	}
	pick := -1
	var op any
	var opT sqltypes.Type
	var err error
	if x.Operand != nil {
		if op, opT, err = ev.eval(x.Operand, rc); err != nil {
			return nil, rt, err
		}
	}
	for i, w := range x.Whens {
		var hit bool
		if x.Operand != nil {
			v, vt, err := ev.eval(w.Cond, rc)
			if err != nil {
				return nil, rt, err
			}
			if op != nil && v != nil {
				c, err := compareValues(op, v, opT, vt)
				if err != nil {
					return nil, rt, err
				}
				hit = c == 0
			}
		} else if hit, err = ev.cond(w.Cond, rc); err != nil {
			return nil, rt, err
		}
		if hit {
			pick = i
			break
		}
	}
	var val any
	for i, r := range results {
		if r == nil {
			continue
		}
		chosen := (pick < 0 && i == 0) || (pick >= 0 && i == pick+1)
		if !chosen {
			// Only the type matters for branches not taken; evaluate
			// constant-free expressions lazily by typing them on a NULL row.
			t := ev.typeOf(r, rc)
			if rt.ID == sqltypes.Unknown || t.ID.Precedence() > rt.ID.Precedence() {
				rt = widen(rt, t)
			}
			continue
		}
		v, t, err := ev.eval(r, rc)
		if err != nil {
			return nil, rt, err
		}
		val = v
		if rt.ID == sqltypes.Unknown || t.ID.Precedence() > rt.ID.Precedence() {
			rt = widen(rt, t)
		} else if t.ID == rt.ID {
			rt = widen(rt, t)
		}
		_ = t
	}
	if val == nil {
		return nil, rt, nil
	}
	out, err := sqltypes.Convert(val, sqltypes.TypeOf(val), rt, -1)
	return out, rt, err
}

// widen returns the larger of two types of which b has at least a's precedence.
func widen(a, b sqltypes.Type) sqltypes.Type {
	if a.ID != b.ID {
		return b
	}
	if b.Length == sqltypes.Max || (a.Length != sqltypes.Max && b.Length > a.Length) {
		a.Length = b.Length
	}
	if b.Precision > a.Precision {
		a.Precision = b.Precision
	}
	if b.Scale > a.Scale {
		a.Scale = b.Scale
	}
	return a
}

// typeOf types an expression without side effects that matter, by
// evaluating it on a row of NULLs; NULL literals type as int.
func (ev *evaluator) typeOf(e tsql.Expr, rc *rowCtx) sqltypes.Type {
	var nrc *rowCtx
	if rc != nil && rc.rel != nil {
		nrc = &rowCtx{rel: rc.rel, row: make([]any, len(rc.rel.cols)), outer: rc.outer}
	}
	_, t, err := ev.eval(e, nrc)
	if err != nil || t.ID == sqltypes.Unknown {
		return sqltypes.IntType
	}
	return t
}

func (ev *evaluator) cast(xe tsql.Expr, dt *tsql.DataType, style tsql.Expr, try bool, rc *rowCtx) (any, sqltypes.Type, error) {
	t, err := resolveType(dt, true)
	if err != nil {
		return nil, t, err
	}
	v, vt, err := ev.eval(xe, rc)
	if err != nil {
		return nil, t, err
	}
	st := -1
	if style != nil {
		sv, _, err := ev.eval(style, rc)
		if err != nil {
			return nil, t, err
		}
		if n, ok := sv.(int64); ok {
			st = int(n)
		}
	}
	out, err := sqltypes.Convert(v, vt, t, st)
	if err != nil {
		if try {
			return nil, t, nil
		}
		return nil, t, err
	}
	return out, t, nil
}

// resolveType turns a written data type into a sqltypes.Type. In CAST and
// CONVERT a missing length means 30 for character and binary types.
func resolveType(dt *tsql.DataType, inCast bool) (sqltypes.Type, error) {
	var args []string
	if dt.Max {
		args = []string{"max"}
	}
	for _, p := range dt.Params {
		args = append(args, strconv.FormatInt(p, 10))
	}
	name := dt.Name
	if inCast && len(args) == 0 {
		switch strings.ToLower(name) {
		case "char", "varchar", "nchar", "nvarchar", "binary", "varbinary":
			args = []string{"30"}
		}
	}
	t, err := sqltypes.MakeType(name, args)
	if err != nil {
		if _, ok := sqltypes.LookupTypeID(name); !ok {
			return t, msg(2715, 16, 6, fmt.Sprintf("Column, parameter, or variable #1: Cannot find data type %s.", dt.Written))
		}
		return t, msg(131, 15, 2, err.Error())
	}
	return t, nil
}

func (ev *evaluator) globalVar(name string) (any, sqltypes.Type, error) {
	s := ev.s
	switch strings.ToUpper(name) {
	case "@@TRANCOUNT":
		return int64(s.trancount), sqltypes.IntType, nil
	case "@@VERSION":
		return versionString, sqltypes.NVarCharType(300), nil
	case "@@SPID":
		return int64(s.spid), sqltypes.SmallIntType, nil
	case "@@ROWCOUNT":
		return s.rowcount, sqltypes.IntType, nil
	case "@@ERROR":
		return int64(s.lastError), sqltypes.IntType, nil
	case "@@IDENTITY":
		return s.identity, sqltypes.DecimalType(38, 0), nil
	case "@@SERVERNAME":
		return s.e.cfg.ServerName, sqltypes.NVarCharType(128), nil
	case "@@SERVICENAME":
		return "MSSQLSERVER", sqltypes.NVarCharType(128), nil
	case "@@LANGUAGE":
		return "us_english", sqltypes.NVarCharType(128), nil
	case "@@DATEFIRST":
		return int64(7), sqltypes.TinyIntType, nil
	case "@@LOCK_TIMEOUT":
		return int64(-1), sqltypes.IntType, nil
	case "@@MAX_PRECISION":
		return int64(38), sqltypes.TinyIntType, nil
	case "@@TEXTSIZE":
		return int64(2147483647), sqltypes.IntType, nil
	case "@@OPTIONS":
		return int64(5496), sqltypes.IntType, nil
	case "@@NESTLEVEL":
		return int64(0), sqltypes.IntType, nil
	case "@@DBTS":
		d := s.e.db(s.dbName)
		if d == nil {
			return nil, sqltypes.VarBinaryType(8), nil
		}
		return u64bytes(d.dbts), sqltypes.VarBinaryType(8), nil
	}
	return nil, sqltypes.Type{}, msg(137, 15, 2, fmt.Sprintf("Must declare the scalar variable \"%s\".", name))
}

func u64bytes(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

const versionString = "Microsoft SQL Server 2019 (RTM-CU22) (KB5027702) - 15.0.4322.2 (X64) \n\tJul 27 2023 18:11:00 \n\tCopyright (C) 2019 Microsoft Corporation\n\tDeveloper Edition (64-bit) on Linux (mssqlemu) <X64>"

// resultColumns converts a relation's columns to TDS columns.
func resultColumns(rel *relation) []tds.Column {
	out := make([]tds.Column, len(rel.cols))
	for i, c := range rel.cols {
		t := c.typ
		if t.ID == sqltypes.Unknown {
			t = sqltypes.IntType
		}
		out[i] = tds.Column{Name: c.name, Type: t, Nullable: c.nullable, Identity: c.identity}
	}
	return out
}

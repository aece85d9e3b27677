package engine

import (
	"fmt"
	"math/big"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

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
		if _, isNull := r.(*tsql.NullLit); isNull {
			// The NULL constant takes no part in the result type
			// (COALESCE(NULL, N'x') is nvarchar).
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

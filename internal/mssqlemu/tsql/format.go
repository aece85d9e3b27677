package tsql

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// Format prints a node as canonical T-SQL: keywords upper case, every
// identifier bracketed, every compound expression parenthesized, optional
// words spelled out. Parsing the result gives the same tree (positions
// aside), which the tests check. The engine may use it for the text of
// defaults and computed columns.
func Format(n Node) string {
	var f formatter
	f.node(n)
	return f.b.String()
}

type formatter struct {
	b strings.Builder
}

func (f *formatter) w(parts ...string) {
	for _, s := range parts {
		f.b.WriteString(s)
	}
}

func quoteIdent(s string) string {
	return "[" + strings.ReplaceAll(s, "]", "]]") + "]"
}

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (f *formatter) name(n ObjectName) {
	parts := []string{n.Server, n.Database, n.Schema, n.Object}
	first := 0
	for first < 3 && parts[first] == "" {
		first++
	}
	for k := first; k < 4; k++ {
		if k > first {
			f.w(".")
		}
		if k == 3 && strings.HasPrefix(parts[k], "@") {
			f.w(parts[k]) // a table variable
		} else if parts[k] != "" {
			f.w(quoteIdent(parts[k]))
		}
	}
}

func (f *formatter) node(n Node) {
	switch n := n.(type) {
	case Statement:
		f.stmt(n)
	case Expr:
		f.expr(n)
	case TableSource:
		f.source(n)
	case *DataType:
		f.dataType(n)
	case nil:
		f.w("<nil>")
	default:
		f.w("<?>")
	}
}

func (f *formatter) dataType(t *DataType) {
	if t.Schema != "" {
		f.w(quoteIdent(t.Schema), ".")
	}
	if isSimpleIdent(t.Name) && !isReserved(upperASCII(t.Name)) {
		f.w(t.Name)
	} else {
		f.w(quoteIdent(t.Name))
	}
	switch {
	case t.Max:
		f.w("(max)")
	case t.Params != nil:
		f.w("(")
		for k, v := range t.Params {
			if k > 0 {
				f.w(",")
			}
			f.w(strconv.FormatInt(v, 10))
		}
		f.w(")")
	}
}

func (f *formatter) exprs(list []Expr) {
	for k, e := range list {
		if k > 0 {
			f.w(", ")
		}
		f.expr(e)
	}
}

// String returns the operator as written in canonical T-SQL.
func (op BinaryOp) String() string {
	const ops = "*/%+-&|^="
	switch {
	case op >= OpMul && op <= OpEq:
		return ops[op-1 : op]
	case op == OpNe:
		return "<>"
	case op == OpLt:
		return "<"
	case op == OpGt:
		return ">"
	case op == OpLe:
		return "<="
	case op == OpGe:
		return ">="
	case op == OpNotLt:
		return "!<"
	case op == OpNotGt:
		return "!>"
	case op == OpAnd:
		return "AND"
	case op == OpOr:
		return "OR"
	}
	return "BinaryOp(" + strconv.Itoa(int(op)) + ")"
}

// String returns the operator as written in T-SQL.
func (op UnaryOp) String() string {
	switch op {
	case OpNeg:
		return "-"
	case OpPlus:
		return "+"
	case OpBitNot:
		return "~"
	case OpNot:
		return "NOT "
	}
	return "UnaryOp(" + strconv.Itoa(int(op)) + ")"
}

func not(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

func (f *formatter) expr(e Expr) {
	switch e := e.(type) {
	case nil:
		f.w("<nil>")
	case *NumberLit:
		if e.Kind == MoneyNumber {
			f.w("$")
		}
		f.w(e.Text)
	case *StringLit:
		if e.Unicode {
			f.w("N")
		}
		f.w(quoteString(e.Value))
	case *BinaryLit:
		f.w("0x", strings.ToUpper(hex.EncodeToString(e.Value)))
	case *NullLit:
		f.w("NULL")
	case *DefaultExpr:
		f.w("DEFAULT")
	case *VarRef:
		f.w(e.Name)
	case *GlobalVar:
		f.w(e.Name)
	case *ColumnRef:
		if e.Table.Object != "" {
			f.name(e.Table)
			f.w(".")
		}
		f.w(quoteIdent(e.Column))
	case *DatePart:
		f.w(e.Unit)
	case *UnaryExpr:
		f.w("(", e.Op.String())
		f.expr(e.X)
		f.w(")")
	case *BinaryExpr:
		f.w("(")
		f.expr(e.L)
		f.w(" ", e.Op.String(), " ")
		f.expr(e.R)
		f.w(")")
	case *IsNullExpr:
		f.w("(")
		f.expr(e.X)
		f.w(" IS", not(e.Not), " NULL)")
	case *InExpr:
		f.w("(")
		f.expr(e.X)
		f.w(not(e.Not), " IN (")
		if e.Select != nil {
			f.selectStmt(e.Select)
		} else {
			f.exprs(e.List)
		}
		f.w("))")
	case *BetweenExpr:
		f.w("(")
		f.expr(e.X)
		f.w(not(e.Not), " BETWEEN ")
		f.expr(e.Lo)
		f.w(" AND ")
		f.expr(e.Hi)
		f.w(")")
	case *LikeExpr:
		f.w("(")
		f.expr(e.X)
		f.w(not(e.Not), " LIKE ")
		f.expr(e.Pattern)
		if e.Escape != nil {
			f.w(" ESCAPE ")
			f.expr(e.Escape)
		}
		f.w(")")
	case *CaseExpr:
		f.caseExpr(e)
	case *CastExpr:
		if e.Try {
			f.w("TRY_")
		}
		f.w("CAST(")
		f.expr(e.X)
		f.w(" AS ")
		f.dataType(e.Type)
		f.w(")")
	case *ConvertExpr:
		if e.Try {
			f.w("TRY_")
		}
		f.w("CONVERT(")
		f.dataType(e.Type)
		f.w(", ")
		f.expr(e.X)
		if e.Style != nil {
			f.w(", ")
			f.expr(e.Style)
		}
		f.w(")")
	case *FuncCall:
		f.funcCall(e)
	case *SubqueryExpr:
		f.w("(")
		f.selectStmt(e.Select)
		f.w(")")
	case *ExistsExpr:
		f.w("EXISTS (")
		f.selectStmt(e.Select)
		f.w(")")
	case *CollateExpr:
		f.w("(")
		f.expr(e.X)
		f.w(" COLLATE ", e.Collation, ")")
	default:
		f.w("<?>")
	}
}

func (f *formatter) caseExpr(e *CaseExpr) {
	f.w("CASE")
	if e.Operand != nil {
		f.w(" ")
		f.expr(e.Operand)
	}
	for _, wh := range e.Whens {
		f.w(" WHEN ")
		f.expr(wh.Cond)
		f.w(" THEN ")
		f.expr(wh.Result)
	}
	if e.Else != nil {
		f.w(" ELSE ")
		f.expr(e.Else)
	}
	f.w(" END")
}

// niladic functions are written without parentheses.
func isNiladic(n ObjectName) bool {
	if n.Schema != "" || n.Database != "" {
		return false
	}
	switch n.Object {
	case "CURRENT_TIMESTAMP", "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "USER":
		return true
	}
	return false
}

func (f *formatter) funcCall(e *FuncCall) {
	switch {
	case e.Receiver != nil:
		f.expr(e.Receiver)
		f.w("." + e.Name.Object)
		if e.Property {
			return
		}
		f.w("(")
		f.exprs(e.Args)
		f.w(")")
		return
	case e.TypeName != "":
		f.w(e.TypeName + "::" + e.Name.Object + "(")
		f.exprs(e.Args)
		f.w(")")
		return
	}
	if isNiladic(e.Name) && len(e.Args) == 0 && !e.Star {
		f.w(e.Name.Object)
		return
	}
	if e.Name.Schema == "" && e.Name.Database == "" && isBareFunc(e.Name.Object) {
		f.w(e.Name.Object) // bare: keeps LEFT, COALESCE ... parseable
	} else {
		f.name(e.Name)
	}
	f.w("(")
	switch {
	case e.Star:
		f.w("*")
	case e.Distinct:
		f.w("DISTINCT ")
	}
	f.exprs(e.Args)
	f.w(")")
}

// isSimpleIdent reports whether s can be written without delimiters
// (reserved words aside).
func isSimpleIdent(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' || s[0] == '@' || s[0] == '$' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isBareFunc reports whether a function name can be printed undelimited:
// simple names that are not reserved, and the reserved names the parser
// takes as calls.
func isBareFunc(name string) bool {
	if !isSimpleIdent(name) {
		return false
	}
	switch up := upperASCII(name); up {
	case "COALESCE", "NULLIF", "LEFT", "RIGHT":
		return true
	default:
		return !isReserved(up)
	}
}

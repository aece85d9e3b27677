package tsql

import "reflect"

// Inspect walks the tree rooted at n in source order, calling f for each
// node before its children; when f returns false the children are skipped.
// Besides Statement, Expr and TableSource, f sees *DataType, *ColumnDef,
// *TableConstraint, *VarDecl, *Assignment, *SelectItem, *OrderItem,
// *ExecArg, *WhenClause and *TopClause nodes. Nil children are skipped.
func Inspect(n Node, f func(Node) bool) {
	w := walker{f: f}
	w.node(n)
}

type walker struct {
	f func(Node) bool
}

func (w *walker) exprs(list []Expr) {
	for _, e := range list {
		w.node(e)
	}
}

func (w *walker) stmts(list []Statement) {
	for _, s := range list {
		w.node(s)
	}
}

// node visits n and its children. Nil interfaces and nil pointers are skipped.
func (w *walker) node(n Node) {
	if isNilNode(n) || !w.f(n) {
		return
	}
	switch n := n.(type) {
	case *CreateTableStmt:
		for _, c := range n.Columns {
			w.node(c)
		}
		for _, c := range n.Constraints {
			w.node(c)
		}
	case *AlterTableAddStmt:
		for _, c := range n.Columns {
			w.node(c)
		}
		for _, c := range n.Constraints {
			w.node(c)
		}
	case *AlterTableAlterColumnStmt:
		w.node(n.Column)
	case *ColumnDef:
		w.node(n.Type)
		w.node(n.Computed)
		w.node(n.Default)
		w.node(n.Check)
	case *TableConstraint:
		w.node(n.Check)
		w.node(n.Default)
	case *CreateIndexStmt:
		w.node(n.Where)
	case *InsertStmt:
		w.node(n.Top)
		w.node(n.Table)
		for _, row := range n.Values {
			w.exprs(row)
		}
		w.node(n.Select)
		w.node(n.Exec)
	case *UpdateStmt:
		w.node(n.Top)
		w.node(n.Target)
		for _, a := range n.Set {
			w.node(a)
		}
		w.node(n.From)
		w.node(n.Where)
	case *DeleteStmt:
		w.node(n.Top)
		w.node(n.Target)
		w.node(n.From)
		w.node(n.Where)
	case *SetValueStmt:
		w.node(n.Value)
	case *DeclareStmt:
		for _, v := range n.Vars {
			w.node(v)
		}
	case *VarDecl:
		w.node(n.Type)
		w.node(n.Init)
		if n.Table != nil {
			for _, c := range n.Table.Columns {
				w.node(c)
			}
			for _, c := range n.Table.Constraints {
				w.node(c)
			}
		}
	case *SetVarStmt:
		w.node(&n.Assignment)
	case *Assignment:
		w.node(n.Column)
		w.node(n.Value)
	case *SelectStmt:
		w.selectStmt(n)
	case *SelectItem:
		w.node(n.Expr)
	case *OrderItem:
		w.node(n.Expr)
	case *TopClause:
		w.node(n.Count)
	case *ExecStmt:
		for _, a := range n.Args {
			w.node(a)
		}
		w.exprs(n.SQL)
	case *ExecArg:
		w.node(n.Value)
	default:
		if !w.walkCursor(n) {
			w.control(n)
		}
	}
}

func (w *walker) selectStmt(n *SelectStmt) {
	for _, c := range n.With {
		w.node(c.Select)
	}
	w.node(n.Top)
	for _, it := range n.Items {
		w.node(it)
	}
	w.node(n.From)
	w.node(n.Where)
	w.exprs(n.GroupBy)
	w.node(n.Having)
	for _, u := range n.Unions {
		w.node(u.Select)
	}
	for _, o := range n.OrderBy {
		w.node(o)
	}
	w.node(n.Offset)
	w.node(n.Fetch)
}

// control visits the children of control-flow statements, table sources
// and expressions.
func (w *walker) control(n Node) {
	switch n := n.(type) {
	case *IfStmt:
		w.node(n.Cond)
		w.node(n.Then)
		w.node(n.Else)
	case *WhileStmt:
		w.node(n.Cond)
		w.node(n.Body)
	case *ReturnStmt:
		w.node(n.Value)
	case *BlockStmt:
		w.stmts(n.Body)
	case *TryCatchStmt:
		w.stmts(n.Try)
		w.stmts(n.Catch)
	case *WaitForStmt:
		w.node(n.Value)
	case *PrintStmt:
		w.node(n.Value)
	case *RaiserrorStmt:
		w.node(n.Message)
		w.node(n.Severity)
		w.node(n.State)
		w.exprs(n.Args)
	case *ThrowStmt:
		w.node(n.Number)
		w.node(n.Message)
		w.node(n.State)
	case *TableFunc:
		w.exprs(n.Args)
	case *DerivedTable:
		w.node(n.Select)
	case *Join:
		w.node(n.Left)
		w.node(n.Right)
		w.node(n.On)
	default:
		w.expr(n)
	}
}

func (w *walker) expr(n Node) {
	switch n := n.(type) {
	case *UnaryExpr:
		w.node(n.X)
	case *BinaryExpr:
		w.node(n.L)
		w.node(n.R)
	case *IsNullExpr:
		w.node(n.X)
	case *InExpr:
		w.node(n.X)
		w.exprs(n.List)
		w.node(n.Select)
	case *BetweenExpr:
		w.node(n.X)
		w.node(n.Lo)
		w.node(n.Hi)
	case *LikeExpr:
		w.node(n.X)
		w.node(n.Pattern)
		w.node(n.Escape)
	case *CaseExpr:
		w.node(n.Operand)
		for _, wh := range n.Whens {
			w.node(wh)
		}
		w.node(n.Else)
	case *WhenClause:
		w.node(n.Cond)
		w.node(n.Result)
	case *CastExpr:
		w.node(n.X)
		w.node(n.Type)
	case *ConvertExpr:
		w.node(n.Type)
		w.node(n.X)
		w.node(n.Style)
	case *FuncCall:
		w.node(n.Receiver)
		w.exprs(n.Args)
	case *SubqueryExpr:
		w.node(n.Select)
	case *ExistsExpr:
		w.node(n.Select)
	case *CollateExpr:
		w.node(n.X)
	}
}

// isNilNode reports a nil interface or a typed nil pointer.
func isNilNode(n Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

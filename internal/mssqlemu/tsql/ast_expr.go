package tsql

// ---------------------------------------------------------------------------
// Expressions

// NumberKind tells how a numeric literal was written; SQL Server types it
// from that: Int → int (bigint/decimal when out of range), Decimal →
// numeric(p,s), Float → float, Money → money.
type NumberKind uint8

const (
	IntNumber NumberKind = iota + 1
	DecimalNumber
	FloatNumber
	MoneyNumber
)

// NumberLit is a numeric literal. Text is as written, without '$' and
// without sign ("12.50", "1e3", "007", ".5", "5."), except that an empty
// exponent gets a 0 ("1e" → "1e0"). A minus sign is a UnaryExpr: SQL Server
// types -2147483648 as numeric(10,0) negated, not as int.
type NumberLit struct {
	Pos
	Kind NumberKind
	Text string
}

// StringLit is 'text' or N'text'; Value has each doubled quote undoubled.
type StringLit struct {
	Pos
	Value   string
	Unicode bool
}

// BinaryLit is 0x... ; "0x" alone is an empty value.
type BinaryLit struct {
	Pos
	Value []byte
}

// NullLit is NULL.
type NullLit struct{ Pos }

// DefaultExpr is the DEFAULT keyword used as a value (VALUES, SET, EXEC args).
type DefaultExpr struct{ Pos }

// VarRef is a local variable, "@name".
type VarRef struct {
	Pos
	Name string
}

// GlobalVar is a @@function such as @@ROWCOUNT, @@TRANCOUNT, @@VERSION,
// @@SPID, @@ERROR, @@IDENTITY; Name is upper case with its "@@".
type GlobalVar struct {
	Pos
	Name string
}

// ColumnRef is a column, optionally qualified: col, t.col, dbo.t.col.
// Table.Object is the table or alias; empty for an unqualified column.
type ColumnRef struct {
	Pos
	Table  ObjectName
	Column string
}

// DatePart is the unit argument of DATEADD, DATEDIFF, DATEDIFF_BIG,
// DATEPART, DATENAME and DATETRUNC, lower case as written ("day", "dd", "ms").
type DatePart struct {
	Pos
	Unit string
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

const (
	OpNeg    UnaryOp = iota + 1 // -
	OpPlus                      // +
	OpBitNot                    // ~
	OpNot                       // NOT
)

// UnaryExpr is op X.
type UnaryExpr struct {
	Pos
	Op UnaryOp
	X  Expr
}

// BinaryOp is an infix operator.
type BinaryOp uint8

const (
	OpMul    BinaryOp = iota + 1 // *
	OpDiv                        // /
	OpMod                        // %
	OpAdd                        // + (addition or string concatenation)
	OpSub                        // -
	OpBitAnd                     // &
	OpBitOr                      // |
	OpBitXor                     // ^
	OpEq                         // =
	OpNe                         // <> or !=
	OpLt                         // <
	OpGt                         // >
	OpLe                         // <=
	OpGe                         // >=
	OpNotLt                      // !<
	OpNotGt                      // !>
	OpAnd                        // AND
	OpOr                         // OR
)

// BinaryExpr is L op R.
type BinaryExpr struct {
	Pos
	Op BinaryOp
	L  Expr
	R  Expr
}

// IsNullExpr is X IS [NOT] NULL.
type IsNullExpr struct {
	Pos
	X   Expr
	Not bool
}

// InExpr is X [NOT] IN (list) or X [NOT] IN (SELECT ...); one of List and Select is set.
type InExpr struct {
	Pos
	X      Expr
	Not    bool
	List   []Expr
	Select *SelectStmt
}

// BetweenExpr is X [NOT] BETWEEN Lo AND Hi.
type BetweenExpr struct {
	Pos
	X   Expr
	Not bool
	Lo  Expr
	Hi  Expr
}

// LikeExpr is X [NOT] LIKE Pattern [ESCAPE Escape].
type LikeExpr struct {
	Pos
	X       Expr
	Not     bool
	Pattern Expr
	Escape  Expr // nil when absent
}

// WhenClause is WHEN Cond THEN Result; Cond is the compared value in a simple CASE.
type WhenClause struct {
	Pos
	Cond   Expr
	Result Expr
}

// CaseExpr is CASE [Operand] WHEN ... THEN ... [ELSE ...] END; Operand is nil
// for a searched CASE.
type CaseExpr struct {
	Pos
	Operand Expr
	Whens   []*WhenClause
	Else    Expr
}

// CastExpr is CAST(X AS Type) or TRY_CAST(...).
type CastExpr struct {
	Pos
	X    Expr
	Type *DataType
	Try  bool
}

// ConvertExpr is CONVERT(Type, X [, Style]) or TRY_CONVERT(...).
type ConvertExpr struct {
	Pos
	Type  *DataType
	X     Expr
	Style Expr // nil when absent
	Try   bool
}

// FuncCall is a scalar or aggregate function call. Name.Object keeps the
// spelling written (compare case-insensitively); Name.Schema is set for
// sys.fn_cdc_get_min_lsn and similar. COUNT(*) has Star; COUNT(DISTINCT x)
// has Distinct. Date-part arguments are *DatePart.
//
// A method of a CLR type is a FuncCall too: Receiver is set for an instance
// method (@h.GetLevel(), col.ToString()), TypeName for a static one
// (hierarchyid::GetRoot()); Name.Object is then the method, whose case
// matters as in SQL Server. Property is set for a property read without
// parentheses (@g.STX).
type FuncCall struct {
	Pos
	Name     ObjectName
	Args     []Expr
	Star     bool
	Distinct bool
	Receiver Expr
	TypeName string
	Property bool
}

// SubqueryExpr is a scalar subquery (SELECT ...).
type SubqueryExpr struct {
	Pos
	Select *SelectStmt
}

// ExistsExpr is EXISTS (SELECT ...).
type ExistsExpr struct {
	Pos
	Select *SelectStmt
}

// CollateExpr is X COLLATE name.
type CollateExpr struct {
	Pos
	X         Expr
	Collation string
}

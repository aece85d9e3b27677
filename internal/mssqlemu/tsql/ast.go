package tsql

// This file and ast_expr.go hold the abstract syntax tree that Parse
// produces: statements and table sources here, expressions there.
//
// Conventions the engine can rely on:
//   - Every node embeds Pos: the 1-based line and column (in bytes) of its
//     first token, and its byte offset in the batch. n.Position() returns it.
//   - Identifiers keep their spelling without brackets or quotes; comparing
//     them is the engine's job (case-insensitively, as the default collation).
//   - Keyword-valued fields (option names, hints, isolation words) are upper case.
//   - Variable names keep their leading '@' and their spelling ("@from_lsn");
//     global functions are upper case with "@@" ("@@ROWCOUNT").
//   - A nil Expr field means "absent" (no WHERE, no ELSE, no DEFAULT...).

// Pos is where a node starts in the batch text.
type Pos struct {
	Line   int // 1-based line
	Col    int // 1-based column, in bytes
	Offset int // byte offset from the start of the batch
}

// Position returns p; embedding Pos gives every node this method.
func (p Pos) Position() Pos { return p }

// Node is any syntax tree node.
type Node interface {
	Position() Pos
}

// Statement is one T-SQL statement.
type Statement interface {
	Node
	stmtNode()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	exprNode()
}

// TableSource is an item of a FROM clause: *TableName, *TableFunc,
// *DerivedTable or *Join.
type TableSource interface {
	Node
	tableSourceNode()
}

// ObjectName is a multi-part name: server.database.schema.object. Unused
// leading parts are empty; "db..t" has Database "db", Schema "" and Object "t".
type ObjectName struct {
	Pos
	Server   string
	Database string
	Schema   string
	Object   string
}

// ---------------------------------------------------------------------------
// Data types

// DataType is a type as written in CAST, CONVERT, DECLARE or a column
// definition. Name is the canonical lower-case system type name: synonyms
// are folded ("integer"→"int", "dec"→"decimal", "character varying"→"varchar",
// "national character varying"/"nchar varying"→"nvarchar", "national char"→"nchar",
// "double precision"→"float" with Params [53], "rowversion"→"timestamp",
// "binary varying"→"varbinary"). A user-defined or unknown name is kept as
// written (lower-cased) with its Schema; ResolveType reports it.
type DataType struct {
	Pos
	Schema  string // e.g. "sys" in sys.sysname; usually empty
	Name    string
	Written string  // the spelling in the source, for messages ("character varying")
	Params  []int64 // (10), (38,38); nil when none were written
	Max     bool    // (max)
}

// ---------------------------------------------------------------------------
// Statements

// CreateDatabaseStmt is CREATE DATABASE name.
type CreateDatabaseStmt struct {
	Pos
	Name string
}

// DropDatabaseStmt is DROP DATABASE [IF EXISTS] name[, ...].
type DropDatabaseStmt struct {
	Pos
	IfExists bool
	Names    []string
}

// CreateSchemaStmt is CREATE SCHEMA name [AUTHORIZATION owner].
type CreateSchemaStmt struct {
	Pos
	Name          string
	Authorization string
}

// DbccStmt is DBCC command [(arguments)] [WITH options]. Only the command
// name and NO_INFOMSGS are kept; the engine runs the commands it has.
type DbccStmt struct {
	Pos
	Command    string // upper case
	NoInfoMsgs bool
}

// UseStmt is USE database.
type UseStmt struct {
	Pos
	Database string
}

// NullSpec says whether a column definition wrote NULL or NOT NULL.
type NullSpec uint8

const (
	NullUnspecified NullSpec = iota // neither: the session's ANSI default applies
	Nullable                        // NULL
	NotNull                         // NOT NULL
)

// ClusterKind is an index's CLUSTERED / NONCLUSTERED choice.
type ClusterKind uint8

const (
	ClusterDefault ClusterKind = iota // not written: PRIMARY KEY defaults to clustered, UNIQUE to nonclustered
	Clustered
	NonClustered
)

// IdentitySpec is IDENTITY(seed, increment); IDENTITY alone is (1, 1).
type IdentitySpec struct {
	Pos
	Seed      int64
	Increment int64
}

// ColumnDef is one column in CREATE TABLE or ALTER TABLE ADD/ALTER COLUMN.
type ColumnDef struct {
	Pos
	Name     string
	Type     *DataType // nil for a computed column
	Computed Expr      // AS expr; nil for a stored column
	// Persisted is AS expr PERSISTED.
	Persisted   bool
	Null        NullSpec
	Identity    *IdentitySpec // nil when not an identity column
	Default     Expr          // DEFAULT expr; nil when none
	DefaultName string        // CONSTRAINT name DEFAULT ...; empty when unnamed
	Collate     string        // COLLATE name; empty when not written
	RowGUIDCol  bool
	// PrimaryKey / Unique are column-level constraints; ConstraintName is
	// the name given with CONSTRAINT name PRIMARY KEY|UNIQUE, if any.
	PrimaryKey     bool
	Unique         bool
	Clustered      ClusterKind
	ConstraintName string
	Check          Expr // CHECK (expr); nil when none
	// WithValues is DEFAULT ... WITH VALUES: ALTER TABLE ... ADD gives the
	// existing rows the default even when the column is nullable.
	WithValues bool
}

// ConstraintKind is a table-level constraint's kind.
type ConstraintKind uint8

const (
	PrimaryKeyConstraint ConstraintKind = iota + 1
	UniqueConstraint
	CheckConstraint
	DefaultConstraint // ALTER TABLE t ADD [CONSTRAINT n] DEFAULT expr FOR col
)

// IndexColumn is a key column of a PRIMARY KEY or UNIQUE constraint.
type IndexColumn struct {
	Pos
	Name string
	Desc bool
}

// TableConstraint is [CONSTRAINT name] PRIMARY KEY|UNIQUE [CLUSTERED|NONCLUSTERED] (cols),
// [CONSTRAINT name] CHECK (expr), or (in ALTER TABLE ADD, as SSMS scripts
// it) [CONSTRAINT name] DEFAULT expr FOR column.
type TableConstraint struct {
	Pos
	Name      string // empty when unnamed
	Kind      ConstraintKind
	Clustered ClusterKind
	Columns   []IndexColumn // PRIMARY KEY / UNIQUE
	Check     Expr          // CHECK
	Default   Expr          // DEFAULT
	For       string        // DEFAULT ... FOR column
}

// CreateTableStmt is CREATE TABLE name (column definitions and constraints).
type CreateTableStmt struct {
	Pos
	Table       ObjectName
	Columns     []*ColumnDef
	Constraints []*TableConstraint
}

// AlterTableAddStmt is ALTER TABLE t ADD column-def | table-constraint[, ...].
type AlterTableAddStmt struct {
	Pos
	Table       ObjectName
	Columns     []*ColumnDef
	Constraints []*TableConstraint
}

// AlterTableDropColumnStmt is ALTER TABLE t DROP COLUMN [IF EXISTS] c[, ...].
type AlterTableDropColumnStmt struct {
	Pos
	Table    ObjectName
	IfExists bool
	Columns  []string
}

// AlterTableAlterColumnStmt is ALTER TABLE t ALTER COLUMN c type [COLLATE x] [NULL|NOT NULL].
// Column carries Name, Type, Collate and Null only.
type AlterTableAlterColumnStmt struct {
	Pos
	Table  ObjectName
	Column *ColumnDef
}

// AlterTableDropConstraintStmt is ALTER TABLE t DROP CONSTRAINT [IF EXISTS] name[, ...].
type AlterTableDropConstraintStmt struct {
	Pos
	Table       ObjectName
	IfExists    bool
	Constraints []string
}

// CreateIndexStmt is CREATE [UNIQUE] [CLUSTERED | NONCLUSTERED] INDEX name
// ON table (col [ASC|DESC], ...) [INCLUDE (col, ...)] [WHERE filter].
type CreateIndexStmt struct {
	Pos
	Unique    bool
	Clustered ClusterKind
	Name      string
	Table     ObjectName
	Columns   []IndexColumn
	Include   []string
	Where     Expr // filtered index predicate; nil when none
}

// IndexRef names an index of a table.
type IndexRef struct {
	Pos
	Name  string
	Table ObjectName
}

// DropIndexStmt is DROP INDEX [IF EXISTS] name ON table[, ...], or the old
// form DROP INDEX table.name[, ...].
type DropIndexStmt struct {
	Pos
	IfExists bool
	Indexes  []IndexRef
}

// DropTableStmt is DROP TABLE [IF EXISTS] t[, ...].
type DropTableStmt struct {
	Pos
	IfExists bool
	Tables   []ObjectName
}

// TruncateTableStmt is TRUNCATE TABLE t.
type TruncateTableStmt struct {
	Pos
	Table ObjectName
}

// TopClause is TOP (n) [PERCENT] [WITH TIES] or TOP n.
type TopClause struct {
	Pos
	Count    Expr
	Percent  bool
	WithTies bool
}

// InsertStmt is INSERT [INTO] t [(cols)] {VALUES (...)[, ...] | select | DEFAULT VALUES | EXEC ...}.
// Exactly one of Values, Select, Exec and DefaultValues is set.
type InsertStmt struct {
	Pos
	Top           *TopClause
	Table         *TableName // Alias is always empty; Hints from WITH (...)
	Columns       []string   // nil when no column list was written
	Values        [][]Expr   // rows; a DEFAULT item is *DefaultExpr
	Select        *SelectStmt
	Exec          *ExecStmt
	DefaultValues bool
}

// Assignment is one SET item of UPDATE, or SET @v = expr. Op is "=" or a
// compound operator ("+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=").
type Assignment struct {
	Pos
	Column   *ColumnRef // for UPDATE ... SET col = ...; nil when Variable is set
	Variable string     // "@v" for SET @v = ... (also allowed inside UPDATE)
	Op       string
	Value    Expr // *DefaultExpr for SET col = DEFAULT
}

// UpdateStmt is UPDATE [TOP (n)] target SET ... [FROM ...] [WHERE ...].
// Target.Name may name an alias that the FROM clause defines.
type UpdateStmt struct {
	Pos
	Top    *TopClause
	Target *TableName
	Set    []*Assignment
	From   TableSource // nil without FROM
	Where  Expr
}

// DeleteStmt is DELETE [TOP (n)] [FROM] target [FROM ...] [WHERE ...].
type DeleteStmt struct {
	Pos
	Top    *TopClause
	Target *TableName
	From   TableSource // the second FROM clause; nil when absent
	Where  Expr
}

// BeginTranStmt is BEGIN TRAN[SACTION] [name | @var].
type BeginTranStmt struct {
	Pos
	Name string // transaction name or "@var"; empty when none
}

// CommitStmt is COMMIT [TRAN[SACTION] [name] | WORK].
type CommitStmt struct {
	Pos
	Name string
}

// RollbackStmt is ROLLBACK [TRAN[SACTION] [name] | WORK].
type RollbackStmt struct {
	Pos
	Name string // a savepoint or transaction name; empty when none
}

// SaveTranStmt is SAVE TRAN[SACTION] name.
type SaveTranStmt struct {
	Pos
	Name string
}

// IsolationLevel is a transaction isolation level. The values equal the
// TDS transaction manager's numbering (tds.IsolationLevel), so a plain
// conversion maps one onto the other.
type IsolationLevel uint8

const (
	ReadUncommitted IsolationLevel = 1
	ReadCommitted   IsolationLevel = 2
	RepeatableRead  IsolationLevel = 3
	Serializable    IsolationLevel = 4
	Snapshot        IsolationLevel = 5
)

// SetIsolationStmt is SET TRANSACTION ISOLATION LEVEL level.
type SetIsolationStmt struct {
	Pos
	Level IsolationLevel
}

// SetOnOffStmt is SET option[, option...] {ON | OFF}, e.g. NOCOUNT,
// ANSI_NULLS, QUOTED_IDENTIFIER, XACT_ABORT. Options are upper case.
type SetOnOffStmt struct {
	Pos
	Options []string
	On      bool
}

// SetValueStmt is SET option value for LOCK_TIMEOUT, TEXTSIZE, ROWCOUNT,
// DATEFIRST, DATEFORMAT, LANGUAGE and DEADLOCK_PRIORITY. A bare word value
// (SET DATEFORMAT dmy, SET LANGUAGE us_english, SET DEADLOCK_PRIORITY LOW)
// is given as a *StringLit holding the word.
type SetValueStmt struct {
	Pos
	Option string
	Value  Expr
}

// SetIdentityInsertStmt is SET IDENTITY_INSERT table {ON | OFF}.
type SetIdentityInsertStmt struct {
	Pos
	Table ObjectName
	On    bool
}

// AlterDatabaseSetStmt is ALTER DATABASE {name | CURRENT} SET option value
// [WITH termination], e.g. ALLOW_SNAPSHOT_ISOLATION ON, READ_COMMITTED_SNAPSHOT OFF.
type AlterDatabaseSetStmt struct {
	Pos
	Database    string // "" for CURRENT
	Option      string // upper case
	Value       string // upper case: "ON", "OFF", or the word written (e.g. "SIMPLE")
	Termination string // "ROLLBACK IMMEDIATE", "NO_WAIT", "ROLLBACK AFTER n"; empty when none
}

// VarDecl is one variable of DECLARE.
type VarDecl struct {
	Pos
	Name string // "@v"
	Type *DataType
	Init Expr // nil when no "= expr"
	// Table is the definition of a table variable (DECLARE @t TABLE
	// (...)); Type is nil then.
	Table *TableDef
}

// TableDef is the column and constraint list of a table variable.
type TableDef struct {
	Columns     []*ColumnDef
	Constraints []*TableConstraint
}

// DeclareStmt is DECLARE @v type [= expr][, ...].
type DeclareStmt struct {
	Pos
	Vars []*VarDecl
}

// SetVarStmt is SET @v = expr (or a compound operator, in Assignment.Op).
type SetVarStmt struct {
	Pos
	Assignment
}

// SelectItem is one item of a select list. Exactly one form is used:
//   - Star: "*" (Qualifier empty) or "t.*" / "dbo.t.*" (Qualifier set);
//   - Expr with optional Alias ("expr AS a", "expr a", "a = expr", "expr AS 'a'");
//   - Variable assignment "@v = expr" (Variable and Op set, Expr the value).
type SelectItem struct {
	Pos
	Star      bool
	Qualifier ObjectName // for t.*
	Expr      Expr
	Alias     string
	Variable  string // "@v" for SELECT @v = expr
	Op        string // "=" or a compound operator, with Variable
}

// OrderItem is ORDER BY expr [ASC|DESC].
type OrderItem struct {
	Pos
	Expr Expr
	Desc bool
}

// SelectStmt is a SELECT statement or subquery. A statement whose items
// all assign variables is SELECT @v = ... (the parser refuses mixing, Msg 141).
type SelectStmt struct {
	Pos
	Distinct bool
	Top      *TopClause
	Items    []*SelectItem
	From     TableSource // nil for SELECT without FROM
	Where    Expr
	GroupBy  []Expr
	Having   Expr
	OrderBy  []*OrderItem
	Offset   Expr // OFFSET n ROWS; nil when absent
	Fetch    Expr // FETCH {NEXT|FIRST} m ROWS ONLY; nil when absent
	// Unions are the UNION [ALL] arms that follow, left to right; ORDER
	// BY, OFFSET and FETCH then apply to the combined result.
	Unions []*UnionArm
	// With holds the common table expressions of WITH name AS (...)
	// before the statement.
	With []*CTE
	// Options are the query hints of OPTION (...), each as its tokens
	// separated by spaces, keywords upper case ("MAXRECURSION 100").
	Options []string
}

// CTE is one common table expression: name [(columns)] AS (select).
type CTE struct {
	Name    string
	Columns []string // nil: the select's column names
	Select  *SelectStmt
}

// UnionArm is UNION [ALL] SELECT ... (without ORDER BY).
type UnionArm struct {
	All    bool
	Select *SelectStmt
}

// ExecArg is one argument of EXEC: [@name =] value [OUTPUT].
// A bare word argument (EXEC sp_help customers) is a *StringLit; the
// DEFAULT keyword is *DefaultExpr.
type ExecArg struct {
	Pos
	Name   string // "@name"; empty for a positional argument
	Value  Expr
	Output bool
}

// ExecStmt is EXEC[UTE] [@rc =] proc [args], or EXEC (string_expr) for
// dynamic SQL. A procedure call at the very start of a batch may omit EXEC.
type ExecStmt struct {
	Pos
	ReturnVar string     // "@rc" in EXEC @rc = proc; empty when none
	Proc      ObjectName // procedure name, e.g. sys.sp_cdc_enable_db
	ProcVar   string     // EXEC @procname: the variable; Proc is then empty
	Args      []*ExecArg
	SQL       []Expr // EXEC ('...' + @x): the concatenated parts; nil for a procedure call
}

// IfStmt is IF cond stmt [ELSE stmt].
type IfStmt struct {
	Pos
	Cond Expr
	Then Statement
	Else Statement // nil without ELSE
}

// WhileStmt is WHILE cond stmt.
type WhileStmt struct {
	Pos
	Cond Expr
	Body Statement
}

// BreakStmt is BREAK.
type BreakStmt struct{ Pos }

// ContinueStmt is CONTINUE.
type ContinueStmt struct{ Pos }

// ReturnStmt is RETURN [expr].
type ReturnStmt struct {
	Pos
	Value Expr
}

// BlockStmt is BEGIN ... END.
type BlockStmt struct {
	Pos
	Body []Statement
}

// TryCatchStmt is BEGIN TRY statements END TRY BEGIN CATCH [statements] END CATCH.
type TryCatchStmt struct {
	Pos
	Try   []Statement // at least one
	Catch []Statement // may be empty
}

// WaitForStmt is WAITFOR {DELAY | TIME} expr.
type WaitForStmt struct {
	Pos
	Time  bool // TIME 'hh:mm:ss' rather than DELAY
	Value Expr
}

// PrintStmt is PRINT expr.
type PrintStmt struct {
	Pos
	Value Expr
}

// RaiserrorStmt is RAISERROR (msg, severity, state[, args...]) [WITH option[, ...]].
type RaiserrorStmt struct {
	Pos
	Message  Expr
	Severity Expr
	State    Expr
	Args     []Expr
	Options  []string // NOWAIT, LOG, SETERROR
}

// ThrowStmt is THROW [number, message, state]; all nil for a rethrow.
type ThrowStmt struct {
	Pos
	Number  Expr
	Message Expr
	State   Expr
}

// ---------------------------------------------------------------------------
// Table sources

// TableName is a table or view in FROM, or the target of INSERT/UPDATE/DELETE.
type TableName struct {
	Pos
	Name  ObjectName
	Alias string
	Hints []string // WITH (NOLOCK, UPDLOCK ...) or (NOLOCK), upper case
}

// TableFunc is a table-valued function call in FROM, e.g.
// cdc.fn_cdc_get_all_changes_dbo_customer(@from, @to, N'all').
type TableFunc struct {
	Pos
	Name  ObjectName
	Args  []Expr
	Alias string
}

// DerivedTable is (SELECT ...) AS alias in FROM.
type DerivedTable struct {
	Pos
	Select *SelectStmt
	Alias  string
}

// JoinKind is the kind of a join.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota + 1
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
)

// Join is Left kind JOIN Right [ON cond]; a comma in FROM is a CrossJoin.
type Join struct {
	Pos
	Kind  JoinKind
	Left  TableSource
	Right TableSource
	On    Expr // nil for CROSS JOIN
}

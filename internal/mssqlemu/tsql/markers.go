package tsql

// Marker methods that close the Statement, Expr and TableSource sets.

func (*CreateDatabaseStmt) stmtNode()        {}
func (*DropDatabaseStmt) stmtNode()          {}
func (*CreateSchemaStmt) stmtNode()          {}
func (*UseStmt) stmtNode()                   {}
func (*CreateTableStmt) stmtNode()           {}
func (*AlterTableAddStmt) stmtNode()         {}
func (*AlterTableDropColumnStmt) stmtNode()  {}
func (*AlterTableAlterColumnStmt) stmtNode() {}
func (*DropTableStmt) stmtNode()             {}
func (*TruncateTableStmt) stmtNode()         {}
func (*InsertStmt) stmtNode()                {}
func (*UpdateStmt) stmtNode()                {}
func (*DeleteStmt) stmtNode()                {}
func (*BeginTranStmt) stmtNode()             {}
func (*CommitStmt) stmtNode()                {}
func (*RollbackStmt) stmtNode()              {}
func (*SaveTranStmt) stmtNode()              {}
func (*SetIsolationStmt) stmtNode()          {}
func (*SetOnOffStmt) stmtNode()              {}
func (*SetValueStmt) stmtNode()              {}
func (*SetIdentityInsertStmt) stmtNode()     {}
func (*AlterDatabaseSetStmt) stmtNode()      {}
func (*DeclareStmt) stmtNode()               {}
func (*SetVarStmt) stmtNode()                {}
func (*SelectStmt) stmtNode()                {}
func (*ExecStmt) stmtNode()                  {}
func (*IfStmt) stmtNode()                    {}
func (*WhileStmt) stmtNode()                 {}
func (*BreakStmt) stmtNode()                 {}
func (*ContinueStmt) stmtNode()              {}
func (*ReturnStmt) stmtNode()                {}
func (*BlockStmt) stmtNode()                 {}
func (*WaitForStmt) stmtNode()               {}
func (*PrintStmt) stmtNode()                 {}
func (*RaiserrorStmt) stmtNode()             {}
func (*ThrowStmt) stmtNode()                 {}

func (*NumberLit) exprNode()    {}
func (*StringLit) exprNode()    {}
func (*BinaryLit) exprNode()    {}
func (*NullLit) exprNode()      {}
func (*DefaultExpr) exprNode()  {}
func (*VarRef) exprNode()       {}
func (*GlobalVar) exprNode()    {}
func (*ColumnRef) exprNode()    {}
func (*DatePart) exprNode()     {}
func (*UnaryExpr) exprNode()    {}
func (*BinaryExpr) exprNode()   {}
func (*IsNullExpr) exprNode()   {}
func (*InExpr) exprNode()       {}
func (*BetweenExpr) exprNode()  {}
func (*LikeExpr) exprNode()     {}
func (*CaseExpr) exprNode()     {}
func (*CastExpr) exprNode()     {}
func (*ConvertExpr) exprNode()  {}
func (*FuncCall) exprNode()     {}
func (*SubqueryExpr) exprNode() {}
func (*ExistsExpr) exprNode()   {}
func (*CollateExpr) exprNode()  {}

func (*TableName) tableSourceNode()    {}
func (*TableFunc) tableSourceNode()    {}
func (*DerivedTable) tableSourceNode() {}
func (*Join) tableSourceNode()         {}

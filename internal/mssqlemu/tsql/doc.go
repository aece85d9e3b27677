// Package tsql lexes and parses the subset of T-SQL that the SQL Server
// emulator runs into a syntax tree, refusing everything else with the
// error SQL Server itself reports (Msg 102 or 156, Level 15, State 1).
//
// A batch is parsed whole before anything runs, as SQL Server compiles it:
//
//	stmts, err := tsql.Parse("DECLARE @from_lsn binary(10);\nSET @from_lsn = sys.fn_cdc_get_min_lsn('dbo_t');")
//	var perr *tsql.Error
//	if errors.As(err, &perr) {
//		// perr.Number, Class, State, Line, Text → one TDS ERROR token;
//		// perr.Next, when set, is a second one (105 is followed by 102).
//	}
//	if err := tsql.CheckVariables(stmts); err != nil {
//		// Msg 137 / 134: undeclared or twice-declared @variables
//	}
//	for _, st := range stmts {
//		switch st := st.(type) {
//		case *tsql.DeclareStmt:
//			typ, err := tsql.ResolveType(st.Vars[0].Type, false) // sqltypes.Type{ID: sqltypes.Binary, Length: 10}
//			...
//		case *tsql.SetVarStmt:
//			_ = st.Value // *tsql.FuncCall{Name: {Schema: "sys", Object: "fn_cdc_get_min_lsn"}, Args: [*tsql.StringLit]}
//		}
//	}
//
// The pieces:
//   - lexer.go turns text into tokens (identifiers, [x] and "x" names,
//     @variables, @@functions, N'...' and '...' strings, 0x binary, numbers,
//     $money, nested comments); keywords.go holds SQL Server's reserved words.
//   - parser.go and parse_*.go are the recursive-descent parser; its depth is
//     bounded (Msg 191), so hostile input cannot overflow the stack.
//   - ast.go and ast_expr.go are the tree; Format prints any node back as
//     canonical T-SQL, and Inspect walks it in source order.
//   - types.go maps written types onto sqltypes.Type (ResolveType).
//   - ParseObjectName reads names given as strings ('dbo.t', N'[cdc].[x]').
package tsql

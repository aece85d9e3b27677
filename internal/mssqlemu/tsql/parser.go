package tsql

// Parse parses a batch into its statements. A syntax error anywhere fails
// the whole batch with an *Error, as SQL Server compiles a batch before it
// runs any of it.
func Parse(sql string) ([]Statement, error) {
	return nil, newError(MsgIncorrectSyntax, Pos{Line: 1, Col: 1}, "Incorrect syntax near '"+sql+"'.")
}

package engine

import "github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"

// SET FMTONLY ON "returns only metadata to the client ... without actually
// running the query"; "no rows are processed or sent to the client"
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/set-fmtonly-transact-sql).
// Under it a SELECT sends its columns and no rows, SET and variable
// declarations run, and every other statement ends with its DONE without
// running. SQL Server also describes the result sets of the statements
// inside IF, WHILE and procedures; the emulator does not look into them.

// runsUnderFmtOnly reports whether st runs while SET FMTONLY is ON.
func runsUnderFmtOnly(st tsql.Statement) bool {
	switch x := st.(type) {
	case *tsql.SetOnOffStmt, *tsql.SetValueStmt, *tsql.SetIsolationStmt, *tsql.DeclareStmt:
		return true
	case *tsql.SelectStmt:
		// An assignment is not run: it would change a variable.
		return len(x.Items) == 0 || x.Items[0].Variable == ""
	}
	return false
}

// Package tsql lexes and parses the subset of T-SQL that the SQL Server
// emulator runs into a syntax tree, refusing everything else with the
// syntax error SQL Server itself reports (Msg 102 or 156, Level 15).
//
// A batch is parsed whole before anything runs, as SQL Server does:
//
//	stmts, err := tsql.Parse("DECLARE @from_lsn binary(10); SET @from_lsn = sys.fn_cdc_get_min_lsn('dbo_t');")
//	var perr *tsql.Error
//	if errors.As(err, &perr) {
//		// perr.Number, perr.Class, perr.State, perr.Line, perr.Text → a TDS ERROR token
//	}
package tsql

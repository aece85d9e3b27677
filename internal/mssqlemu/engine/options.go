package engine

// The bits of @@OPTIONS, as the user options server configuration option
// documents them
// (https://learn.microsoft.com/en-us/sql/database-engine/configure-windows/configure-the-user-options-server-configuration-option);
// SET name ON/OFF sets and clears them.
var optionBits = map[string]int64{
	"DISABLE_DEF_CNST_CHK":    1,
	"IMPLICIT_TRANSACTIONS":   2,
	"CURSOR_CLOSE_ON_COMMIT":  4,
	"ANSI_WARNINGS":           8,
	"ANSI_PADDING":            16,
	"ANSI_NULLS":              32,
	"ARITHABORT":              64,
	"ARITHIGNORE":             128,
	"QUOTED_IDENTIFIER":       256,
	"NOCOUNT":                 512,
	"ANSI_NULL_DFLT_ON":       1024,
	"ANSI_NULL_DFLT_OFF":      2048,
	"CONCAT_NULL_YIELDS_NULL": 4096,
	"NUMERIC_ROUNDABORT":      8192,
	"XACT_ABORT":              16384,
}

// defaultOptions is @@OPTIONS of a new go-mssqldb or ODBC session:
// ANSI_WARNINGS, ANSI_PADDING, ANSI_NULLS, ARITHABORT, QUOTED_IDENTIFIER,
// ANSI_NULL_DFLT_ON and CONCAT_NULL_YIELDS_NULL.
const defaultOptions int64 = 5496

// setOption records SET name ON|OFF in @@OPTIONS.
func (s *session) setOption(name string, on bool) {
	bit, ok := optionBits[name]
	if !ok {
		return
	}
	if on {
		s.options |= bit
	} else {
		s.options &^= bit
	}
}

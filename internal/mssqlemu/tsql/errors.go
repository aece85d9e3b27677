package tsql

import "fmt"

// Error is a compile-time error of a batch, numbered as SQL Server numbers
// it. Its fields map one to one onto a TDS ERROR token (tds.Message).
type Error struct {
	Number int32  // e.g. 102, 156, 105
	Class  uint8  // severity; 15 for syntax errors
	State  uint8  // 1 for syntax errors
	Line   int32  // 1-based line of the batch where the error was found
	Text   string // the message text, e.g. "Incorrect syntax near 'x'."
	Pos    Pos    // where exactly
	// Next is a further message SQL Server sends after this one for the
	// same fault: an unclosed quotation mark (Msg 105) is followed by
	// Msg 102 "Incorrect syntax near '...'.". Nil otherwise.
	Next *Error
}

func (e *Error) Error() string {
	return fmt.Sprintf("Msg %d, Level %d, State %d, Line %d: %s", e.Number, e.Class, e.State, e.Line, e.Text)
}

// Message numbers the parser reports.
const (
	MsgIncorrectSyntax        = 102  // Incorrect syntax near '%s'.
	MsgIdentifierTooLong      = 103  // The identifier that starts with '%s' is too long. Maximum length is 128.
	MsgUnclosedQuote          = 105  // Unclosed quotation mark after the character string '%s'.
	MsgMissingEndComment      = 113  // Missing end comment mark '*/'.
	MsgAssignAndRetrieve      = 141  // A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.
	MsgIncorrectSyntaxKeyword = 156  // Incorrect syntax near the keyword '%s'.
	MsgNestedTooDeeply        = 191  // Some part of your SQL statement is nested too deeply. ...
	MsgEmptyName              = 1038 // An object or column name is missing or empty. ...
)

// unclosedQuote is Msg 105 followed by Msg 102, as SQL Server reports an
// unterminated string or delimited identifier.
func unclosedQuote(pos Pos, text string) *Error {
	e := newError(MsgUnclosedQuote, pos, "Unclosed quotation mark after the character string '"+text+"'.")
	e.Next = newError(MsgIncorrectSyntax, pos, "Incorrect syntax near '"+text+"'.")
	return e
}

func newError(number int32, pos Pos, text string) *Error {
	return &Error{Number: number, Class: 15, State: 1, Line: int32(pos.Line), Text: text, Pos: pos}
}

package tsql

import (
	"strconv"
	"strings"
)

// maxDepth bounds the parser's recursion (nested parentheses, subqueries,
// IF and BEGIN blocks). Deeper input gets Msg 191 rather than a stack overflow.
const maxDepth = 256

// maxLinks bounds the binary operators and joins of one statement. Chains
// are parsed in loops, but they build left-deep trees whose depth the
// engine and Format recurse through; the bound keeps that depth sane.
const maxLinks = 1 << 16

// maxValuesRows is SQL Server's limit on rows in one INSERT ... VALUES.
const maxValuesRows = 1000

// Parse parses a batch into its statements. A syntax error anywhere fails
// the whole batch with an *Error, as SQL Server compiles a batch before it
// runs any of it. An empty batch (only blanks, comments and ';') yields no
// statements and no error.
func Parse(sql string) ([]Statement, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	return p.parseBatch()
}

// parser is a recursive-descent parser over the batch's tokens.
type parser struct {
	toks  []token
	i     int
	depth int
	links int // binary operators and joins in the current top-level statement
}

func (p *parser) tok() *token { return &p.toks[p.i] }

// at returns the token n places ahead (tEOF past the end).
func (p *parser) at(n int) *token {
	j := p.i + n
	if j >= len(p.toks) {
		j = len(p.toks) - 1
	}
	return &p.toks[j]
}

func (p *parser) next() *token {
	t := &p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKw reports whether the current token is the word kw (upper case),
// reserved or not.
func (p *parser) isKw(kw string) bool {
	t := &p.toks[p.i]
	return t.kind == tWord && t.upper == kw
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) error {
	if p.acceptKw(kw) {
		return nil
	}
	return p.fail()
}

func (p *parser) isOp(op string) bool {
	t := &p.toks[p.i]
	return t.kind == tOp && t.val == op
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if p.acceptOp(op) {
		return nil
	}
	return p.fail()
}

// fail is a syntax error near the current token.
func (p *parser) fail() *Error { return p.errAt(p.i) }

// errAt is SQL Server's syntax error near token i: Msg 156 for a reserved
// keyword, else Msg 102. At the end of the batch it names the last token.
func (p *parser) errAt(i int) *Error {
	if p.toks[i].kind == tEOF && i > 0 {
		i--
	}
	t := &p.toks[i]
	if t.kind == tWord && t.reserved {
		return newError(MsgIncorrectSyntaxKeyword, t.pos(), "Incorrect syntax near the keyword '"+t.val+"'.")
	}
	return newError(MsgIncorrectSyntax, t.pos(), "Incorrect syntax near '"+t.near()+"'.")
}

// enter counts one level of nesting; leave undoes it.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return newError(MsgNestedTooDeeply, p.tok().pos(),
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries.")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// chainLink counts one binary operator or join of the current statement.
func (p *parser) chainLink() error {
	p.links++
	if p.links > maxLinks {
		return newError(MsgNestedTooDeeply, p.tok().pos(),
			"Some part of your SQL statement is nested too deeply. Rewrite the query or break it up into smaller queries.")
	}
	return nil
}

// isIdent reports whether token t can be an identifier: an unreserved word
// or a delimited name.
func isIdent(t *token) bool {
	return t.kind == tQuoted || t.kind == tWord && !t.reserved
}

// ident reads one identifier.
func (p *parser) ident() (string, error) {
	t := p.tok()
	if !isIdent(t) {
		return "", p.fail()
	}
	p.i++
	return t.val, nil
}

// parseMultiPart reads a dotted name of at most maxParts parts; empty
// middle parts ("db..t") are kept as "". With allowStar, a final ".*" is
// accepted and reported.
func (p *parser) parseMultiPart(maxParts int, allowStar bool) (parts []string, star bool, err error) {
	first, err := p.ident()
	if err != nil {
		return nil, false, err
	}
	parts = []string{first}
	for p.isOp(".") {
		dot := p.i
		p.i++
		for p.isOp(".") {
			parts = append(parts, "")
			p.i++
		}
		if allowStar && p.isOp("*") {
			p.i++
			return parts, true, nil
		}
		name, err := p.ident()
		if err != nil {
			return nil, false, err
		}
		parts = append(parts, name)
		if len(parts) > maxParts {
			return nil, false, newError(117, p.toks[dot].pos(),
				"The object name '"+strings.Join(parts, ".")+"' contains more than the maximum number of prefixes. The maximum is "+strconv.Itoa(maxParts-1)+".")
		}
	}
	return parts, false, nil
}

// objectName turns up to four parts into an ObjectName, aligned right.
func objectName(pos Pos, parts []string) ObjectName {
	n := ObjectName{Pos: pos}
	fields := []*string{&n.Object, &n.Schema, &n.Database, &n.Server}
	for k := 0; k < len(parts) && k < len(fields); k++ {
		*fields[k] = parts[len(parts)-1-k]
	}
	return n
}

// parseObjectName reads server.db.schema.object (at most four parts).
func (p *parser) parseObjectName() (ObjectName, error) {
	pos := p.tok().pos()
	parts, _, err := p.parseMultiPart(4, false)
	if err != nil {
		return ObjectName{}, err
	}
	return objectName(pos, parts), nil
}

// skipTerminators skips ';' between statements. THROW must follow a ';'
// unless it starts the list (SQL Server's rule, as THROW is not reserved).
func (p *parser) skipTerminators() error {
	semi := false
	for p.acceptOp(";") {
		semi = true
	}
	if !semi && p.isKw("THROW") && p.i > 0 {
		if prev := p.toks[p.i-1]; !(prev.kind == tWord && (prev.upper == "BEGIN" || prev.upper == "TRY" || prev.upper == "CATCH")) {
			return p.fail()
		}
	}
	return nil
}

func (p *parser) parseBatch() ([]Statement, error) {
	var stmts []Statement
	for {
		if err := p.skipTerminators(); err != nil {
			return nil, err
		}
		if p.tok().kind == tEOF {
			return stmts, nil
		}
		p.links = 0
		s, err := p.parseStatement(len(stmts) == 0)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, s)
	}
}

// parseStatement parses one statement. batchStart allows a procedure call
// without EXEC, as SQL Server allows for the first statement of a batch.
func (p *parser) parseStatement(batchStart bool) (Statement, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok()
	if t.kind == tQuoted && batchStart {
		return p.parseExecBody(t.pos(), true)
	}
	if t.kind != tWord {
		return nil, p.fail()
	}
	switch t.upper {
	case "SELECT":
		return p.parseSelectStatement()
	case "WITH":
		return p.parseWith()
	case "INSERT":
		return p.parseInsert()
	case "UPDATE":
		return p.parseUpdate()
	case "DELETE":
		return p.parseDelete()
	case "CREATE", "ALTER":
		if p.procAhead() {
			return p.parseCreateProc(batchStart)
		}
		if t.upper == "ALTER" {
			return p.parseAlter()
		}
		return p.parseCreate()
	case "DROP":
		return p.parseDrop()
	case "TRUNCATE":
		return p.parseTruncate()
	case "DBCC":
		return p.parseDbcc()
	case "USE":
		p.i++
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &UseStmt{Pos: t.pos(), Database: name}, nil
	case "BEGIN":
		return p.parseBegin()
	case "COMMIT", "ROLLBACK":
		return p.parseCommitRollback()
	case "SAVE":
		p.i++
		if !p.acceptKw("TRAN") && !p.acceptKw("TRANSACTION") {
			return nil, p.fail()
		}
		name := p.tranName()
		if name == "" {
			return nil, p.fail()
		}
		return &SaveTranStmt{Pos: t.pos(), Name: name}, nil
	case "SET":
		return p.parseSet()
	case "DECLARE":
		if p.cursorAhead() {
			return p.parseDeclareCursor()
		}
		return p.parseDeclare()
	case "OPEN", "CLOSE", "DEALLOCATE":
		return p.parseCursorStmt()
	case "FETCH":
		return p.parseFetch()
	case "EXEC", "EXECUTE":
		p.i++
		return p.parseExecBody(t.pos(), false)
	case "IF":
		return p.parseIf()
	case "WHILE":
		return p.parseWhile()
	case "BREAK":
		p.i++
		return &BreakStmt{Pos: t.pos()}, nil
	case "CONTINUE":
		p.i++
		return &ContinueStmt{Pos: t.pos()}, nil
	case "RETURN":
		return p.parseReturn()
	case "WAITFOR":
		return p.parseWaitFor()
	case "PRINT":
		p.i++
		v, err := p.parseScalar()
		if err != nil {
			return nil, err
		}
		return &PrintStmt{Pos: t.pos(), Value: v}, nil
	case "RAISERROR":
		return p.parseRaiserror()
	case "THROW":
		return p.parseThrow()
	}
	if batchStart && !t.reserved {
		return p.parseExecBody(t.pos(), true)
	}
	return nil, p.fail()
}

// parseDbcc reads DBCC name [(arguments)] [WITH option, ...]
// (https://learn.microsoft.com/en-us/sql/t-sql/database-console-commands/dbcc-transact-sql).
func (p *parser) parseDbcc() (Statement, error) {
	pos := p.tok().pos()
	p.i++
	t := p.tok()
	if t.kind != tWord {
		return nil, p.fail()
	}
	p.i++
	st := &DbccStmt{Pos: pos, Command: t.upper}
	if p.acceptOp("(") {
		for depth := 1; depth > 0; p.i++ {
			switch {
			case p.tok().kind == tEOF:
				return nil, p.fail()
			case p.isOp("("):
				depth++
			case p.isOp(")"):
				depth--
			}
		}
	}
	if p.acceptKw("WITH") {
		for {
			o := p.tok()
			if o.kind != tWord {
				return nil, p.fail()
			}
			p.i++
			st.NoInfoMsgs = st.NoInfoMsgs || o.upper == "NO_INFOMSGS"
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return st, nil
}

package tsql

// tranName reads an optional transaction or savepoint name (or @variable).
func (p *parser) tranName() string {
	t := p.tok()
	if t.kind == tVar || isIdent(t) {
		p.i++
		return t.val
	}
	return ""
}

func (p *parser) parseBegin() (Statement, error) {
	pos := p.next().pos()
	if p.acceptKw("TRAN") || p.acceptKw("TRANSACTION") {
		name := p.tranName()
		if name != "" && p.isKw("WITH") && p.at(1).kind == tWord && p.at(1).upper == "MARK" {
			p.i += 2
			if k := p.tok().kind; k == tString || k == tNString {
				p.i++
			}
		}
		return &BeginTranStmt{Pos: pos, Name: name}, nil
	}
	if p.acceptKw("TRY") {
		return p.parseTryCatch(pos)
	}
	block := &BlockStmt{Pos: pos}
	for {
		if err := p.skipTerminators(); err != nil {
			return nil, err
		}
		if p.isKw("END") && len(block.Body) > 0 {
			p.i++
			return block, nil
		}
		s, err := p.parseStatement(false)
		if err != nil {
			return nil, err
		}
		block.Body = append(block.Body, s)
	}
}

// parseTryCatch parses the rest of BEGIN TRY ... END TRY BEGIN CATCH ... END CATCH.
func (p *parser) parseTryCatch(pos Pos) (Statement, error) {
	st := &TryCatchStmt{Pos: pos}
	var err error
	if st.Try, err = p.parseBlockUntil("TRY", true); err != nil {
		return nil, err
	}
	if err := p.expectKw("BEGIN"); err != nil {
		return nil, err
	}
	if err := p.expectKw("CATCH"); err != nil {
		return nil, err
	}
	st.Catch, err = p.parseBlockUntil("CATCH", false)
	return st, err
}

// parseBlockUntil parses statements up to and including END word.
func (p *parser) parseBlockUntil(word string, nonEmpty bool) ([]Statement, error) {
	var body []Statement
	for {
		if err := p.skipTerminators(); err != nil {
			return nil, err
		}
		if p.isKw("END") && (len(body) > 0 || !nonEmpty) {
			n := p.at(1)
			if n.kind != tWord || n.upper != word {
				return nil, p.errAt(p.i + 1)
			}
			p.i += 2
			return body, nil
		}
		s, err := p.parseStatement(false)
		if err != nil {
			return nil, err
		}
		body = append(body, s)
	}
}

func (p *parser) parseCommitRollback() (Statement, error) {
	t := p.next()
	name := ""
	if !p.acceptKw("WORK") && (p.acceptKw("TRAN") || p.acceptKw("TRANSACTION")) {
		name = p.tranName()
	}
	if t.upper == "COMMIT" {
		return &CommitStmt{Pos: t.pos(), Name: name}, nil
	}
	return &RollbackStmt{Pos: t.pos(), Name: name}, nil
}

// isOnOffOption lists the SET options that take ON or OFF.
func isOnOffOption(upper string) bool {
	switch upper {
	case "ANSI_DEFAULTS", "ANSI_NULL_DFLT_OFF", "ANSI_NULL_DFLT_ON", "ANSI_NULLS", "ANSI_PADDING",
		"ANSI_WARNINGS", "ARITHABORT", "ARITHIGNORE", "CONCAT_NULL_YIELDS_NULL",
		"CURSOR_CLOSE_ON_COMMIT", "FMTONLY", "FORCEPLAN", "IMPLICIT_TRANSACTIONS", "NOCOUNT",
		"NOEXEC", "NUMERIC_ROUNDABORT", "PARSEONLY", "QUOTED_IDENTIFIER",
		"REMOTE_PROC_TRANSACTIONS", "SHOWPLAN_ALL", "SHOWPLAN_TEXT", "SHOWPLAN_XML",
		"XACT_ABORT", "NO_BROWSETABLE":
		return true
	}
	return false
}

// isValueOption lists the SET options that take a value.
func isValueOption(upper string) bool {
	switch upper {
	case "LOCK_TIMEOUT", "TEXTSIZE", "ROWCOUNT", "DATEFIRST", "DATEFORMAT", "LANGUAGE",
		"DEADLOCK_PRIORITY", "CONTEXT_INFO", "QUERY_GOVERNOR_COST_LIMIT":
		return true
	}
	return false
}

func isStatisticsOption(t *token) bool {
	return t.kind == tWord && (t.upper == "IO" || t.upper == "TIME" || t.upper == "XML" || t.upper == "PROFILE")
}

func (p *parser) parseOnOff() (bool, error) {
	switch {
	case p.acceptKw("ON"):
		return true, nil
	case p.acceptKw("OFF"):
		return false, nil
	}
	return false, p.fail()
}

func (p *parser) parseSet() (Statement, error) {
	pos := p.next().pos()
	t := p.tok()
	if t.kind == tVar {
		a, err := p.parseAssignment()
		if err != nil {
			return nil, err
		}
		return &SetVarStmt{Pos: pos, Assignment: *a}, nil
	}
	if t.kind != tWord {
		return nil, p.fail()
	}
	switch {
	case t.upper == "TRANSACTION":
		p.i++
		return p.parseIsolation(pos)
	case t.upper == "IDENTITY_INSERT":
		p.i++
		name, err := p.parseObjectName()
		if err != nil {
			return nil, err
		}
		on, err := p.parseOnOff()
		if err != nil {
			return nil, err
		}
		return &SetIdentityInsertStmt{Pos: pos, Table: name, On: on}, nil
	case isValueOption(t.upper):
		p.i++
		st := &SetValueStmt{Pos: pos, Option: t.upper}
		v := p.tok()
		if isIdent(v) && !(p.at(1).kind == tOp && (p.at(1).val == "(" || p.at(1).val == ".")) {
			p.i++
			st.Value = &StringLit{Pos: v.pos(), Value: v.val}
			return st, nil
		}
		var err error
		st.Value, err = p.parseScalar()
		return st, err
	case t.upper == "STATISTICS" || isOnOffOption(t.upper):
		st := &SetOnOffStmt{Pos: pos}
		statistics := false // SET STATISTICS IO, TIME ON
		for {
			o := p.tok()
			switch {
			case o.kind == tWord && o.upper == "STATISTICS" || statistics && isStatisticsOption(o):
				if o.upper == "STATISTICS" {
					p.i++
				}
				s := p.tok()
				if !isStatisticsOption(s) {
					return nil, p.fail()
				}
				p.i++
				statistics = true
				st.Options = append(st.Options, "STATISTICS "+s.upper)
			case o.kind == tWord && isOnOffOption(o.upper):
				p.i++
				st.Options = append(st.Options, o.upper)
			default:
				return nil, p.fail()
			}
			if !p.acceptOp(",") {
				break
			}
		}
		on, err := p.parseOnOff()
		if err != nil {
			return nil, err
		}
		st.On = on
		return st, nil
	}
	return nil, p.fail()
}

func (p *parser) parseIsolation(pos Pos) (Statement, error) {
	if err := p.expectKw("ISOLATION"); err != nil {
		return nil, err
	}
	if err := p.expectKw("LEVEL"); err != nil {
		return nil, err
	}
	st := &SetIsolationStmt{Pos: pos}
	switch {
	case p.acceptKw("READ"):
		switch {
		case p.acceptKw("UNCOMMITTED"):
			st.Level = ReadUncommitted
		case p.acceptKw("COMMITTED"):
			st.Level = ReadCommitted
		default:
			return nil, p.fail()
		}
	case p.acceptKw("REPEATABLE"):
		if err := p.expectKw("READ"); err != nil {
			return nil, err
		}
		st.Level = RepeatableRead
	case p.acceptKw("SNAPSHOT"):
		st.Level = Snapshot
	case p.acceptKw("SERIALIZABLE"):
		st.Level = Serializable
	default:
		return nil, p.fail()
	}
	return st, nil
}

func (p *parser) parseDeclare() (Statement, error) {
	st := &DeclareStmt{Pos: p.next().pos()}
	for {
		t := p.tok()
		if t.kind != tVar {
			return nil, p.fail()
		}
		p.i++
		v := &VarDecl{Pos: t.pos(), Name: t.val}
		p.acceptKw("AS")
		var err error
		if p.acceptKw("TABLE") {
			if v.Table, err = p.parseTableDef(); err != nil {
				return nil, err
			}
			st.Vars = append(st.Vars, v)
			if !p.acceptOp(",") {
				return st, nil
			}
			continue
		}
		if v.Type, err = p.parseDataType(); err != nil {
			return nil, err
		}
		if p.acceptOp("=") {
			if v.Init, err = p.parseScalar(); err != nil {
				return nil, err
			}
		}
		st.Vars = append(st.Vars, v)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

// parseExecBody parses what follows EXEC (or, with implicit, a procedure
// call that starts a batch).
func (p *parser) parseExecBody(pos Pos, implicit bool) (Statement, error) {
	st := &ExecStmt{Pos: pos}
	if !implicit {
		if p.isOp("(") {
			return p.parseDynamicExec(st)
		}
		if t := p.tok(); t.kind == tVar && p.at(1).kind == tOp && p.at(1).val == "=" {
			st.ReturnVar = t.val
			p.i += 2
		}
		if t := p.tok(); t.kind == tVar {
			st.ProcVar = t.val
			p.i++
		}
	}
	if st.ProcVar == "" {
		var err error
		if st.Proc, err = p.parseObjectName(); err != nil {
			return nil, err
		}
	}
	if !p.startsExecArg() {
		return st, nil
	}
	for {
		a, err := p.parseExecArg()
		if err != nil {
			return nil, err
		}
		st.Args = append(st.Args, a)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

// parseDynamicExec parses EXEC ('...' + @sql ...).
func (p *parser) parseDynamicExec(st *ExecStmt) (Statement, error) {
	p.i++ // (
	e, err := p.parseScalar()
	if err != nil {
		return nil, err
	}
	st.SQL = flattenConcat(e, st.SQL)
	return st, p.expectOp(")")
}

func flattenConcat(e Expr, out []Expr) []Expr {
	if b, ok := e.(*BinaryExpr); ok && b.Op == OpAdd {
		return flattenConcat(b.R, flattenConcat(b.L, out))
	}
	return append(out, e)
}

func (p *parser) startsExecArg() bool {
	t := p.tok()
	switch t.kind {
	case tVar, tString, tNString, tNumber, tBinary, tQuoted:
		return true
	case tWord:
		return !t.reserved || t.upper == "NULL" || t.upper == "DEFAULT"
	case tOp:
		return (t.val == "-" || t.val == "+") && p.at(1).kind == tNumber
	}
	return false
}

func (p *parser) parseExecArg() (*ExecArg, error) {
	t := p.tok()
	a := &ExecArg{Pos: t.pos()}
	if t.kind == tVar && p.at(1).kind == tOp && p.at(1).val == "=" {
		a.Name = t.val
		p.i += 2
		t = p.tok()
	}
	switch {
	case t.kind == tVar:
		a.Value = &VarRef{Pos: t.pos(), Name: t.val}
	case t.kind == tString || t.kind == tNString:
		a.Value = &StringLit{Pos: t.pos(), Value: t.val, Unicode: t.kind == tNString}
	case t.kind == tNumber:
		a.Value = &NumberLit{Pos: t.pos(), Kind: t.num, Text: t.val}
	case t.kind == tBinary:
		a.Value = &BinaryLit{Pos: t.pos(), Value: t.binValue()}
	case t.kind == tOp && (t.val == "-" || t.val == "+") && p.at(1).kind == tNumber:
		n := p.at(1)
		op := OpNeg
		if t.val == "+" {
			op = OpPlus
		}
		a.Value = &UnaryExpr{Pos: t.pos(), Op: op, X: &NumberLit{Pos: n.pos(), Kind: n.num, Text: n.val}}
		p.i++
	case t.kind == tWord && t.upper == "NULL":
		a.Value = &NullLit{Pos: t.pos()}
	case t.kind == tWord && t.upper == "DEFAULT":
		a.Value = &DefaultExpr{Pos: t.pos()}
	case isIdent(t):
		a.Value = &StringLit{Pos: t.pos(), Value: t.val}
	default:
		return nil, p.fail()
	}
	p.i++
	if p.acceptKw("OUTPUT") || p.acceptKw("OUT") {
		a.Output = true
	}
	return a, nil
}

func (p *parser) parseIf() (Statement, error) {
	st := &IfStmt{Pos: p.next().pos()}
	var err error
	if st.Cond, err = p.parseCond(); err != nil {
		return nil, err
	}
	if st.Then, err = p.parseStatement(false); err != nil {
		return nil, err
	}
	if p.acceptKw("ELSE") {
		if st.Else, err = p.parseStatement(false); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (p *parser) parseWhile() (Statement, error) {
	st := &WhileStmt{Pos: p.next().pos()}
	var err error
	if st.Cond, err = p.parseCond(); err != nil {
		return nil, err
	}
	st.Body, err = p.parseStatement(false)
	return st, err
}

// startsExpr reports whether an optional expression (RETURN, THROW) follows.
func (p *parser) startsExpr() bool {
	t := p.tok()
	switch t.kind {
	case tNumber, tString, tNString, tBinary, tVar, tGlobal:
		return true
	case tQuoted:
		n := p.at(1)
		return n.kind == tOp && (n.val == "(" || n.val == ".")
	case tOp:
		return t.val == "(" || t.val == "-" || t.val == "+" || t.val == "~"
	case tWord:
		switch t.upper {
		case "NULL", "CASE", "CONVERT", "TRY_CONVERT", "COALESCE", "NULLIF":
			return true
		}
		n := p.at(1)
		return !t.reserved && n.kind == tOp && (n.val == "(" || n.val == ".")
	}
	return false
}

func (p *parser) parseReturn() (Statement, error) {
	st := &ReturnStmt{Pos: p.next().pos()}
	if !p.startsExpr() {
		return st, nil
	}
	var err error
	st.Value, err = p.parseScalar()
	return st, err
}

func (p *parser) parseWaitFor() (Statement, error) {
	st := &WaitForStmt{Pos: p.next().pos()}
	switch {
	case p.acceptKw("DELAY"):
	case p.acceptKw("TIME"):
		st.Time = true
	default:
		return nil, p.fail()
	}
	var err error
	st.Value, err = p.parseScalar()
	return st, err
}

func (p *parser) parseRaiserror() (Statement, error) {
	st := &RaiserrorStmt{Pos: p.next().pos()}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	list, err := p.parseScalarList()
	if err != nil {
		return nil, err
	}
	if len(list) < 3 {
		return nil, p.fail()
	}
	st.Message, st.Severity, st.State, st.Args = list[0], list[1], list[2], list[3:]
	if len(st.Args) == 0 {
		st.Args = nil
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if !p.acceptKw("WITH") {
		return st, nil
	}
	for {
		t := p.tok()
		if t.kind != tWord || t.upper != "NOWAIT" && t.upper != "LOG" && t.upper != "SETERROR" {
			return nil, p.fail()
		}
		p.i++
		st.Options = append(st.Options, t.upper)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

func (p *parser) parseThrow() (Statement, error) {
	st := &ThrowStmt{Pos: p.next().pos()}
	if !p.startsExpr() {
		return st, nil
	}
	var err error
	if st.Number, err = p.parseScalar(); err != nil {
		return nil, err
	}
	if err := p.expectOp(","); err != nil {
		return nil, err
	}
	if st.Message, err = p.parseScalar(); err != nil {
		return nil, err
	}
	if err := p.expectOp(","); err != nil {
		return nil, err
	}
	st.State, err = p.parseScalar()
	return st, err
}

// parseTableDef parses the "(column-def | table-constraint, ...)" of a
// table variable.
func (p *parser) parseTableDef() (*TableDef, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	def := &TableDef{}
	for {
		col, con, err := p.parseTableElement()
		if err != nil {
			return nil, err
		}
		if col != nil {
			def.Columns = append(def.Columns, col)
		} else {
			def.Constraints = append(def.Constraints, con)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	return def, p.expectOp(")")
}

// parseTableRef parses a table name, or a table variable (@t) where a
// table may stand.
func (p *parser) parseTableRef() (ObjectName, error) {
	if t := p.tok(); t.kind == tVar {
		p.i++
		return ObjectName{Pos: t.pos(), Object: t.val}, nil
	}
	return p.parseObjectName()
}

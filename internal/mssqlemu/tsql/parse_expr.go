package tsql

// Expressions follow SQL Server's operator precedence, from loosest:
// OR; AND; NOT; comparisons, IS [NOT] NULL, [NOT] IN/BETWEEN/LIKE, EXISTS;
// + - & ^ | (binary); * / %; unary - + ~; primaries with COLLATE.
// T-SQL tells scalar expressions from search conditions: a comparison is
// not a value (SELECT 1 = 1 is a syntax error) and a value is not a
// condition (WHERE 1 is Msg 4145). parseScalar and parseCond keep them apart.

// msgNonBoolean is "An expression of non-boolean type specified in a
// context where a condition is expected".
const msgNonBoolean = 4145

// isBool reports whether e is a condition rather than a value.
func isBool(e Expr) bool {
	switch e := e.(type) {
	case *BinaryExpr:
		return e.Op >= OpEq
	case *UnaryExpr:
		return e.Op == OpNot
	case *IsNullExpr, *InExpr, *BetweenExpr, *LikeExpr, *ExistsExpr:
		return true
	}
	return false
}

// nonBoolean is Msg 4145 near the current token.
func (p *parser) nonBoolean() *Error {
	i := p.i
	if p.toks[i].kind == tEOF && i > 0 {
		i--
	}
	t := &p.toks[i]
	return newError(msgNonBoolean, t.pos(),
		"An expression of non-boolean type specified in a context where a condition is expected, near '"+t.near()+"'.")
}

// parseScalar parses a value expression.
func (p *parser) parseScalar() (Expr, error) { return p.parseAdditive(false) }

// parseCond parses a search condition (WHERE, HAVING, ON, IF, WHILE, WHEN).
func (p *parser) parseCond() (Expr, error) {
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !isBool(e) {
		return nil, p.nonBoolean()
	}
	return e, nil
}

// parseOr parses a condition, or a value when no predicate appears (the
// inside of parentheses in a condition may be either).
func (p *parser) parseOr() (Expr, error) { return p.parseLogical("OR", OpOr, p.parseAnd) }

func (p *parser) parseAnd() (Expr, error) { return p.parseLogical("AND", OpAnd, p.parseNot) }

// parseLogical parses operands joined by the keyword kw (AND or OR); both
// sides of each must be conditions.
func (p *parser) parseLogical(kw string, op BinaryOp, operand func() (Expr, error)) (Expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKw(kw) {
		if !isBool(l) {
			return nil, p.nonBoolean()
		}
		p.i++
		r, err := operand()
		if err != nil {
			return nil, err
		}
		if !isBool(r) {
			return nil, p.nonBoolean()
		}
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		l = &BinaryExpr{Pos: l.Position(), Op: op, L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseNot() (Expr, error) {
	if !p.isKw("NOT") {
		return p.parsePredicate()
	}
	pos := p.next().pos()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	if !isBool(x) {
		return nil, p.nonBoolean()
	}
	return &UnaryExpr{Pos: pos, Op: OpNot, X: x}, nil
}

func comparisonOp(t *token) (BinaryOp, bool) {
	if t.kind != tOp {
		return 0, false
	}
	switch t.val {
	case "=":
		return OpEq, true
	case "<>", "!=":
		return OpNe, true
	case "<":
		return OpLt, true
	case ">":
		return OpGt, true
	case "<=":
		return OpLe, true
	case ">=":
		return OpGe, true
	case "!<":
		return OpNotLt, true
	case "!>":
		return OpNotGt, true
	}
	return 0, false
}

// parsePredicate parses a comparison or other predicate, a parenthesized
// condition, or (for the caller to judge) a bare value.
func (p *parser) parsePredicate() (Expr, error) {
	if p.isKw("EXISTS") {
		pos := p.next().pos()
		sel, err := p.parseParenSelect()
		if err != nil {
			return nil, err
		}
		return &ExistsExpr{Pos: pos, Select: sel}, nil
	}
	l, err := p.parseAdditive(true)
	if err != nil || isBool(l) {
		return l, err
	}
	if op, ok := comparisonOp(p.tok()); ok {
		p.i++
		r, err := p.parseAdditive(false)
		if err != nil {
			return nil, err
		}
		return &BinaryExpr{Pos: l.Position(), Op: op, L: l, R: r}, nil
	}
	if p.isKw("IS") {
		p.i++
		not := p.acceptKw("NOT")
		if err := p.expectKw("NULL"); err != nil {
			return nil, err
		}
		return &IsNullExpr{Pos: l.Position(), X: l, Not: not}, nil
	}
	not := false
	if p.isKw("NOT") {
		if n := p.at(1); n.kind == tWord && (n.upper == "IN" || n.upper == "BETWEEN" || n.upper == "LIKE") {
			not = true
			p.i++
		}
	}
	switch {
	case p.acceptKw("BETWEEN"):
		lo, err := p.parseAdditive(false)
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("AND"); err != nil {
			return nil, err
		}
		hi, err := p.parseAdditive(false)
		if err != nil {
			return nil, err
		}
		return &BetweenExpr{Pos: l.Position(), X: l, Not: not, Lo: lo, Hi: hi}, nil
	case p.acceptKw("LIKE"):
		pat, err := p.parseAdditive(false)
		if err != nil {
			return nil, err
		}
		e := &LikeExpr{Pos: l.Position(), X: l, Not: not, Pattern: pat}
		if p.acceptKw("ESCAPE") {
			if e.Escape, err = p.parseAdditive(false); err != nil {
				return nil, err
			}
		}
		return e, nil
	case p.acceptKw("IN"):
		return p.parseInTail(l, not)
	}
	return l, nil
}

func (p *parser) parseInTail(x Expr, not bool) (Expr, error) {
	e := &InExpr{Pos: x.Position(), X: x, Not: not}
	if p.isOp("(") && p.at(1).kind == tWord && p.at(1).upper == "SELECT" {
		sel, err := p.parseParenSelect()
		if err != nil {
			return nil, err
		}
		e.Select = sel
		return e, nil
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	list, err := p.parseScalarList()
	if err != nil {
		return nil, err
	}
	e.List = list
	return e, p.expectOp(")")
}

// parseScalarList parses expr[, expr...] (at least one).
func (p *parser) parseScalarList() ([]Expr, error) {
	var list []Expr
	for {
		v, err := p.parseScalar()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}

// parseParenSelect parses ( SELECT ... ) used as a subquery.
func (p *parser) parseParenSelect() (*SelectStmt, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	sel, err := p.parseSelect(selSubquery)
	if err != nil {
		return nil, err
	}
	return sel, p.expectOp(")")
}

func additiveOp(t *token) (BinaryOp, bool) {
	if t.kind != tOp {
		return 0, false
	}
	switch t.val {
	case "+":
		return OpAdd, true
	case "-":
		return OpSub, true
	case "&":
		return OpBitAnd, true
	case "|":
		return OpBitOr, true
	case "^":
		return OpBitXor, true
	}
	return 0, false
}

func multiplicativeOp(t *token) (BinaryOp, bool) {
	if t.kind != tOp {
		return 0, false
	}
	switch t.val {
	case "*":
		return OpMul, true
	case "/":
		return OpDiv, true
	case "%":
		return OpMod, true
	}
	return 0, false
}

// parseAdditive parses + - & ^ | chains. cond lets the first operand be a
// parenthesized condition (which then ends the chain).
func (p *parser) parseAdditive(cond bool) (Expr, error) {
	l, err := p.parseMultiplicative(cond)
	if err != nil || isBool(l) {
		return l, err
	}
	for {
		op, ok := additiveOp(p.tok())
		if !ok {
			return l, nil
		}
		p.i++
		r, err := p.parseMultiplicative(false)
		if err != nil {
			return nil, err
		}
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		l = &BinaryExpr{Pos: l.Position(), Op: op, L: l, R: r}
	}
}

func (p *parser) parseMultiplicative(cond bool) (Expr, error) {
	l, err := p.parseUnary(cond)
	if err != nil || isBool(l) {
		return l, err
	}
	for {
		op, ok := multiplicativeOp(p.tok())
		if !ok {
			return l, nil
		}
		p.i++
		r, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		l = &BinaryExpr{Pos: l.Position(), Op: op, L: l, R: r}
	}
}

func (p *parser) parseUnary(cond bool) (Expr, error) {
	t := p.tok()
	if t.kind == tOp && (t.val == "-" || t.val == "+" || t.val == "~") {
		p.i++
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		op := OpNeg
		switch t.val {
		case "+":
			op = OpPlus
		case "~":
			op = OpBitNot
		}
		return &UnaryExpr{Pos: t.pos(), Op: op, X: x}, nil
	}
	x, err := p.parsePrimary(cond)
	if err != nil || isBool(x) {
		return x, err
	}
	if x, err = p.parseMethods(x); err != nil {
		return nil, err
	}
	for p.isKw("COLLATE") {
		p.i++
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		x = &CollateExpr{Pos: x.Position(), X: x, Collation: name}
	}
	return x, nil
}

// parsePrimary parses literals, variables, names, calls, CASE, CAST,
// CONVERT, subqueries and parenthesized expressions.
func (p *parser) parsePrimary(cond bool) (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok()
	switch t.kind {
	case tNumber:
		p.i++
		return &NumberLit{Pos: t.pos(), Kind: t.num, Text: t.val}, nil
	case tString, tNString:
		p.i++
		return &StringLit{Pos: t.pos(), Value: t.val, Unicode: t.kind == tNString}, nil
	case tBinary:
		p.i++
		return &BinaryLit{Pos: t.pos(), Value: t.binValue()}, nil
	case tVar:
		p.i++
		return &VarRef{Pos: t.pos(), Name: t.val}, nil
	case tGlobal:
		p.i++
		return &GlobalVar{Pos: t.pos(), Name: t.val}, nil
	case tQuoted:
		return p.parseNameExpr()
	case tOp:
		if t.val != "(" {
			return nil, p.fail()
		}
		if n := p.at(1); n.kind == tWord && n.upper == "SELECT" {
			sel, err := p.parseParenSelect()
			if err != nil {
				return nil, err
			}
			return &SubqueryExpr{Pos: t.pos(), Select: sel}, nil
		}
		p.i++
		var inner Expr
		var err error
		if cond {
			inner, err = p.parseOr()
		} else {
			inner, err = p.parseScalar()
		}
		if err != nil {
			return nil, err
		}
		return inner, p.expectOp(")")
	case tWord:
		return p.parseWordPrimary(t)
	}
	return nil, p.fail()
}

func (p *parser) parseWordPrimary(t *token) (Expr, error) {
	callNext := p.at(1).kind == tOp && p.at(1).val == "("
	switch t.upper {
	case "NULL":
		p.i++
		return &NullLit{Pos: t.pos()}, nil
	case "CASE":
		return p.parseCase()
	case "CAST", "TRY_CAST":
		if callNext {
			return p.parseCast()
		}
	case "CONVERT", "TRY_CONVERT":
		return p.parseConvert()
	case "CURRENT_TIMESTAMP", "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "USER":
		p.i++
		return &FuncCall{Pos: t.pos(), Name: ObjectName{Pos: t.pos(), Object: t.upper}}, nil
	case "COALESCE", "NULLIF", "LEFT", "RIGHT":
		if !callNext {
			return nil, p.fail()
		}
		p.i += 2 // name and (
		return p.parseCallArgs(t.pos(), ObjectName{Pos: t.pos(), Object: t.val})
	}
	if p.at(1).kind == tOp && p.at(1).val == ":" && p.at(2).kind == tOp && p.at(2).val == ":" {
		return p.parseStaticMethod(t)
	}
	if t.reserved {
		return nil, p.fail()
	}
	return p.parseNameExpr()
}

// parseNameExpr parses a column reference or a function call.
func (p *parser) parseNameExpr() (Expr, error) {
	pos := p.tok().pos()
	parts, _, err := p.parseMultiPart(5, false)
	if err != nil {
		return nil, err
	}
	if p.isOp("(") {
		if n := len(parts); n > 1 && n <= 5 && isCLRMethod(parts[n-1]) && parts[n-2] != "" {
			// col.ToString(), t.col.GetLevel(): a method of the column's
			// CLR type, not a function in a schema.
			recv := &ColumnRef{Pos: pos, Column: parts[n-2]}
			if n > 2 {
				recv.Table = objectName(pos, parts[:n-2])
			}
			p.i++
			return p.methodArgs(pos, recv, parts[n-1])
		}
		if len(parts) > 3 {
			return nil, p.fail()
		}
		p.i++
		return p.parseCallArgs(pos, objectName(pos, parts))
	}
	col := &ColumnRef{Pos: pos, Column: parts[len(parts)-1]}
	if len(parts) > 1 && parts[len(parts)-2] == "" {
		// a..b: the column's table may not be left out.
		return nil, p.errAt(p.i - 1)
	}
	if len(parts) > 1 {
		col.Table = objectName(pos, parts[:len(parts)-1])
	}
	return col, nil
}

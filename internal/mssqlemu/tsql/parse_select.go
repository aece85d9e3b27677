package tsql

import "strings"

// Message numbers of SELECT's compile-time checks.
const (
	msgOrderByInSubquery = 1033
)

// parseSelectStatement parses a SELECT used as a statement, where variable
// assignment (SELECT @v = expr) is allowed but must not mix with retrieval.
func (p *parser) parseSelectStatement() (Statement, error) {
	sel, err := p.parseSelect(selStatement)
	if err != nil {
		return nil, err
	}
	assigns := 0
	for _, it := range sel.Items {
		if it.Variable != "" {
			assigns++
		}
	}
	if assigns > 0 && assigns < len(sel.Items) {
		return nil, newError(MsgAssignAndRetrieve, sel.Pos,
			"A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.")
	}
	return sel, nil
}

// selectCtx is where a SELECT appears.
type selectCtx uint8

const (
	selStatement selectCtx = iota // a statement: may assign variables
	selSubquery                   // subquery or derived table: ORDER BY needs TOP or OFFSET
	selInsert                     // INSERT ... SELECT
	selUnionArm                   // the SELECT after UNION [ALL]: no ORDER BY of its own
)

// parseSelect parses SELECT ... up to and including ORDER BY / OFFSET.
func (p *parser) parseSelect(ctx selectCtx) (*SelectStmt, error) {
	t := p.tok()
	if err := p.expectKw("SELECT"); err != nil {
		return nil, err
	}
	sel := &SelectStmt{Pos: t.pos()}
	if p.acceptKw("DISTINCT") {
		sel.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	var err error
	if p.isKw("TOP") {
		if sel.Top, err = p.parseTop(false); err != nil {
			return nil, err
		}
	}
	for {
		it, err := p.parseSelectItem(ctx == selStatement)
		if err != nil {
			return nil, err
		}
		sel.Items = append(sel.Items, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		if sel.From, err = p.parseFrom(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WHERE") {
		if sel.Where, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	if p.isKw("GROUP") {
		p.i++
		if err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		if sel.GroupBy, err = p.parseScalarList(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("HAVING") {
		if sel.Having, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	if ctx == selUnionArm {
		return sel, nil
	}
	for p.acceptKw("UNION") {
		arm := &UnionArm{All: p.acceptKw("ALL")}
		if arm.Select, err = p.parseSelect(selUnionArm); err != nil {
			return nil, err
		}
		sel.Unions = append(sel.Unions, arm)
	}
	if p.isKw("ORDER") {
		orderTok := p.i
		if err := p.parseOrderBy(sel); err != nil {
			return nil, err
		}
		if ctx == selSubquery && sel.Top == nil && sel.Offset == nil {
			return nil, newError(msgOrderByInSubquery, p.toks[orderTok].pos(),
				"The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is also specified.")
		}
	}
	if ctx == selStatement && p.isKw("OPTION") && p.at(1).kind == tOp && p.at(1).val == "(" {
		p.i += 2
		var err error
		if sel.Options, err = p.parseQueryHints(); err != nil {
			return nil, err
		}
	}
	return sel, nil
}

// parseQueryHints reads the hints of OPTION ( ... ) up to its closing
// parenthesis (https://learn.microsoft.com/en-us/sql/t-sql/queries/hints-transact-sql-query).
func (p *parser) parseQueryHints() ([]string, error) {
	var hints []string
	var cur []string
	depth := 0
	for {
		t := p.tok()
		switch {
		case t.kind == tEOF:
			return nil, p.fail()
		case t.kind == tOp && t.val == "(":
			depth++
		case t.kind == tOp && t.val == ")" && depth > 0:
			depth--
		case t.kind == tOp && (t.val == ")" || t.val == ",") && depth == 0:
			if len(cur) == 0 {
				return nil, p.fail()
			}
			hints = append(hints, strings.Join(cur, " "))
			cur = nil
			p.i++
			if t.val == ")" {
				return hints, nil
			}
			continue
		}
		cur = append(cur, hintToken(t))
		p.i++
	}
}

// hintToken renders a token of a query hint as it parses back.
func hintToken(t *token) string {
	switch t.kind {
	case tWord:
		return t.upper
	case tQuoted:
		return "[" + strings.ReplaceAll(t.val, "]", "]]") + "]"
	case tString:
		return "'" + strings.ReplaceAll(t.val, "'", "''") + "'"
	case tNString:
		return "N'" + strings.ReplaceAll(t.val, "'", "''") + "'"
	}
	return t.near()
}

func (p *parser) parseOrderBy(sel *SelectStmt) error {
	p.i++ // ORDER
	if err := p.expectKw("BY"); err != nil {
		return err
	}
	for {
		pos := p.tok().pos()
		x, err := p.parseScalar()
		if err != nil {
			return err
		}
		it := &OrderItem{Pos: pos, Expr: x}
		if p.acceptKw("DESC") {
			it.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		sel.OrderBy = append(sel.OrderBy, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if !p.acceptKw("OFFSET") {
		return nil
	}
	var err error
	if sel.Offset, err = p.parseScalar(); err != nil {
		return err
	}
	if !p.acceptKw("ROWS") && !p.acceptKw("ROW") {
		return p.fail()
	}
	if !p.acceptKw("FETCH") {
		return nil
	}
	if !p.acceptKw("NEXT") && !p.acceptKw("FIRST") {
		return p.fail()
	}
	if sel.Fetch, err = p.parseScalar(); err != nil {
		return err
	}
	if !p.acceptKw("ROWS") && !p.acceptKw("ROW") {
		return p.fail()
	}
	return p.expectKw("ONLY")
}

// parseTop parses TOP (n) [PERCENT] [WITH TIES], or TOP n where parentheses
// are optional (SELECT only).
func (p *parser) parseTop(requireParens bool) (*TopClause, error) {
	top := &TopClause{Pos: p.next().pos()}
	var err error
	switch {
	case p.acceptOp("("):
		if top.Count, err = p.parseScalar(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	case !requireParens && p.tok().kind == tNumber:
		if top.Count, err = p.parsePrimary(false); err != nil {
			return nil, err
		}
	default:
		return nil, p.fail()
	}
	top.Percent = p.acceptKw("PERCENT")
	if p.isKw("WITH") && p.at(1).kind == tWord && p.at(1).upper == "TIES" {
		p.i += 2
		top.WithTies = true
	}
	return top, nil
}

func isAssignOp(t *token) bool {
	if t.kind != tOp {
		return false
	}
	switch t.val {
	case "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=":
		return true
	}
	return false
}

// qualifiedStarAhead reports whether the tokens ahead read name[.name...].*
func (p *parser) qualifiedStarAhead() bool {
	j := p.i
	for {
		if !isIdent(&p.toks[j]) {
			return false
		}
		j++
		if p.toks[j].kind != tOp || p.toks[j].val != "." {
			return false
		}
		for p.toks[j].kind == tOp && p.toks[j].val == "." {
			j++
		}
		if p.toks[j].kind == tOp && p.toks[j].val == "*" {
			return true
		}
	}
}

func (p *parser) parseSelectItem(stmt bool) (*SelectItem, error) {
	t := p.tok()
	it := &SelectItem{Pos: t.pos()}
	var err error
	switch {
	case t.kind == tOp && t.val == "*":
		p.i++
		it.Star = true
		return it, nil
	case stmt && t.kind == tVar && isAssignOp(p.at(1)):
		it.Variable = t.val
		it.Op = p.at(1).val
		p.i += 2
		if it.Expr, err = p.parseScalar(); err != nil {
			return nil, err
		}
		return it, nil
	case (isIdent(t) || t.kind == tString) && p.at(1).kind == tOp && p.at(1).val == "=":
		it.Alias = t.val
		p.i += 2
		if it.Expr, err = p.parseScalar(); err != nil {
			return nil, err
		}
		return it, nil
	case isIdent(t) && p.qualifiedStarAhead():
		parts, _, err := p.parseMultiPart(4, true)
		if err != nil {
			return nil, err
		}
		if parts[len(parts)-1] == "" { // t..*
			return nil, p.errAt(p.i - 1)
		}
		it.Star = true
		it.Qualifier = objectName(t.pos(), parts)
		return it, nil
	}
	if it.Expr, err = p.parseScalar(); err != nil {
		return nil, err
	}
	if it.Alias, err = p.parseAlias(true); err != nil {
		return nil, err
	}
	return it, nil
}

// parseAlias reads [AS] alias; strings are aliases only in select lists.
func (p *parser) parseAlias(allowString bool) (string, error) {
	t := p.tok()
	if p.acceptKw("AS") {
		t = p.tok()
		if isIdent(t) || allowString && t.kind == tString {
			p.i++
			return t.val, nil
		}
		return "", p.fail()
	}
	if isIdent(t) || allowString && t.kind == tString {
		p.i++
		return t.val, nil
	}
	return "", nil
}

// parseFrom parses a FROM clause: table sources joined by JOIN or commas.
// A comma is taken as CROSS JOIN in the same left-deep chain; for queries
// SQL Server accepts this gives the same rows.
func (p *parser) parseFrom() (TableSource, error) { return p.parseJoined() }

// joinKind consumes the words before JOIN and reports the kind.
func (p *parser) joinKind() (JoinKind, bool, error) {
	var kind JoinKind
	switch {
	case p.acceptOp(","):
		return CrossJoin, true, nil
	case p.isKw("JOIN"):
		kind = InnerJoin
	case p.acceptKw("INNER"):
		kind = InnerJoin
	case p.acceptKw("LEFT"):
		kind = LeftJoin
		p.acceptKw("OUTER")
	case p.acceptKw("RIGHT"):
		kind = RightJoin
		p.acceptKw("OUTER")
	case p.acceptKw("FULL"):
		kind = FullJoin
		p.acceptKw("OUTER")
	case p.acceptKw("CROSS"):
		kind = CrossJoin
	default:
		return 0, false, nil
	}
	return kind, true, p.expectKw("JOIN")
}

func (p *parser) parseJoined() (TableSource, error) {
	l, err := p.parseTablePrimary()
	if err != nil {
		return nil, err
	}
	for {
		kind, ok, err := p.joinKind()
		if err != nil {
			return nil, err
		}
		if !ok {
			return l, nil
		}
		r, err := p.parseTablePrimary()
		if err != nil {
			return nil, err
		}
		j := &Join{Pos: l.Position(), Kind: kind, Left: l, Right: r}
		if kind != CrossJoin {
			if err := p.expectKw("ON"); err != nil {
				return nil, err
			}
			if j.On, err = p.parseCond(); err != nil {
				return nil, err
			}
		}
		if err := p.chainLink(); err != nil {
			return nil, err
		}
		l = j
	}
}

func (p *parser) parseTablePrimary() (TableSource, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.tok()
	if t.kind == tOp && t.val == "(" {
		sel, err := p.parseParenSelect()
		if err != nil {
			return nil, err
		}
		alias, err := p.parseAlias(false)
		if err != nil {
			return nil, err
		}
		if alias == "" {
			return nil, p.fail()
		}
		return &DerivedTable{Pos: t.pos(), Select: sel, Alias: alias}, nil
	}
	name, err := p.parseTableRef()
	if err != nil {
		return nil, err
	}
	if p.acceptOp("(") && !p.legacyHintsAhead(-1) {
		f := &TableFunc{Pos: t.pos(), Name: name}
		if !p.acceptOp(")") {
			if f.Args, err = p.parseScalarList(); err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		}
		if f.Alias, err = p.parseAlias(false); err != nil {
			return nil, err
		}
		return f, nil
	}
	tn := &TableName{Pos: t.pos(), Name: name}
	if p.legacyHintsAhead(-1) { // FROM t (NOLOCK)
		p.i--
		tn.Hints, err = p.parseHintList()
		return tn, err
	}
	if tn.Alias, err = p.parseAlias(false); err != nil {
		return nil, err
	}
	if p.isOp("(") && p.legacyHintsAhead(0) { // FROM t a (NOLOCK)
		tn.Hints, err = p.parseHintList()
		return tn, err
	}
	if tn.Hints, err = p.parseTableHints(); err != nil {
		return nil, err
	}
	return tn, nil
}

// isTableHint lists the hints that may be written in parentheses without
// WITH (the old form), where they must be told from function arguments.
func isTableHint(t *token) bool {
	if t.kind != tWord {
		return false
	}
	switch t.upper {
	case "NOLOCK", "READUNCOMMITTED", "UPDLOCK", "HOLDLOCK", "ROWLOCK", "TABLOCK", "TABLOCKX",
		"PAGLOCK", "XLOCK", "READPAST", "READCOMMITTED", "READCOMMITTEDLOCK", "REPEATABLEREAD",
		"SERIALIZABLE", "NOWAIT", "SNAPSHOT":
		return true
	}
	return false
}

// legacyHintsAhead reports whether the '(' at offset off from the current
// token opens a list of table hints: (NOLOCK) or (UPDLOCK, ROWLOCK).
func (p *parser) legacyHintsAhead(off int) bool {
	if o := p.at(off); o.kind != tOp || o.val != "(" {
		return false
	}
	n := p.at(off + 1)
	next := p.at(off + 2)
	return isTableHint(n) && next.kind == tOp && (next.val == ")" || next.val == ",")
}

// parseTableHints parses WITH (hint[, hint...]) after a table; hints are
// words, or INDEX(name) / INDEX = name kept as written in upper case.
func (p *parser) parseTableHints() ([]string, error) {
	if !p.isKw("WITH") || p.at(1).kind != tOp || p.at(1).val != "(" {
		return nil, nil
	}
	p.i++
	return p.parseHintList()
}

// parseHintList parses (hint[, hint...]) from its '('.
func (p *parser) parseHintList() ([]string, error) {
	p.i++ // (
	var hints []string
	for {
		t := p.tok()
		if t.kind != tWord {
			return nil, p.fail()
		}
		p.i++
		hint := t.upper
		if hint == "INDEX" {
			var err error
			if hint, err = p.parseIndexHint(); err != nil {
				return nil, err
			}
		}
		hints = append(hints, hint)
		if p.acceptOp(")") {
			return hints, nil
		}
		p.acceptOp(",")
	}
}

func (p *parser) parseIndexHint() (string, error) {
	if p.acceptOp("=") {
		name, err := p.indexRef()
		return "INDEX(" + name + ")", err
	}
	if err := p.expectOp("("); err != nil {
		return "", err
	}
	name, err := p.indexRef()
	if err != nil {
		return "", err
	}
	return "INDEX(" + name + ")", p.expectOp(")")
}

func (p *parser) indexRef() (string, error) {
	t := p.tok()
	if t.kind == tNumber && t.num == IntNumber {
		p.i++
		return t.val, nil
	}
	return p.ident()
}

// parseWith parses WITH name [(columns)] AS (select)[, ...] and the SELECT
// that uses them.
func (p *parser) parseWith() (Statement, error) {
	p.i++ // WITH
	var ctes []*CTE
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		c := &CTE{Name: name}
		if p.acceptOp("(") {
			if c.Columns, err = p.identList(); err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		}
		if err := p.expectKw("AS"); err != nil {
			return nil, err
		}
		if c.Select, err = p.parseParenSelect(); err != nil {
			return nil, err
		}
		ctes = append(ctes, c)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.isKw("INSERT") {
		// WITH ... INSERT ... SELECT: the CTEs belong to the SELECT.
		st, err := p.parseInsert()
		if err != nil {
			return nil, err
		}
		if ins := st.(*InsertStmt); ins.Select != nil && ins.Select.With == nil {
			ins.Select.With = ctes
			return st, nil
		}
		return nil, newError(156, st.Position(), "Incorrect syntax near the keyword 'INSERT'.")
	}
	if !p.isKw("SELECT") {
		return nil, p.fail()
	}
	st, err := p.parseSelectStatement()
	if err != nil {
		return nil, err
	}
	st.(*SelectStmt).With = ctes
	return st, nil
}

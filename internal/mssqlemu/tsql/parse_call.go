package tsql

// Function calls and the expressions with their own syntax: CASE, CAST, CONVERT.

// isDatePartFunc reports functions whose first argument is a date part.
func isDatePartFunc(upper string) bool {
	switch upper {
	case "DATEADD", "DATEDIFF", "DATEDIFF_BIG", "DATEPART", "DATENAME", "DATETRUNC":
		return true
	}
	return false
}

// parseCallArgs parses a call's arguments after its '('.
func (p *parser) parseCallArgs(pos Pos, name ObjectName) (Expr, error) {
	call := &FuncCall{Pos: pos, Name: name}
	upper := upperASCII(name.Object)
	if p.acceptOp(")") {
		return call, nil
	}
	switch {
	case (upper == "COUNT" || upper == "COUNT_BIG") && p.isOp("*") && name.Schema == "":
		p.i++
		call.Star = true
		return call, p.expectOp(")")
	case p.isKw("DISTINCT"):
		p.i++
		call.Distinct = true
	case p.isKw("ALL"):
		p.i++
	}
	first := 0
	if name.Schema == "" && isDatePartFunc(upper) {
		t := p.tok()
		if (t.kind == tWord || t.kind == tQuoted) && p.at(1).kind == tOp && (p.at(1).val == "," || p.at(1).val == ")") {
			p.i++
			call.Args = append(call.Args, &DatePart{Pos: t.pos(), Unit: lowerASCII(t.val)})
			first = 1
			if !p.acceptOp(",") {
				return call, p.expectOp(")")
			}
		}
	}
	if first == 0 && name.Schema == "" && upper == "IIF" {
		c, err := p.parseCond()
		if err != nil {
			return nil, err
		}
		call.Args = append(call.Args, c)
		if !p.acceptOp(",") {
			return call, p.expectOp(")")
		}
	}
	rest, err := p.parseScalarList()
	if err != nil {
		return nil, err
	}
	call.Args = append(call.Args, rest...)
	return call, p.expectOp(")")
}

func lowerASCII(s string) string {
	b := []byte(s)
	changed := false
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

func (p *parser) parseCase() (Expr, error) {
	e := &CaseExpr{Pos: p.next().pos()}
	var err error
	if !p.isKw("WHEN") {
		if e.Operand, err = p.parseScalar(); err != nil {
			return nil, err
		}
	}
	if !p.isKw("WHEN") {
		return nil, p.fail()
	}
	for p.isKw("WHEN") {
		w := &WhenClause{Pos: p.next().pos()}
		if e.Operand != nil {
			w.Cond, err = p.parseScalar()
		} else {
			w.Cond, err = p.parseCond()
		}
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("THEN"); err != nil {
			return nil, err
		}
		if w.Result, err = p.parseScalar(); err != nil {
			return nil, err
		}
		e.Whens = append(e.Whens, w)
	}
	if p.acceptKw("ELSE") {
		if e.Else, err = p.parseScalar(); err != nil {
			return nil, err
		}
	}
	return e, p.expectKw("END")
}

func (p *parser) parseCast() (Expr, error) {
	t := p.next()
	e := &CastExpr{Pos: t.pos(), Try: t.upper == "TRY_CAST"}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var err error
	if e.X, err = p.parseScalar(); err != nil {
		return nil, err
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	if e.Type, err = p.parseDataType(); err != nil {
		return nil, err
	}
	return e, p.expectOp(")")
}

func (p *parser) parseConvert() (Expr, error) {
	t := p.next()
	e := &ConvertExpr{Pos: t.pos(), Try: t.upper == "TRY_CONVERT"}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var err error
	if e.Type, err = p.parseDataType(); err != nil {
		return nil, err
	}
	if err := p.expectOp(","); err != nil {
		return nil, err
	}
	if e.X, err = p.parseScalar(); err != nil {
		return nil, err
	}
	if p.acceptOp(",") {
		if e.Style, err = p.parseScalar(); err != nil {
			return nil, err
		}
	}
	return e, p.expectOp(")")
}

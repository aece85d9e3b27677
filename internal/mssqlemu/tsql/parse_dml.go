package tsql

// Message numbers of INSERT's compile-time checks.
const (
	msgTooManyValuesRows = 10738
	msgMoreColumns       = 109
	msgFewerColumns      = 110
)

// checkValuesWidth compares a VALUES row with the INSERT's column list, as
// SQL Server does when it compiles the batch.
func checkValuesWidth(ins *InsertStmt, row []Expr) error {
	if ins.Columns == nil || len(row) == len(ins.Columns) {
		return nil
	}
	const tail = " The number of values in the VALUES clause must match the number of columns specified in the INSERT statement."
	if len(row) < len(ins.Columns) {
		return newError(msgMoreColumns, ins.Pos, "There are more columns in the INSERT statement than values specified in the VALUES clause."+tail)
	}
	return newError(msgFewerColumns, ins.Pos, "There are fewer columns in the INSERT statement than values specified in the VALUES clause."+tail)
}

// parseTarget reads the table of INSERT, UPDATE or DELETE with its hints.
func (p *parser) parseTarget() (*TableName, error) {
	pos := p.tok().pos()
	name, err := p.parseTableRef()
	if err != nil {
		return nil, err
	}
	tn := &TableName{Pos: pos, Name: name}
	if tn.Hints, err = p.parseTableHints(); err != nil {
		return nil, err
	}
	return tn, nil
}

func (p *parser) parseInsert() (Statement, error) {
	ins := &InsertStmt{Pos: p.next().pos()}
	var err error
	if p.isKw("TOP") {
		if ins.Top, err = p.parseTop(true); err != nil {
			return nil, err
		}
	}
	p.acceptKw("INTO")
	if ins.Table, err = p.parseTarget(); err != nil {
		return nil, err
	}
	if p.isOp("(") && !(p.at(1).kind == tWord && p.at(1).upper == "SELECT") {
		p.i++
		ins.Columns = []string{}
		for {
			parts, _, err := p.parseMultiPart(4, false)
			if err != nil {
				return nil, err
			}
			ins.Columns = append(ins.Columns, parts[len(parts)-1])
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	switch {
	case p.isKw("VALUES"):
		return ins, p.parseValues(ins)
	case p.isKw("SELECT"):
		ins.Select, err = p.parseSelect(selInsert)
		return ins, err
	case p.isOp("(") && p.at(1).kind == tWord && p.at(1).upper == "SELECT":
		ins.Select, err = p.parseParenSelect()
		return ins, err
	case p.isKw("DEFAULT") && p.at(1).kind == tWord && p.at(1).upper == "VALUES":
		if ins.Columns != nil {
			return nil, p.fail()
		}
		p.i += 2
		ins.DefaultValues = true
		return ins, nil
	case p.isKw("EXEC") || p.isKw("EXECUTE"):
		pos := p.next().pos()
		st, err := p.parseExecBody(pos, false)
		if err != nil {
			return nil, err
		}
		ins.Exec = st.(*ExecStmt)
		return ins, nil
	}
	return nil, p.fail()
}

func (p *parser) parseValues(ins *InsertStmt) error {
	p.i++ // VALUES
	width := 0
	for {
		if len(ins.Values) == maxValuesRows {
			return newError(msgTooManyValuesRows, p.tok().pos(),
				"The number of row value expressions in the INSERT statement exceeds the maximum allowed number of 1000 row values.")
		}
		if err := p.expectOp("("); err != nil {
			return err
		}
		row := make([]Expr, 0, width)
		for {
			if p.isKw("DEFAULT") {
				row = append(row, &DefaultExpr{Pos: p.next().pos()})
			} else {
				v, err := p.parseScalar()
				if err != nil {
					return err
				}
				row = append(row, v)
			}
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return err
		}
		if err := checkValuesWidth(ins, row); err != nil {
			return err
		}
		width = len(row)
		ins.Values = append(ins.Values, row)
		if !p.acceptOp(",") {
			return nil
		}
	}
}

// parseAssignment parses col = expr, @v = expr or a compound assignment.
func (p *parser) parseAssignment() (*Assignment, error) {
	t := p.tok()
	a := &Assignment{Pos: t.pos()}
	if t.kind == tVar {
		a.Variable = t.val
		p.i++
	} else {
		parts, _, err := p.parseMultiPart(4, false)
		if err != nil {
			return nil, err
		}
		a.Column = &ColumnRef{Pos: t.pos(), Column: parts[len(parts)-1]}
		if len(parts) > 1 && parts[len(parts)-2] == "" {
			return nil, p.errAt(p.i - 1)
		}
		if len(parts) > 1 {
			a.Column.Table = objectName(t.pos(), parts[:len(parts)-1])
		}
	}
	if !isAssignOp(p.tok()) {
		return nil, p.fail()
	}
	a.Op = p.next().val
	if a.Column != nil && a.Op == "=" && p.isKw("DEFAULT") {
		a.Value = &DefaultExpr{Pos: p.next().pos()}
		return a, nil
	}
	var err error
	if a.Value, err = p.parseScalar(); err != nil {
		return nil, err
	}
	return a, nil
}

func (p *parser) parseUpdate() (Statement, error) {
	up := &UpdateStmt{Pos: p.next().pos()}
	var err error
	if p.isKw("TOP") {
		if up.Top, err = p.parseTop(true); err != nil {
			return nil, err
		}
	}
	if up.Target, err = p.parseTarget(); err != nil {
		return nil, err
	}
	if err := p.expectKw("SET"); err != nil {
		return nil, err
	}
	for {
		a, err := p.parseAssignment()
		if err != nil {
			return nil, err
		}
		up.Set = append(up.Set, a)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		if up.From, err = p.parseFrom(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WHERE") {
		if up.Where, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	return up, nil
}

func (p *parser) parseDelete() (Statement, error) {
	del := &DeleteStmt{Pos: p.next().pos()}
	var err error
	if p.isKw("TOP") {
		if del.Top, err = p.parseTop(true); err != nil {
			return nil, err
		}
	}
	p.acceptKw("FROM")
	if del.Target, err = p.parseTarget(); err != nil {
		return nil, err
	}
	if p.acceptKw("FROM") {
		if del.From, err = p.parseFrom(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WHERE") {
		if del.Where, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	return del, nil
}

func (p *parser) parseTruncate() (Statement, error) {
	pos := p.next().pos()
	if err := p.expectKw("TABLE"); err != nil {
		return nil, err
	}
	name, err := p.parseObjectName()
	if err != nil {
		return nil, err
	}
	return &TruncateTableStmt{Pos: pos, Table: name}, nil
}

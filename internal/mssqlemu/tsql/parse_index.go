package tsql

// CREATE INDEX and DROP INDEX.

func (p *parser) parseCreateIndex(pos Pos) (Statement, error) {
	st := &CreateIndexStmt{Pos: pos, Unique: p.acceptKw("UNIQUE")}
	st.Clustered = p.parseClusterKind()
	if err := p.expectKw("INDEX"); err != nil {
		return nil, err
	}
	var err error
	if st.Name, err = p.ident(); err != nil {
		return nil, err
	}
	if err := p.expectKw("ON"); err != nil {
		return nil, err
	}
	if st.Table, err = p.parseObjectName(); err != nil {
		return nil, err
	}
	if st.Columns, err = p.parseIndexColumns(); err != nil {
		return nil, err
	}
	if p.acceptKw("INCLUDE") {
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		if st.Include, err = p.identList(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WHERE") {
		if st.Where, err = p.parseCond(); err != nil {
			return nil, err
		}
	}
	if err := p.skipIndexOptions(); err != nil {
		return nil, err
	}
	return st, p.skipStorageClause()
}

// parseIndexColumns parses (col [ASC|DESC], ...).
func (p *parser) parseIndexColumns() ([]IndexColumn, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var cols []IndexColumn
	for {
		ic := IndexColumn{Pos: p.tok().pos()}
		var err error
		if ic.Name, err = p.ident(); err != nil {
			return nil, err
		}
		if p.acceptKw("DESC") {
			ic.Desc = true
		} else {
			p.acceptKw("ASC")
		}
		cols = append(cols, ic)
		if !p.acceptOp(",") {
			break
		}
	}
	return cols, p.expectOp(")")
}

func (p *parser) parseCreateTable(pos Pos) (Statement, error) {
	name, err := p.parseObjectName()
	if err != nil {
		return nil, err
	}
	st := &CreateTableStmt{Pos: pos, Table: name}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		col, con, err := p.parseTableElement()
		if err != nil {
			return nil, err
		}
		if col != nil {
			st.Columns = append(st.Columns, col)
		} else {
			st.Constraints = append(st.Constraints, con)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if err := p.skipStorageClause(); err != nil {
		return nil, err
	}
	return st, nil
}

func (p *parser) parseDropIndex(pos Pos) (Statement, error) {
	st := &DropIndexStmt{Pos: pos, IfExists: p.acceptIfExists()}
	for {
		ref := IndexRef{Pos: p.tok().pos()}
		parts, _, err := p.parseMultiPart(4, false)
		if err != nil {
			return nil, err
		}
		if p.acceptKw("ON") {
			if len(parts) != 1 {
				return nil, p.errAt(p.i - 1)
			}
			ref.Name = parts[0]
			if ref.Table, err = p.parseObjectName(); err != nil {
				return nil, err
			}
		} else {
			if len(parts) < 2 || parts[len(parts)-2] == "" { // old form: table.index
				return nil, p.fail()
			}
			ref.Name = parts[len(parts)-1]
			ref.Table = objectName(ref.Pos, parts[:len(parts)-1])
		}
		st.Indexes = append(st.Indexes, ref)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

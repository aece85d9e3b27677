package tsql

import (
	"strconv"
	"strings"
)

func (p *parser) parseCreate() (Statement, error) {
	pos := p.next().pos()
	switch {
	case p.acceptKw("DATABASE"):
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		return &CreateDatabaseStmt{Pos: pos, Name: name}, nil
	case p.acceptKw("SCHEMA"):
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		st := &CreateSchemaStmt{Pos: pos, Name: name}
		if p.acceptKw("AUTHORIZATION") {
			if st.Authorization, err = p.ident(); err != nil {
				return nil, err
			}
		}
		return st, nil
	case p.acceptKw("LOGIN"):
		return p.parseLogin(pos, "CREATE")
	case p.acceptKw("USER"):
		return p.parseUser(pos, false)
	case p.acceptKw("TABLE"):
		return p.parseCreateTable(pos)
	case p.isKw("UNIQUE") || p.isKw("CLUSTERED") || p.isKw("NONCLUSTERED") || p.isKw("INDEX"):
		return p.parseCreateIndex(pos)
	}
	return nil, p.fail()
}

// identList parses name[, name...].
func (p *parser) identList() ([]string, error) {
	var names []string
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if !p.acceptOp(",") {
			return names, nil
		}
	}
}

// skipStorageClause accepts and ignores ON filegroup and TEXTIMAGE_ON
// filegroup, which scripted DDL carries.
func (p *parser) skipStorageClause() error {
	for p.isKw("ON") || p.isKw("TEXTIMAGE_ON") {
		p.i++
		if _, err := p.ident(); err != nil {
			return err
		}
	}
	return nil
}

// skipIndexOptions accepts and ignores WITH (PAD_INDEX = OFF, ...) after a
// constraint, as scripted DDL carries it.
func (p *parser) skipIndexOptions() error {
	if !p.isKw("WITH") || p.at(1).kind != tOp || p.at(1).val != "(" {
		return nil
	}
	p.i += 2
	for {
		if p.tok().kind != tWord { // option names include reserved FILLFACTOR
			return p.fail()
		}
		p.i++
		if err := p.expectOp("="); err != nil {
			return err
		}
		t := p.tok()
		if t.kind != tWord && t.kind != tNumber {
			return p.fail()
		}
		p.i++
		if p.acceptOp(")") {
			return nil
		}
		if err := p.expectOp(","); err != nil {
			return err
		}
	}
}

// parseTableElement parses a column definition or a table constraint.
func (p *parser) parseTableElement() (*ColumnDef, *TableConstraint, error) {
	t := p.tok()
	if p.isKw("CONSTRAINT") || p.isKw("PRIMARY") || p.isKw("UNIQUE") || p.isKw("CHECK") || p.isKw("DEFAULT") {
		c, err := p.parseTableConstraint()
		return nil, c, err
	}
	if !isIdent(t) {
		return nil, nil, p.fail()
	}
	col, err := p.parseColumnDef()
	return col, nil, err
}

func (p *parser) parseTableConstraint() (*TableConstraint, error) {
	c := &TableConstraint{Pos: p.tok().pos()}
	var err error
	if p.acceptKw("CONSTRAINT") {
		if c.Name, err = p.ident(); err != nil {
			return nil, err
		}
	}
	switch {
	case p.acceptKw("PRIMARY"):
		if err := p.expectKw("KEY"); err != nil {
			return nil, err
		}
		c.Kind = PrimaryKeyConstraint
	case p.acceptKw("UNIQUE"):
		c.Kind = UniqueConstraint
	case p.acceptKw("CHECK"):
		c.Kind = CheckConstraint
		c.Check, err = p.parseParenCond()
		return c, err
	case p.acceptKw("DEFAULT"):
		c.Kind = DefaultConstraint
		if c.Default, err = p.parseScalar(); err != nil {
			return nil, err
		}
		if err := p.expectKw("FOR"); err != nil {
			return nil, err
		}
		c.For, err = p.ident()
		return c, err
	default:
		return nil, p.fail()
	}
	c.Clustered = p.parseClusterKind()
	if c.Columns, err = p.parseIndexColumns(); err != nil {
		return nil, err
	}
	if err := p.skipIndexOptions(); err != nil {
		return nil, err
	}
	return c, p.skipStorageClause()
}

func (p *parser) parseParenCond() (Expr, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	e, err := p.parseCond()
	if err != nil {
		return nil, err
	}
	return e, p.expectOp(")")
}

func (p *parser) parseClusterKind() ClusterKind {
	switch {
	case p.acceptKw("CLUSTERED"):
		return Clustered
	case p.acceptKw("NONCLUSTERED"):
		return NonClustered
	}
	return ClusterDefault
}

// parseColumnDef parses name {type | AS expr} followed by column options.
func (p *parser) parseColumnDef() (*ColumnDef, error) {
	col := &ColumnDef{Pos: p.tok().pos()}
	var err error
	if col.Name, err = p.ident(); err != nil {
		return nil, err
	}
	if p.acceptKw("AS") {
		if col.Computed, err = p.parseScalar(); err != nil {
			return nil, err
		}
		col.Persisted = p.acceptKw("PERSISTED")
	} else if col.Type, err = p.parseDataType(); err != nil {
		return nil, err
	}
	for {
		done, err := p.parseColumnOption(col)
		if err != nil {
			return nil, err
		}
		if done {
			return col, nil
		}
	}
}

// parseColumnOption parses one column option; done is true when none follows.
func (p *parser) parseColumnOption(col *ColumnDef) (done bool, err error) {
	switch {
	case p.acceptKw("NULL"):
		col.Null = Nullable
	case p.isKw("NOT") && p.at(1).kind == tWord && p.at(1).upper == "NULL":
		p.i += 2
		col.Null = NotNull
	case p.isKw("NOT") && p.at(1).kind == tWord && p.at(1).upper == "FOR" && p.at(2).kind == tWord && p.at(2).upper == "REPLICATION":
		p.i += 3 // NOT FOR REPLICATION: accepted, no meaning here
	case p.isKw("IDENTITY"):
		if col.Identity, err = p.parseIdentity(); err != nil {
			return false, err
		}
	case p.acceptKw("COLLATE"):
		if col.Collate, err = p.ident(); err != nil {
			return false, err
		}
	case p.acceptKw("ROWGUIDCOL"):
		col.RowGUIDCol = true
	case p.isKw("CONSTRAINT"):
		p.i++
		name, err := p.ident()
		if err != nil {
			return false, err
		}
		if p.isKw("DEFAULT") {
			col.DefaultName = name
			return false, p.parseColumnDefault(col)
		}
		col.ConstraintName = name
		return false, p.parseColumnKey(col)
	case p.isKw("DEFAULT"):
		return false, p.parseColumnDefault(col)
	case p.isKw("PRIMARY") || p.isKw("UNIQUE") || p.isKw("CHECK"):
		return false, p.parseColumnKey(col)
	default:
		return true, nil
	}
	return false, nil
}

func (p *parser) parseColumnDefault(col *ColumnDef) error {
	p.i++ // DEFAULT
	var err error
	if col.Default, err = p.parseScalar(); err != nil {
		return err
	}
	if p.isKw("WITH") && p.at(1).kind == tWord && p.at(1).upper == "VALUES" {
		p.i += 2
		col.WithValues = true
	}
	return nil
}

// parseColumnKey parses PRIMARY KEY, UNIQUE or CHECK on a column.
func (p *parser) parseColumnKey(col *ColumnDef) error {
	var err error
	switch {
	case p.acceptKw("PRIMARY"):
		if err := p.expectKw("KEY"); err != nil {
			return err
		}
		col.PrimaryKey = true
	case p.acceptKw("UNIQUE"):
		col.Unique = true
	case p.acceptKw("CHECK"):
		col.Check, err = p.parseParenCond()
		return err
	default:
		return p.fail()
	}
	col.Clustered = p.parseClusterKind()
	if err := p.skipIndexOptions(); err != nil {
		return err
	}
	return p.skipStorageClause()
}

func (p *parser) parseIdentity() (*IdentitySpec, error) {
	id := &IdentitySpec{Pos: p.next().pos(), Seed: 1, Increment: 1}
	if !p.acceptOp("(") {
		return id, nil
	}
	var err error
	if id.Seed, err = p.signedInt(); err != nil {
		return nil, err
	}
	if err := p.expectOp(","); err != nil {
		return nil, err
	}
	if id.Increment, err = p.signedInt(); err != nil {
		return nil, err
	}
	return id, p.expectOp(")")
}

// signedInt reads an optionally signed integer literal.
func (p *parser) signedInt() (int64, error) {
	neg := false
	if p.isOp("-") || p.isOp("+") {
		neg = p.next().val == "-"
	}
	t := p.tok()
	if t.kind != tNumber || t.num != IntNumber {
		return 0, p.fail()
	}
	n, err := strconv.ParseInt(t.val, 10, 64)
	if err != nil {
		return 0, p.fail()
	}
	p.i++
	if neg {
		n = -n
	}
	return n, nil
}

func (p *parser) parseAlter() (Statement, error) {
	pos := p.next().pos()
	switch {
	case p.acceptKw("TABLE"):
		return p.parseAlterTable(pos)
	case p.acceptKw("DATABASE"):
		return p.parseAlterDatabase(pos)
	case p.acceptKw("LOGIN"):
		return p.parseLogin(pos, "ALTER")
	}
	return nil, p.fail()
}

func (p *parser) parseAlterTable(pos Pos) (Statement, error) {
	name, err := p.parseObjectName()
	if err != nil {
		return nil, err
	}
	switch {
	case p.acceptKw("ADD"):
		st := &AlterTableAddStmt{Pos: pos, Table: name}
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
				return st, nil
			}
		}
	case p.acceptKw("DROP"):
		if p.acceptKw("CONSTRAINT") {
			st := &AlterTableDropConstraintStmt{Pos: pos, Table: name, IfExists: p.acceptIfExists()}
			st.Constraints, err = p.identList()
			return st, err
		}
		if err := p.expectKw("COLUMN"); err != nil {
			return nil, err
		}
		st := &AlterTableDropColumnStmt{Pos: pos, Table: name, IfExists: p.acceptIfExists()}
		st.Columns, err = p.identList()
		return st, err
	case p.acceptKw("ALTER"):
		if err := p.expectKw("COLUMN"); err != nil {
			return nil, err
		}
		col := &ColumnDef{Pos: p.tok().pos()}
		if col.Name, err = p.ident(); err != nil {
			return nil, err
		}
		if col.Type, err = p.parseDataType(); err != nil {
			return nil, err
		}
		if p.acceptKw("COLLATE") {
			if col.Collate, err = p.ident(); err != nil {
				return nil, err
			}
		}
		switch {
		case p.acceptKw("NULL"):
			col.Null = Nullable
		case p.isKw("NOT"):
			p.i++
			if err := p.expectKw("NULL"); err != nil {
				return nil, err
			}
			col.Null = NotNull
		}
		return &AlterTableAlterColumnStmt{Pos: pos, Table: name, Column: col}, nil
	}
	return nil, p.fail()
}

func (p *parser) parseAlterDatabase(pos Pos) (Statement, error) {
	st := &AlterDatabaseSetStmt{Pos: pos}
	var err error
	if !p.acceptKw("CURRENT") {
		if st.Database, err = p.ident(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("SET"); err != nil {
		return nil, err
	}
	t := p.tok()
	if t.kind != tWord {
		return nil, p.fail()
	}
	p.i++
	st.Option = t.upper
	p.acceptOp("=")
	v := p.tok()
	if v.kind != tWord && v.kind != tNumber {
		return nil, p.fail()
	}
	p.i++
	st.Value = strings.ToUpper(v.val)
	if !p.acceptKw("WITH") {
		return st, nil
	}
	switch {
	case p.acceptKw("NO_WAIT"):
		st.Termination = "NO_WAIT"
	case p.acceptKw("ROLLBACK"):
		switch {
		case p.acceptKw("IMMEDIATE"):
			st.Termination = "ROLLBACK IMMEDIATE"
		case p.acceptKw("AFTER"):
			n, err := p.signedInt()
			if err != nil {
				return nil, err
			}
			p.acceptKw("SECONDS")
			st.Termination = "ROLLBACK AFTER " + strconv.FormatInt(n, 10)
		default:
			return nil, p.fail()
		}
	default:
		return nil, p.fail()
	}
	return st, nil
}

// acceptIfExists consumes IF EXISTS when present.
func (p *parser) acceptIfExists() bool {
	if p.isKw("IF") && p.at(1).kind == tWord && p.at(1).upper == "EXISTS" {
		p.i += 2
		return true
	}
	return false
}

func (p *parser) parseDrop() (Statement, error) {
	pos := p.next().pos()
	if p.acceptKw("INDEX") {
		return p.parseDropIndex(pos)
	}
	if p.isProcKw(0) {
		return p.parseDropProc(pos)
	}
	if p.acceptKw("LOGIN") {
		return p.parseLogin(pos, "DROP")
	}
	if p.acceptKw("USER") {
		return p.parseUser(pos, true)
	}
	isTable := p.acceptKw("TABLE")
	if !isTable && !p.acceptKw("DATABASE") {
		return nil, p.fail()
	}
	ifExists := p.acceptIfExists()
	if isTable {
		st := &DropTableStmt{Pos: pos, IfExists: ifExists}
		for {
			name, err := p.parseObjectName()
			if err != nil {
				return nil, err
			}
			st.Tables = append(st.Tables, name)
			if !p.acceptOp(",") {
				return st, nil
			}
		}
	}
	st := &DropDatabaseStmt{Pos: pos, IfExists: ifExists}
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		st.Names = append(st.Names, name)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

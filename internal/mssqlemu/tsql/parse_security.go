package tsql

// Logins and database users: CREATE/ALTER/DROP LOGIN and CREATE/DROP USER.
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/alter-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-user-transact-sql

// LoginStmt is CREATE LOGIN name WITH PASSWORD = 'p' [, option = value]...,
// ALTER LOGIN name WITH PASSWORD = 'p' [OLD_PASSWORD = 'o'] [, option = value]...
// or DROP LOGIN name. Options other than the password (CHECK_POLICY,
// DEFAULT_DATABASE ...) are kept as written in Options.
type LoginStmt struct {
	Pos
	Action      string // CREATE, ALTER or DROP
	Name        string
	Password    *string
	OldPassword *string
	Options     []string
}

// UserStmt is CREATE USER name [{FOR | FROM} LOGIN login | WITHOUT LOGIN]
// [WITH DEFAULT_SCHEMA = schema] or DROP USER [IF EXISTS] name. Login is
// empty when not given (the login of the same name) and for WITHOUT LOGIN,
// which sets NoLogin.
type UserStmt struct {
	Pos
	Drop          bool
	IfExists      bool
	Name          string
	Login         string
	NoLogin       bool
	DefaultSchema string
}

func (*LoginStmt) stmtNode() {}
func (*UserStmt) stmtNode()  {}

// parseLogin parses what follows CREATE/ALTER/DROP LOGIN.
func (p *parser) parseLogin(pos Pos, action string) (Statement, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	st := &LoginStmt{Pos: pos, Action: action, Name: name}
	if action == "DROP" {
		return st, nil
	}
	if err := p.expectKw("WITH"); err != nil {
		return nil, err
	}
	for {
		opt := p.tok()
		if opt.kind != tWord {
			return nil, p.fail()
		}
		p.i++
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		switch opt.upper {
		case "PASSWORD":
			s, err := p.stringValue()
			if err != nil {
				return nil, err
			}
			st.Password = &s
			for p.isKw("MUST_CHANGE") || p.isKw("HASHED") || p.isKw("OLD_PASSWORD") {
				if p.acceptKw("OLD_PASSWORD") {
					if err := p.expectOp("="); err != nil {
						return nil, err
					}
					o, err := p.stringValue()
					if err != nil {
						return nil, err
					}
					st.OldPassword = &o
					continue
				}
				st.Options = append(st.Options, p.next().upper)
			}
		default:
			v := p.tok()
			if v.kind != tWord && v.kind != tNumber && v.kind != tQuoted && v.kind != tString && v.kind != tBinary {
				return nil, p.fail()
			}
			p.i++
			val := v.val
			switch v.kind {
			case tString:
				val = quoteString(v.val)
			case tQuoted:
				val = quoteIdent(v.val)
			}
			st.Options = append(st.Options, opt.upper+" = "+val)
		}
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

// stringValue reads a string literal.
func (p *parser) stringValue() (string, error) {
	t := p.tok()
	if t.kind != tString && t.kind != tNString {
		return "", p.fail()
	}
	p.i++
	return t.val, nil
}

// parseUser parses what follows CREATE USER or DROP USER.
func (p *parser) parseUser(pos Pos, drop bool) (Statement, error) {
	st := &UserStmt{Pos: pos, Drop: drop}
	if drop {
		st.IfExists = p.acceptIfExists()
	}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	st.Name = name
	if drop {
		return st, nil
	}
	switch {
	case p.isKw("FOR") || p.isKw("FROM"):
		p.i++
		if err := p.expectKw("LOGIN"); err != nil {
			return nil, err
		}
		if st.Login, err = p.ident(); err != nil {
			return nil, err
		}
	case p.acceptKw("WITHOUT"):
		if err := p.expectKw("LOGIN"); err != nil {
			return nil, err
		}
		st.NoLogin = true
	}
	if p.acceptKw("WITH") {
		if err := p.expectKw("DEFAULT_SCHEMA"); err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		if st.DefaultSchema, err = p.ident(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

package tsql

import "strings"

// Cursors, as DECLARE CURSOR documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/language-elements/declare-cursor-transact-sql):
// the ISO form DECLARE c [INSENSITIVE] [SCROLL] CURSOR FOR select and the
// Transact-SQL form DECLARE c CURSOR [LOCAL | GLOBAL] [FORWARD_ONLY |
// SCROLL] [STATIC | KEYSET | DYNAMIC | FAST_FORWARD] [READ_ONLY |
// SCROLL_LOCKS | OPTIMISTIC] [TYPE_WARNING] FOR select [FOR {READ ONLY |
// UPDATE [OF column, ...]}]; then OPEN, FETCH, CLOSE and DEALLOCATE.

// DeclareCursorStmt is DECLARE name CURSOR ... FOR select.
type DeclareCursorStmt struct {
	Pos
	Name    string
	Local   bool     // LOCAL; GLOBAL (the default) otherwise
	Scroll  bool     // SCROLL: FETCH may move in any direction
	ISO     []string // INSENSITIVE, SCROLL before CURSOR (the ISO form)
	Options []string // the options after CURSOR and FOR READ ONLY / FOR UPDATE, upper case
	Query   *SelectStmt
}

// CursorStmt is OPEN, CLOSE or DEALLOCATE [GLOBAL] name.
type CursorStmt struct {
	Pos
	Op     string // "OPEN", "CLOSE" or "DEALLOCATE"
	Name   string
	Global bool
}

// FetchStmt is FETCH [direction FROM] [GLOBAL] name [INTO @v, ...].
type FetchStmt struct {
	Pos
	Direction string // NEXT (the default), PRIOR, FIRST, LAST, ABSOLUTE or RELATIVE
	Offset    Expr   // for ABSOLUTE and RELATIVE
	Name      string
	Global    bool
	Into      []*VarRef
}

func (*DeclareCursorStmt) stmtNode() {}
func (*CursorStmt) stmtNode()        {}
func (*FetchStmt) stmtNode()         {}

// cursorAhead reports whether DECLARE (at p.i) declares a cursor: a name,
// not a variable, follows it.
func (p *parser) cursorAhead() bool {
	t := p.at(1)
	return t.kind == tWord || t.kind == tQuoted
}

// parseDeclareCursor reads DECLARE name ... CURSOR ... FOR select.
func (p *parser) parseDeclareCursor() (Statement, error) {
	st := &DeclareCursorStmt{Pos: p.next().pos()}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	st.Name = name
	for p.isKw("INSENSITIVE") || p.isKw("SCROLL") {
		st.ISO = append(st.ISO, p.tok().upper)
		st.Scroll = st.Scroll || p.tok().upper == "SCROLL"
		p.i++
	}
	if err := p.expectKw("CURSOR"); err != nil {
		return nil, err
	}
	iso := len(st.ISO) > 0
	for !iso {
		t := p.tok()
		if t.kind != tWord {
			return nil, p.fail()
		}
		switch t.upper {
		case "LOCAL", "GLOBAL", "FORWARD_ONLY", "SCROLL", "STATIC", "KEYSET", "DYNAMIC", "FAST_FORWARD",
			"READ_ONLY", "SCROLL_LOCKS", "OPTIMISTIC", "TYPE_WARNING":
			st.Options = append(st.Options, t.upper)
			st.Local = st.Local || t.upper == "LOCAL"
			st.Scroll = st.Scroll || t.upper == "SCROLL"
			p.i++
			continue
		}
		break
	}
	if err := p.expectKw("FOR"); err != nil {
		return nil, err
	}
	sel, err := p.parseSelect(selStatement)
	if err != nil {
		return nil, err
	}
	st.Query = sel
	if p.isKw("FOR") && (p.at(1).upper == "READ" || p.at(1).upper == "UPDATE") {
		p.i++
		if p.acceptKw("READ") {
			if err := p.expectKw("ONLY"); err != nil {
				return nil, err
			}
			st.Options = append(st.Options, "FOR READ ONLY")
		} else {
			p.i++
			opt := "FOR UPDATE"
			if p.acceptKw("OF") {
				var cols []string
				for {
					c, err := p.ident()
					if err != nil {
						return nil, err
					}
					cols = append(cols, quoteIdent(c))
					if !p.acceptOp(",") {
						break
					}
				}
				opt += " OF " + strings.Join(cols, ", ")
			}
			st.Options = append(st.Options, opt)
		}
	}
	return st, nil
}

// parseCursorStmt reads OPEN, CLOSE or DEALLOCATE [GLOBAL] name.
func (p *parser) parseCursorStmt() (Statement, error) {
	t := p.next()
	st := &CursorStmt{Pos: t.pos(), Op: t.upper}
	if p.isKw("GLOBAL") && (isIdent(p.at(1)) || p.at(1).kind == tWord) {
		p.i++
		st.Global = true
	}
	name, err := p.cursorName()
	if err != nil {
		return nil, err
	}
	st.Name = name
	return st, nil
}

// cursorName reads a cursor's name; cursor variables are not supported.
func (p *parser) cursorName() (string, error) {
	t := p.tok()
	if t.kind == tWord || t.kind == tQuoted {
		p.i++
		return t.val, nil
	}
	return "", p.fail()
}

// parseFetch reads FETCH [NEXT | PRIOR | FIRST | LAST | ABSOLUTE n |
// RELATIVE n] [FROM] [GLOBAL] name [INTO @v, ...].
func (p *parser) parseFetch() (Statement, error) {
	st := &FetchStmt{Pos: p.next().pos(), Direction: "NEXT"}
	switch t := p.tok(); {
	case t.kind == tWord && (t.upper == "NEXT" || t.upper == "PRIOR" || t.upper == "FIRST" || t.upper == "LAST"):
		st.Direction = t.upper
		p.i++
		if err := p.expectKw("FROM"); err != nil {
			return nil, err
		}
	case t.kind == tWord && (t.upper == "ABSOLUTE" || t.upper == "RELATIVE"):
		st.Direction = t.upper
		p.i++
		v, err := p.parseScalar()
		if err != nil {
			return nil, err
		}
		st.Offset = v
		if err := p.expectKw("FROM"); err != nil {
			return nil, err
		}
	default:
		p.acceptKw("FROM")
	}
	if p.isKw("GLOBAL") && (p.at(1).kind == tWord || p.at(1).kind == tQuoted) {
		p.i++
		st.Global = true
	}
	name, err := p.cursorName()
	if err != nil {
		return nil, err
	}
	st.Name = name
	if p.acceptKw("INTO") {
		for {
			t := p.tok()
			if t.kind != tVar {
				return nil, p.fail()
			}
			p.i++
			st.Into = append(st.Into, &VarRef{Pos: t.pos(), Name: t.val})
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return st, nil
}

// formatCursor prints the cursor statements.
func (f *formatter) formatCursor(s Statement) bool {
	switch s := s.(type) {
	case *DeclareCursorStmt:
		f.w("DECLARE ", quoteIdent(s.Name), " ")
		var after []string
		for _, o := range s.ISO {
			f.w(o, " ")
		}
		f.w("CURSOR ")
		for _, o := range s.Options {
			if strings.HasPrefix(o, "FOR ") {
				after = append(after, o)
				continue
			}
			f.w(o, " ")
		}
		f.w("FOR ")
		f.stmt(s.Query)
		for _, o := range after {
			f.w(" ", o)
		}
	case *CursorStmt:
		f.w(s.Op, " ")
		if s.Global {
			f.w("GLOBAL ")
		}
		f.w(quoteIdent(s.Name))
	case *FetchStmt:
		f.w("FETCH ", s.Direction, " ")
		if s.Offset != nil {
			f.expr(s.Offset)
			f.w(" ")
		}
		f.w("FROM ")
		if s.Global {
			f.w("GLOBAL ")
		}
		f.w(quoteIdent(s.Name))
		for i, v := range s.Into {
			if i == 0 {
				f.w(" INTO ")
			} else {
				f.w(", ")
			}
			f.w(v.Name)
		}
	default:
		return false
	}
	return true
}

// walkCursor visits the children of the cursor statements.
func (w *walker) walkCursor(n Node) bool {
	switch n := n.(type) {
	case *DeclareCursorStmt:
		w.node(n.Query)
	case *CursorStmt:
	case *FetchStmt:
		w.node(n.Offset)
		for _, v := range n.Into {
			w.node(v)
		}
	default:
		return false
	}
	return true
}

package tsql

import "strings"

// MsgProcNotFirst is Msg 111: CREATE/ALTER PROCEDURE must start its batch.
const MsgProcNotFirst = 111

// CreateProcStmt is CREATE [OR ALTER] | ALTER PROC[EDURE] name
// [params] AS body; the body is the rest of the batch.
type CreateProcStmt struct {
	Pos
	Name    ObjectName
	Alter   bool // ALTER PROCEDURE
	OrAlter bool // CREATE OR ALTER PROCEDURE
	Params  []*ProcParam
	Body    []Statement
}

// ProcParam is @name [AS] type [= default] [OUT|OUTPUT] [READONLY].
type ProcParam struct {
	Pos
	Name     string
	Type     *DataType
	Default  Expr // nil: the caller must supply it
	Output   bool
	ReadOnly bool
}

// DropProcStmt is DROP PROC[EDURE] [IF EXISTS] name[, ...].
type DropProcStmt struct {
	Pos
	IfExists bool
	Procs    []ObjectName
}

func (*CreateProcStmt) stmtNode() {}
func (*DropProcStmt) stmtNode()   {}

// isProcKw reports whether the token n ahead is PROC or PROCEDURE.
func (p *parser) isProcKw(n int) bool {
	t := p.at(n)
	return t.kind == tWord && (t.upper == "PROC" || t.upper == "PROCEDURE")
}

// procAhead reports whether CREATE|ALTER at the current token starts a
// procedure definition.
func (p *parser) procAhead() bool {
	if p.isProcKw(1) {
		return true
	}
	return p.at(1).kind == tWord && p.at(1).upper == "OR" && p.at(2).kind == tWord && p.at(2).upper == "ALTER" && p.isProcKw(3)
}

// parseCreateProc parses a procedure definition; it must start the batch
// and its body runs to the end of the batch.
func (p *parser) parseCreateProc(batchStart bool) (Statement, error) {
	t := p.next()
	st := &CreateProcStmt{Pos: t.pos(), Alter: t.upper == "ALTER"}
	if !batchStart {
		return nil, newError(MsgProcNotFirst, t.pos(), "'CREATE/ALTER PROCEDURE' must be the first statement in a query batch.")
	}
	if p.acceptKw("OR") {
		if err := p.expectKw("ALTER"); err != nil {
			return nil, err
		}
		st.OrAlter = true
	}
	p.i++ // PROC or PROCEDURE
	var err error
	if st.Name, err = p.parseObjectName(); err != nil {
		return nil, err
	}
	paren := p.acceptOp("(")
	for p.tok().kind == tVar {
		v := p.next()
		pp := &ProcParam{Pos: v.pos(), Name: v.val}
		p.acceptKw("AS")
		if pp.Type, err = p.parseDataType(); err != nil {
			return nil, err
		}
		if p.acceptOp("=") {
			if pp.Default, err = p.parseScalar(); err != nil {
				return nil, err
			}
		}
		for {
			switch {
			case p.acceptKw("OUT"), p.acceptKw("OUTPUT"):
				pp.Output = true
				continue
			case p.acceptKw("READONLY"):
				pp.ReadOnly = true
				continue
			}
			break
		}
		st.Params = append(st.Params, pp)
		if !p.acceptOp(",") {
			break
		}
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("WITH") {
		// Procedure options (RECOMPILE, ENCRYPTION, EXECUTE AS ...) do not
		// change what the emulator does.
		for !p.isKw("AS") && p.tok().kind != tEOF {
			p.i++
		}
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	for {
		if err := p.skipTerminators(); err != nil {
			return nil, err
		}
		if p.tok().kind == tEOF {
			return st, nil
		}
		s, err := p.parseStatement(false)
		if err != nil {
			return nil, err
		}
		st.Body = append(st.Body, s)
	}
}

// parseDropProc parses DROP PROC[EDURE] [IF EXISTS] name[, ...].
func (p *parser) parseDropProc(pos Pos) (Statement, error) {
	p.i++ // PROC or PROCEDURE
	st := &DropProcStmt{Pos: pos, IfExists: p.acceptIfExists()}
	for {
		name, err := p.parseObjectName()
		if err != nil {
			return nil, err
		}
		st.Procs = append(st.Procs, name)
		if !p.acceptOp(",") {
			return st, nil
		}
	}
}

// formatProc renders a procedure definition; the body follows AS with
// its statements separated by ';' so that it parses back the same.
func (f *formatter) formatProc(s *CreateProcStmt) {
	switch {
	case s.Alter:
		f.w("ALTER PROCEDURE ")
	case s.OrAlter:
		f.w("CREATE OR ALTER PROCEDURE ")
	default:
		f.w("CREATE PROCEDURE ")
	}
	f.name(s.Name)
	for k, pp := range s.Params {
		if k > 0 {
			f.w(",")
		}
		f.w(" ", pp.Name, " ")
		f.dataType(pp.Type)
		if pp.Default != nil {
			f.w(" = ")
			f.expr(pp.Default)
		}
		if pp.Output {
			f.w(" OUTPUT")
		}
		if pp.ReadOnly {
			f.w(" READONLY")
		}
	}
	f.w(" AS ")
	for k, b := range s.Body {
		if k > 0 {
			f.w("; ")
		}
		f.stmt(b)
	}
}

func (f *formatter) formatDropProc(s *DropProcStmt) {
	f.w("DROP PROCEDURE ")
	if s.IfExists {
		f.w("IF EXISTS ")
	}
	for k, n := range s.Procs {
		if k > 0 {
			f.w(", ")
		}
		f.name(n)
	}
}

// procParamNames lists a procedure's parameter names, declared in its body.
func procParamNames(s *CreateProcStmt) []string {
	names := make([]string, len(s.Params))
	for i, pp := range s.Params {
		names[i] = strings.ToLower(pp.Name)
	}
	return names
}

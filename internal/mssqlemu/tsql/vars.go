package tsql

import "strings"

// Message numbers of CheckVariables.
const (
	MsgMustDeclare     = 137 // Must declare the scalar variable "%s".
	MsgAlreadyDeclared = 134 // The variable name '%s' has already been declared. ...
)

// CheckVariables does what SQL Server does when it compiles a batch,
// before running any of it: every @variable must be declared earlier in
// the batch text (DECLARE is scoped to the batch, not to BEGIN...END) or be
// one of params (sp_executesql parameters, with their '@'), and no variable
// may be declared twice. Names compare case-insensitively. It returns
// Msg 137 "Must declare the scalar variable "@x"." (Level 15; State 1 for
// an assignment target, 2 for a read) or Msg 134 (Level 15, State 1).
func CheckVariables(stmts []Statement, params ...string) error {
	declared := make(map[string]bool, len(params))
	for _, p := range params {
		declared[strings.ToLower(p)] = true
	}
	var err *Error
	use := func(name string, pos Pos, state uint8) {
		if err == nil && name != "" && !declared[strings.ToLower(name)] {
			err = newError(MsgMustDeclare, pos, "Must declare the scalar variable \""+name+"\".")
			err.State = state
		}
	}
	visit := func(n Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *VarDecl:
			key := strings.ToLower(n.Name)
			if declared[key] {
				err = newError(MsgAlreadyDeclared, n.Pos,
					"The variable name '"+n.Name+"' has already been declared. Variable names must be unique within a query batch or stored procedure.")
				return false
			}
			declared[key] = true
		case *VarRef:
			use(n.Name, n.Pos, 2)
		case *Assignment:
			use(n.Variable, n.Pos, 1)
		case *SelectItem:
			use(n.Variable, n.Pos, 1)
		case *ExecStmt:
			use(n.ReturnVar, n.Pos, 1)
			use(n.ProcVar, n.Pos, 2)
		case *BeginTranStmt:
			useTranVar(use, n.Name, n.Pos)
		case *CommitStmt:
			useTranVar(use, n.Name, n.Pos)
		case *RollbackStmt:
			useTranVar(use, n.Name, n.Pos)
		case *SaveTranStmt:
			useTranVar(use, n.Name, n.Pos)
		}
		return err == nil
	}
	for _, s := range stmts {
		if cp, ok := s.(*CreateProcStmt); ok {
			// A procedure is its own scope: its parameters are declared.
			if err := CheckVariables(cp.Body, procParamNames(cp)...); err != nil {
				return err
			}
			continue
		}
		Inspect(s, visit)
		if err != nil {
			return err
		}
	}
	return nil
}

func useTranVar(use func(string, Pos, uint8), name string, pos Pos) {
	if strings.HasPrefix(name, "@") {
		use(name, pos, 2)
	}
}

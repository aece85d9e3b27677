package tsql

import "fmt"

// ParseObjectName parses a multi-part object name given as text, as
// OBJECT_ID('...'), sp_cdc_enable_table's @source_name or an RPC procedure
// name carry it: "t", "dbo.t", "[db].[dbo].[my table]", "db..t",
// "srv.db.dbo.t". Parts may be reserved words ("dbo.table") and may be
// bracketed or double-quoted. Blanks around parts are allowed.
func ParseObjectName(s string) (ObjectName, error) {
	toks, err := lex(s)
	if err != nil {
		return ObjectName{}, fmt.Errorf("parse object name %q: %w", s, err)
	}
	var parts []string
	i := 0
	for {
		t := &toks[i]
		if t.kind != tWord && t.kind != tQuoted {
			return ObjectName{}, fmt.Errorf("parse object name %q: expected a name part at column %d", s, t.at.col)
		}
		parts = append(parts, t.val)
		i++
		if toks[i].kind == tEOF {
			break
		}
		if toks[i].kind != tOp || toks[i].val != "." {
			return ObjectName{}, fmt.Errorf("parse object name %q: unexpected %q at column %d", s, toks[i].near(), toks[i].at.col)
		}
		i++
		for toks[i].kind == tOp && toks[i].val == "." {
			parts = append(parts, "")
			i++
		}
	}
	if len(parts) > 4 {
		return ObjectName{}, fmt.Errorf("parse object name %q: more than four parts", s)
	}
	return objectName(Pos{Line: 1, Col: 1}, parts), nil
}

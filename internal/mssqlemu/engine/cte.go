package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Common table expressions, as WITH documents them
// (https://learn.microsoft.com/en-us/sql/t-sql/queries/with-common-table-expression-transact-sql):
// a CTE is named in the statement that follows it, shadows a table of
// that name, and may be recursive: anchor members first, then recursive
// members joined by UNION ALL, run until a step returns no row or
// MAXRECURSION (default 100, OPTION (MAXRECURSION n), 0 for none) is
// exhausted (Msg 530).

// maxRecursion is the default MAXRECURSION of a recursive CTE.
const maxRecursion = 100

// cteBinding is a CTE in scope: its definition and, once read, its rows.
type cteBinding struct {
	def *tsql.CTE
	rel *relation
}

// withCTEs brings sel's CTEs into scope for the length of the query and
// returns the function that restores the previous scope.
func (ev *evaluator) withCTEs(sel *tsql.SelectStmt) func() {
	prev, prevMax := ev.ctes, ev.maxRecursion
	for _, o := range sel.Options {
		if f := strings.Fields(o); len(f) == 2 && f[0] == "MAXRECURSION" {
			if n, err := strconv.Atoi(f[1]); err == nil && n >= 0 && n <= 32767 {
				ev.maxRecursion = n + 1 // 0 (no limit) is stored as 1
			}
		}
	}
	next := make(map[string]*cteBinding, len(prev)+len(sel.With))
	for k, v := range prev {
		next[k] = v
	}
	for _, c := range sel.With {
		next[strings.ToLower(c.Name)] = &cteBinding{def: c}
	}
	ev.ctes = next
	return func() { ev.ctes, ev.maxRecursion = prev, prevMax }
}

// cteRelation resolves a one-part name that a CTE in scope defines.
func (ev *evaluator) cteRelation(o tsql.ObjectName) (*relation, bool, error) {
	if o.Database != "" || o.Schema != "" || ev.ctes == nil {
		return nil, false, nil
	}
	b := ev.ctes[strings.ToLower(o.Object)]
	if b == nil {
		return nil, false, nil
	}
	if b.rel == nil {
		rel, err := ev.runCTE(b)
		if err != nil {
			return nil, true, err
		}
		b.rel = rel
	}
	return b.rel, true, nil
}

// runCTE reads a CTE's rows, iterating its recursive members.
func (ev *evaluator) runCTE(b *cteBinding) (*relation, error) {
	def := b.def
	anchor := *def.Select
	anchor.Unions = nil
	var recursive []*tsql.UnionArm
	for _, u := range def.Select.Unions {
		if refersTo(u.Select, def.Name) {
			recursive = append(recursive, u)
		} else if len(recursive) == 0 {
			anchor.Unions = append(anchor.Unions, u)
		} else {
			return nil, msg(252, 16, 1, fmt.Sprintf("Recursive common table expression '%s' does not contain a top-level UNION ALL operator.", def.Name))
		}
	}
	if refersTo(&anchor, def.Name) {
		return nil, msg(246, 16, 1, fmt.Sprintf("No anchor member was specified for recursive query \"%s\".", def.Name))
	}
	if len(recursive) == 0 {
		anchor = *def.Select // ORDER BY/OFFSET stay with the whole query
	}
	rel, err := ev.query(&anchor, nil)
	if err != nil {
		return nil, err
	}
	if rel, err = cteColumns(def, rel); err != nil {
		return nil, err
	}
	limit := maxRecursion
	if ev.maxRecursion > 0 {
		limit = ev.maxRecursion - 1 // MAXRECURSION n, 0 meaning none
	}
	work := rel
	for level := 0; len(recursive) > 0 && len(work.rows) > 0; level++ {
		if level == limit && limit > 0 {
			return nil, msg(530, 16, 1, fmt.Sprintf("The statement terminated. The maximum recursion %d has been exhausted before statement completion.", limit))
		}
		b.rel = work // the recursive members read the previous step
		step := &relation{cols: rel.cols}
		for _, u := range recursive {
			if !u.All {
				return nil, msg(252, 16, 1, fmt.Sprintf("Recursive common table expression '%s' does not contain a top-level UNION ALL operator.", def.Name))
			}
			r, err := ev.query(u.Select, nil)
			if err != nil {
				b.rel = nil
				return nil, err
			}
			if len(r.cols) != len(rel.cols) {
				b.rel = nil
				return nil, msg(205, 16, 1, "All queries combined using a UNION, INTERSECT or EXCEPT operator must have an equal number of expressions in their target lists.")
			}
			step.rows = append(step.rows, r.rows...)
		}
		rel = &relation{cols: rel.cols, rows: append(rel.rows, step.rows...)}
		work = step
	}
	return rel, nil
}

// cteColumns names a CTE's columns: its column list, else the query's.
func cteColumns(def *tsql.CTE, rel *relation) (*relation, error) {
	out := &relation{cols: append([]relCol(nil), rel.cols...), rows: rel.rows}
	if def.Columns != nil {
		if len(def.Columns) < len(out.cols) {
			return nil, msg(8158, 16, 1, fmt.Sprintf("'%s' has more columns than were specified in the column list.", def.Name))
		}
		if len(def.Columns) > len(out.cols) {
			return nil, msg(8159, 16, 1, fmt.Sprintf("'%s' has fewer columns than were specified in the column list.", def.Name))
		}
		for i, n := range def.Columns {
			out.cols[i].name = n
		}
	}
	for i, c := range out.cols {
		if c.name == "" {
			return nil, msg(8155, 16, 2, fmt.Sprintf("No column name was specified for column %d of '%s'.", i+1, def.Name))
		}
		out.cols[i].quals = nil
	}
	return out, nil
}

// refersTo reports whether sel reads a table with the one-part name.
func refersTo(sel *tsql.SelectStmt, name string) bool {
	found := false
	tsql.Inspect(sel, func(n tsql.Node) bool {
		if tn, ok := n.(*tsql.TableName); ok && tn.Name.Schema == "" && tn.Name.Database == "" && strings.EqualFold(tn.Name.Object, name) {
			found = true
		}
		return !found
	})
	return found
}

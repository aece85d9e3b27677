package engine

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// checkConstraint is a CHECK constraint of a table.
type checkConstraint struct {
	id     int32
	name   string
	column string // for column-level constraints; empty otherwise
	expr   tsql.Expr
}

// addCheck records a CHECK constraint (column-level when column is set).
func addCheck(d *Database, t *Table, name, column string, e tsql.Expr) error {
	c := checkConstraint{id: d.newObjectID(), name: name, column: column, expr: e}
	if c.name == "" {
		c.name = constraintName("CK", t.Name, column, c.id)
	} else if objectExists(d, c.name) {
		return msg(2714, 16, 5, fmt.Sprintf("There is already an object named '%s' in the database.", c.name))
	}
	t.checks = append(t.checks, c)
	return nil
}

// checkRow fails with Msg 547 when a CHECK constraint is false for row
// (unknown passes, as in SQL Server).
func (ev *evaluator) checkRow(d *Database, t *Table, row []any, verb string) error {
	if len(t.checks) == 0 {
		return nil
	}
	rc := &rowCtx{rel: &relation{cols: tableCols(t)}, row: row}
	for _, c := range t.checks {
		v, err := ev.truth(c.expr, rc)
		if err != nil {
			return err
		}
		if v == triFalse {
			col := ""
			if c.column != "" {
				col = fmt.Sprintf(", column '%s'", c.column)
			}
			return msg(547, 16, 0, fmt.Sprintf("The %s statement conflicted with the CHECK constraint \"%s\". The conflict occurred in database \"%s\", table \"%s\"%s.",
				verb, c.name, d.Name, t.QualifiedName(), col))
		}
	}
	return nil
}

// computeColumns fills computed columns of rows read by a query (stored
// rows keep NULL there, which is also what change tables capture).
func (ev *evaluator) computeColumns(t *Table, rows [][]any) ([][]any, error) {
	var idx []int
	for i, c := range t.Columns {
		if c.Computed != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return rows, nil
	}
	rel := &relation{cols: tableCols(t)}
	out := make([][]any, len(rows))
	for r, row := range rows {
		nr := append([]any(nil), row...)
		rc := &rowCtx{rel: rel, row: nr}
		for _, i := range idx {
			v, vt, err := ev.eval(t.Columns[i].Computed, rc)
			if err != nil {
				return nil, err
			}
			if v != nil && vt.ID != t.Columns[i].Type.ID {
				if v, err = sqltypes.Convert(v, vt, t.Columns[i].Type, -1); err != nil {
					return nil, err
				}
			}
			nr[i] = v
		}
		out[r] = nr
	}
	return out, nil
}

// typeComputed gives computed columns the type of their expression.
func (ev *evaluator) typeComputed(t *Table) {
	rel := &relation{cols: tableCols(t)}
	for _, c := range t.Columns {
		if c.Computed != nil {
			c.Type = ev.typeOf(c.Computed, &rowCtx{rel: rel})
			c.Nullable = true
		}
	}
}

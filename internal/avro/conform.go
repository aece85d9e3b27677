package avro

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// Conform returns a copy of e shaped to table t, a later version of e's
// table (for example with an added column): each of t's columns takes the
// value of e's column with the same name, nil when e's table lacks it. It
// refuses a column of e's table that t lacks, and a column whose SQL Server
// type differs, since either would lose or misread values.
func Conform(e *event.Event, t *catalog.Table) (*event.Event, error) {
	if e.Table == t {
		return e, nil
	}
	from := make([]int, len(t.Columns))
	used := make([]bool, len(e.Table.Columns))
	for i, c := range t.Columns {
		j := e.Table.ColumnIndex(c.Name)
		from[i] = j
		if j < 0 {
			continue
		}
		if src := e.Table.Columns[j]; src.TypeString() != c.TypeString() {
			return nil, fmt.Errorf("conform %s to %s: column %q is %s in the event and %s in the table", e.Table.QualifiedName(), t.QualifiedName(), c.Name, src.TypeString(), c.TypeString())
		}
		used[j] = true
	}
	for j, ok := range used {
		if !ok {
			return nil, fmt.Errorf("conform %s to %s: the event's column %q is not in the table", e.Table.QualifiedName(), t.QualifiedName(), e.Table.Columns[j].Name)
		}
	}
	reshape := func(r event.Row) event.Row {
		if r == nil {
			return nil
		}
		out := make(event.Row, len(t.Columns))
		for i, j := range from {
			if j >= 0 && j < len(r) {
				out[i] = r[j]
			}
		}
		return out
	}
	c := *e
	c.Table = t
	c.Before = reshape(e.Before)
	c.After = reshape(e.After)
	return &c, nil
}

package engine

import (
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// matchRows returns the rows of t (as target name/alias) that WHERE selects.
func (s *session) matchRows(ev *evaluator, d *Database, t *Table, target *tsql.TableName, where tsql.Expr, top *tsql.TopClause) ([][]any, []*rowChain, error) {
	if err := s.checkSnapshot(ev.tx, d); err != nil {
		return nil, nil, err
	}
	if err := writeWait(ev.tx, t); err != nil {
		return nil, nil, err
	}
	if err := readLock(ev.tx, s.iso, t); err != nil {
		return nil, nil, err
	}
	rel := qualify(&relation{cols: tableCols(t)}, target.Name, target.Alias)
	var rows [][]any
	var chains []*rowChain
	c, k, point := ev.pkLookup(t, rel, where)
	if point {
		if o := t.keyOwner(ev.tx, k); o != nil {
			return nil, nil, &lockWait{owner: o}
		}
		if c != nil {
			if d := c.visible(ev.tx, 0); d != nil {
				rows, chains = [][]any{t.pad(d)}, []*rowChain{c}
			}
		}
	} else {
		rows, chains = t.scan(ev.tx, s.snapshotSeq(ev.tx))
	}
	var mr [][]any
	var mc []*rowChain
	rc := &rowCtx{rel: rel}
	for i, r := range rows {
		if where != nil {
			rc.row = r
			ok, err := ev.cond(where, rc)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				continue
			}
		}
		mr = append(mr, r)
		mc = append(mc, chains[i])
	}
	if top != nil {
		n, err := ev.topCount(top, len(mr))
		if err != nil {
			return nil, nil, err
		}
		if n < len(mr) {
			mr, mc = mr[:n], mc[:n]
		}
	}
	for _, c := range mc {
		if o := rowOwner(ev.tx, c); o != nil {
			return nil, nil, &lockWait{owner: o}
		}
	}
	if !point && ev.tx != nil && ev.tx.iso != tsql.Snapshot {
		// A row another transaction inserted or changed so that it would
		// match: SQL Server's scan waits for its lock and then reads the
		// committed outcome. A snapshot does not see it, so does not wait.
		for _, c := range t.chains {
			o := rowOwner(ev.tx, c)
			if o == nil || c.pending.data == nil {
				continue
			}
			ok := true
			if where != nil {
				rc.row = t.pad(c.pending.data)
				var err error
				if ok, err = ev.cond(where, rc); err != nil {
					return nil, nil, err
				}
			}
			if ok {
				return nil, nil, &lockWait{owner: o}
			}
		}
	}
	return mr, mc, nil
}

// checkConflict fails under SNAPSHOT when another transaction committed a
// newer version of the row after the snapshot began.
func (s *session) checkConflict(tx *txn, d *Database, t *Table, c *rowChain) error {
	if tx.iso != tsql.Snapshot || (c.pending != nil && c.pending.tx == tx) {
		return nil
	}
	if _, seq := c.latestCommitted(); seq > s.snapshotSeq(tx) {
		return conflictErr(d, t)
	}
	return nil
}

// pkLookup finds the row a "pk = value" WHERE clause names through the
// primary-key index, for single-column keys outside SNAPSHOT (the index
// holds each row's lock holder's view), and its key. ok is false when the clause has
// another shape; the caller then scans. The full WHERE is still applied.
func (ev *evaluator) pkLookup(t *Table, rel *relation, where tsql.Expr) (*rowChain, string, bool) {
	pk := t.PK()
	if pk == nil || len(pk.Columns) != 1 || ev.tx == nil || ev.tx.iso == tsql.Snapshot {
		return nil, "", false
	}
	var conj []tsql.Expr
	var split func(e tsql.Expr)
	split = func(e tsql.Expr) {
		if b, ok := e.(*tsql.BinaryExpr); ok && b.Op == tsql.OpAnd {
			split(b.L)
			split(b.R)
			return
		}
		conj = append(conj, e)
	}
	split(where)
	for _, e := range conj {
		b, ok := e.(*tsql.BinaryExpr)
		if !ok || b.Op != tsql.OpEq {
			continue
		}
		for _, side := range [][2]tsql.Expr{{b.L, b.R}, {b.R, b.L}} {
			cr, ok := side[0].(*tsql.ColumnRef)
			if !ok {
				continue
			}
			if i, err := rel.find(cr); err != nil || i != pk.Columns[0] {
				continue
			}
			v, vt, err := ev.eval(side[1], nil)
			if err != nil || v == nil {
				return nil, "", false
			}
			col := t.Columns[pk.Columns[0]]
			cv, err := sqltypes.Convert(v, vt, col.Type, -1)
			if err != nil {
				return nil, "", false
			}
			if col.Type.ID.IsCharacter() {
				// Truncation or padding could change what matches: scan.
				if sv, ok := v.(string); !ok || sv != cv.(string) {
					return nil, "", false
				}
			}
			row := make([]any, len(t.Columns))
			row[pk.Columns[0]] = cv
			k := keyString(t, pk, row)
			return t.pkIndex[k], k, true
		}
	}
	return nil, "", false
}

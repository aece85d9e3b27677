package engine

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// fitColumn converts a value for storage in column c: Msg 2628 when a
// string or binary value would lose non-blank data.
func fitColumn(d *Database, t *Table, c *Column, v any, vt sqltypes.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	ct := c.Type
	if ct.ID.IsCharacter() && ct.Length > 0 && ct.ID != sqltypes.Text && ct.ID != sqltypes.NText {
		s, err := sqltypes.ToString(v, vt, -1)
		if err != nil {
			return nil, err
		}
		if !ct.ID.IsUnicode() {
			s = sqltypes.ToCodePage(s, ct.Collation)
		}
		if sqltypes.CharLength(s, ct) > ct.Length {
			trimmed := strings.TrimRight(s, " ")
			if sqltypes.CharLength(trimmed, ct) > ct.Length {
				return nil, truncErr(d, t, c, []rune(s)[:min(ct.Length, len([]rune(s)))])
			}
			s = trimmed
		}
		return detach(sqltypes.Convert(s, vt, ct, -1))
	}
	if ct.ID == sqltypes.Binary || ct.ID == sqltypes.VarBinary {
		if b, ok := v.([]byte); ok && ct.Length > 0 && len(b) > ct.Length {
			return nil, truncErr(d, t, c, nil)
		}
	}
	out, err := sqltypes.Convert(v, vt, ct, -1)
	if err != nil {
		if se, ok := err.(*sqltypes.Error); ok && se.Number == 8115 && (ct.ID == sqltypes.Decimal || ct.ID == sqltypes.Numeric) {
			src := vt.ID.Name()
			if vt.ID == sqltypes.Decimal || vt.ID == sqltypes.Unknown {
				src = "numeric"
			}
			return nil, msg(8115, 16, 2, fmt.Sprintf("Arithmetic overflow error converting %s to data type numeric.", src))
		}
	}
	return detach(out, err)
}

// detach copies a string value about to be stored: a literal's value is a
// slice of its batch's text, and a row holding it would keep the whole
// batch alive (a 1,000-row INSERT kept 260 bytes a row beyond its values).
func detach(v any, err error) (any, error) {
	if s, ok := v.(string); ok && err == nil {
		return strings.Clone(s), nil
	}
	return v, err
}

func truncErr(d *Database, t *Table, c *Column, val []rune) error {
	return msg(2628, 16, 1, fmt.Sprintf("String or binary data would be truncated in table '%s.%s', column '%s'. Truncated value: '%s'.",
		d.Name, t.QualifiedName(), c.Name, string(val)))
}

func nullErr(d *Database, t *Table, c *Column, verb string) error {
	return msg(515, 16, 2, fmt.Sprintf("Cannot insert the value NULL into column '%s', table '%s.%s'; column does not allow nulls. %s fails.",
		c.Name, d.Name, t.QualifiedName(), verb))
}

// columnDefault evaluates a column's DEFAULT (NULL when none).
func (ev *evaluator) columnDefault(c *Column) (any, sqltypes.Type, error) {
	if c.Default == nil {
		return nil, c.Type, nil
	}
	return ev.eval(c.Default, nil)
}

func (s *session) insert(ev *evaluator, x *tsql.InsertStmt, w tds.ResultWriter) error {
	if x.Exec != nil {
		return errNotSupported("INSERT ... EXEC")
	}
	d, err := s.dbFor(x.Table.Name)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table.Name)
	if err != nil {
		return err
	}
	if err := s.checkSnapshot(ev.tx, d); err != nil {
		return err
	}
	var target []int
	explicitIdentity := false
	if x.Columns != nil {
		seen := map[int]bool{}
		for _, name := range x.Columns {
			i := t.colIndex(name)
			if i < 0 {
				return errInvalidColumn(name)
			}
			if seen[i] {
				return msg(264, 16, 1, fmt.Sprintf("The column name '%s' is specified more than once in the SET clause or column list of an INSERT. A column cannot be assigned more than one value in the same clause. Modify the clause to make sure that a column is updated only once. If this statement updates or inserts columns into a view, column aliasing can conceal these changes.", name))
			}
			seen[i] = true
			c := t.Columns[i]
			switch {
			case c.Identity != nil:
				if s.identityInsert != t {
					return msg(544, 16, 1, fmt.Sprintf("Cannot insert explicit value for identity column in table '%s' when IDENTITY_INSERT is set to OFF.", t.Name))
				}
				explicitIdentity = true
			case c.Computed != nil:
				return msg(271, 16, 1, fmt.Sprintf("The column \"%s\" cannot be modified because it is either a computed column or is the result of a UNION operator.", c.Name))
			case c.Type.ID == sqltypes.Timestamp:
				return msg(273, 16, 1, "Cannot insert an explicit value into a timestamp column. Use INSERT with a column list to exclude the timestamp column, or insert a DEFAULT into the timestamp column.")
			}
			target = append(target, i)
		}
	} else {
		for i, c := range t.Columns {
			if c.Identity == nil && c.Computed == nil && c.Type.ID != sqltypes.Timestamp {
				target = append(target, i)
			}
		}
	}
	type srcVal struct {
		v   any
		t   sqltypes.Type
		def bool
	}
	var rows [][]srcVal
	switch {
	case x.DefaultValues:
		rows = [][]srcVal{make([]srcVal, len(target))}
		for i := range rows[0] {
			rows[0][i].def = true
		}
	case x.Select != nil:
		rel, err := ev.query(x.Select, nil)
		if err != nil {
			return err
		}
		if len(rel.cols) != len(target) {
			return insertCountErr(len(rel.cols) > len(target))
		}
		for _, r := range rel.rows {
			row := make([]srcVal, len(r))
			for i, v := range r {
				row[i] = srcVal{v: v, t: rel.cols[i].typ}
			}
			rows = append(rows, row)
		}
	default:
		for _, vr := range x.Values {
			if len(vr) != len(target) {
				return insertCountErr(len(vr) > len(target))
			}
			row := make([]srcVal, len(vr))
			for i, e := range vr {
				if _, ok := e.(*tsql.DefaultExpr); ok {
					row[i].def = true
					continue
				}
				v, vt, err := ev.eval(e, nil)
				if err != nil {
					return err
				}
				row[i] = srcVal{v: v, t: vt}
			}
			rows = append(rows, row)
		}
	}
	if x.Top != nil {
		n, err := ev.topCount(x.Top, len(rows))
		if err != nil {
			return err
		}
		if n < len(rows) {
			rows = rows[:n]
		}
	}
	count := int64(0)
	for _, src := range rows {
		row := make([]any, len(t.Columns))
		given := make([]bool, len(t.Columns))
		for k, i := range target {
			c := t.Columns[i]
			sv := src[k]
			if sv.def {
				if c.Identity != nil {
					return msg(339, 16, 1, "DEFAULT or NULL are not allowed as explicit identity values.")
				}
				v, vt, err := ev.columnDefault(c)
				if err != nil {
					return err
				}
				sv = srcVal{v: v, t: vt}
			}
			v, err := fitColumn(d, t, c, sv.v, sv.t)
			if err != nil {
				return err
			}
			row[i], given[i] = v, true
		}
		for i, c := range t.Columns {
			if given[i] {
				continue
			}
			switch {
			case c.Identity != nil:
				t.identity += c.Identity.Increment
				if !t.idSeeded {
					t.identity, t.idSeeded = c.Identity.Seed, true
				}
				row[i], _ = sqltypes.Convert(t.identity, sqltypes.BigIntType, c.Type, -1)
			case c.Type.ID == sqltypes.Timestamp:
				d.dbts++
				row[i] = u64bytes(d.dbts)
			case c.Computed != nil:
			default:
				v, vt, err := ev.columnDefault(c)
				if err != nil {
					return err
				}
				if row[i], err = fitColumn(d, t, c, v, vt); err != nil {
					return err
				}
			}
		}
		if explicitIdentity {
			ic := t.identityCol()
			if n, ok := toInt64(row[ic]); ok && (!t.idSeeded || n > t.identity) {
				t.identity, t.idSeeded = n, true
			}
		}
		for i, c := range t.Columns {
			if row[i] == nil && !c.Nullable && c.Computed == nil {
				return nullErr(d, t, c, "INSERT")
			}
		}
		if err := s.insertRow(ev, d, t, row); err != nil {
			return err
		}
		if ic := t.identityCol(); ic >= 0 {
			s.identity = identityValue(row[ic])
		}
		count++
	}
	s.rowcount = count
	return s.countDone(w, count)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case sqltypes.DecimalValue:
		if x.Unscaled.IsInt64() {
			return x.Unscaled.Int64(), true
		}
	}
	return 0, false
}

func identityValue(v any) any {
	if n, ok := toInt64(v); ok {
		return sqltypes.DecimalValue{Unscaled: big.NewInt(n), Scale: 0}
	}
	return nil
}

func insertCountErr(moreValues bool) error {
	if moreValues {
		return msg(110, 15, 1, "There are fewer columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
	}
	return msg(109, 15, 1, "There are more columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.")
}

// keyValueText prints key values as duplicate-key messages show them.
func keyValueText(t *Table, ix *Index, row []any) string {
	parts := make([]string, len(ix.Columns))
	for i, ord := range ix.Columns {
		v := row[ord]
		if v == nil {
			parts[i] = "<NULL>"
			continue
		}
		style := -1
		if t.Columns[ord].Type.ID == sqltypes.DateTime {
			style = 121
		}
		parts[i], _ = sqltypes.ToString(v, t.Columns[ord].Type, style)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func dupKeyErr(t *Table, ix *Index, row []any) error {
	kind := "PRIMARY KEY"
	if !ix.Primary {
		kind = "UNIQUE KEY"
	}
	return msg(2627, 14, 1, fmt.Sprintf("Violation of %s constraint '%s'. Cannot insert duplicate key in object '%s'. The duplicate key value is %s.",
		kind, ix.Name, t.QualifiedName(), keyValueText(t, ix, row)))
}

func conflictErr(d *Database, t *Table) error {
	return msg(3960, 16, 2, fmt.Sprintf("Snapshot isolation transaction aborted due to update conflict. You cannot use snapshot isolation to access table '%s' directly or indirectly in database '%s' to update, delete, or insert the row that has been modified or deleted by another transaction. Retry the transaction or change the isolation level for the update/delete statement.",
		t.QualifiedName(), d.Name))
}

// uniqueConflict checks non-primary unique constraints against current rows.
// A row another transaction holds with the same key, before or after its
// change, makes tx wait for it.
func uniqueConflict(tx *txn, t *Table, row []any, self *rowChain) error {
	for _, ix := range t.Indexes {
		if ix.Primary || !ix.Unique {
			continue
		}
		k := keyString(t, ix, row)
		for _, c := range t.chains {
			if c == self {
				continue
			}
			if o := rowOwner(tx, c); o != nil {
				committed, _ := c.latestCommitted()
				for _, r := range [][]any{c.current(), committed} {
					if r != nil && keyString(t, ix, t.pad(r)) == k {
						return &lockWait{owner: o}
					}
				}
				continue
			}
			if cur := c.current(); cur != nil && keyString(t, ix, t.pad(cur)) == k {
				return dupKeyErr(t, ix, row)
			}
		}
	}
	return nil
}

func (s *session) insertRow(ev *evaluator, d *Database, t *Table, row []any) error {
	tx := ev.tx
	if err := writeWait(tx, t); err != nil {
		return err
	}
	if pk := t.PK(); pk != nil {
		k := keyString(t, pk, row)
		if o := t.keyOwner(tx, k); o != nil {
			return &lockWait{owner: o}
		}
		if c := t.pkIndex[k]; c != nil && c.current() != nil {
			return dupKeyErr(t, pk, row)
		}
	}
	if err := ev.checkRow(d, t, row, "INSERT"); err != nil {
		return err
	}
	if err := uniqueConflict(tx, t, row, nil); err != nil {
		return err
	}
	c := &rowChain{}
	t.chains = append(t.chains, c)
	tx.setPending(t, c, row, true)
	if len(t.capture) > 0 {
		s.recordOp(tx, t, cdcInsert, nil, row)
	}
	return nil
}

// recordOp remembers a row change for the capture job.
func (s *session) recordOp(tx *txn, t *Table, kind int, before, after []any) {
	tx.cmdID++
	tx.ops = append(tx.ops, cdcOp{table: t, kind: kind, before: before, after: after, seqval: s.opSeq(tx), cmdID: tx.cmdID})
}

// opSeq allocates the LSN of a logged change (its __$seqval), after the
// transaction's begin record on its first change. Callers hold e.mu.
func (s *session) opSeq(tx *txn) uint64 {
	if tx.beginLSN == 0 {
		tx.beginLSN = s.e.nextSeq()
	}
	return s.e.nextSeq()
}

func (s *session) update(ev *evaluator, x *tsql.UpdateStmt, w tds.ResultWriter) error {
	if x.From != nil {
		return errNotSupported("UPDATE ... FROM")
	}
	d, err := s.dbFor(x.Target.Name)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Target.Name)
	if err != nil {
		return err
	}
	type setCol struct {
		idx int
		a   *tsql.Assignment
	}
	var sets []setCol
	for _, a := range x.Set {
		if a.Column == nil {
			sets = append(sets, setCol{idx: -1, a: a})
			continue
		}
		i := t.colIndex(a.Column.Column)
		if i < 0 {
			return errInvalidColumn(a.Column.Column)
		}
		c := t.Columns[i]
		if c.Identity != nil {
			return msg(8102, 16, 1, fmt.Sprintf("Cannot update identity column '%s'.", c.Name))
		}
		if c.Computed != nil {
			return msg(271, 16, 1, fmt.Sprintf("The column \"%s\" cannot be modified because it is either a computed column or is the result of a UNION operator.", c.Name))
		}
		if c.Type.ID == sqltypes.Timestamp {
			return msg(272, 16, 1, "Cannot update a timestamp column.")
		}
		sets = append(sets, setCol{idx: i, a: a})
	}
	rows, chains, err := s.matchRows(ev, d, t, x.Target, x.Where, x.Top)
	if err != nil {
		return err
	}
	rel := qualify(&relation{cols: tableCols(t)}, x.Target.Name, x.Target.Alias)
	newRows := make([][]any, len(rows))
	for i, old := range rows {
		nr := append([]any(nil), old...)
		rc := &rowCtx{rel: rel, row: old}
		for _, sc := range sets {
			if sc.idx < 0 {
				if err := ev.assign(sc.a.Variable, sc.a.Op, sc.a.Value, rc); err != nil {
					return err
				}
				continue
			}
			c := t.Columns[sc.idx]
			var v any
			var vt sqltypes.Type
			var err error
			if _, ok := sc.a.Value.(*tsql.DefaultExpr); ok {
				v, vt, err = ev.columnDefault(c)
			} else if sc.a.Op != "" && sc.a.Op != "=" {
				ops := map[string]tsql.BinaryOp{"+=": tsql.OpAdd, "-=": tsql.OpSub, "*=": tsql.OpMul, "/=": tsql.OpDiv, "%=": tsql.OpMod, "&=": tsql.OpBitAnd, "|=": tsql.OpBitOr, "^=": tsql.OpBitXor}
				v, vt, err = ev.eval(&tsql.BinaryExpr{Op: ops[sc.a.Op], L: sc.a.Column, R: sc.a.Value}, rc)
			} else {
				v, vt, err = ev.eval(sc.a.Value, rc)
			}
			if err != nil {
				return err
			}
			if nr[sc.idx], err = fitColumn(d, t, c, v, vt); err != nil {
				return err
			}
			if nr[sc.idx] == nil && !c.Nullable {
				return nullErr(d, t, c, "UPDATE")
			}
		}
		for ci, c := range t.Columns {
			if c.Type.ID == sqltypes.Timestamp {
				d.dbts++
				nr[ci] = u64bytes(d.dbts)
			}
		}
		newRows[i] = nr
	}
	pk := t.PK()
	if pk != nil {
		inSet := make(map[*rowChain]bool, len(chains))
		for _, c := range chains {
			inSet[c] = true
		}
		newKeys := map[string]bool{}
		for i, nr := range newRows {
			k := keyString(t, pk, nr)
			if newKeys[k] {
				return dupKeyErr(t, pk, nr)
			}
			newKeys[k] = true
			if k != keyString(t, pk, rows[i]) {
				if o := t.keyOwner(ev.tx, k); o != nil {
					return &lockWait{owner: o}
				}
				if c := t.pkIndex[k]; c != nil && !inSet[c] && c.current() != nil {
					return dupKeyErr(t, pk, nr)
				}
			}
		}
	}
	for i, c := range chains {
		if err := s.checkConflict(ev.tx, d, t, c); err != nil {
			return err
		}
		if err := ev.checkRow(d, t, newRows[i], "UPDATE"); err != nil {
			return err
		}
		if err := uniqueConflict(ev.tx, t, newRows[i], c); err != nil {
			return err
		}
	}
	for i, c := range chains {
		ev.tx.setPending(t, c, newRows[i], false)
		if len(t.capture) > 0 {
			if pk != nil && keyString(t, pk, rows[i]) != keyString(t, pk, newRows[i]) {
				ev.tx.cmdID++
				seq := s.opSeq(ev.tx)
				ev.tx.ops = append(ev.tx.ops,
					cdcOp{table: t, kind: cdcDelete, before: rows[i], seqval: seq, cmdID: ev.tx.cmdID},
					cdcOp{table: t, kind: cdcInsert, after: newRows[i], seqval: seq, cmdID: ev.tx.cmdID})
			} else {
				s.recordOp(ev.tx, t, cdcUpdate, rows[i], newRows[i])
			}
		}
	}
	s.rowcount = int64(len(chains))
	return s.countDone(w, int64(len(chains)))
}

func (s *session) deleteStmt(ev *evaluator, x *tsql.DeleteStmt, w tds.ResultWriter) error {
	if x.From != nil {
		return errNotSupported("DELETE ... FROM")
	}
	d, err := s.dbFor(x.Target.Name)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Target.Name)
	if err != nil {
		return err
	}
	rows, chains, err := s.matchRows(ev, d, t, x.Target, x.Where, x.Top)
	if err != nil {
		return err
	}
	for _, c := range chains {
		if err := s.checkConflict(ev.tx, d, t, c); err != nil {
			return err
		}
	}
	for i, c := range chains {
		ev.tx.setPending(t, c, nil, false)
		if len(t.capture) > 0 {
			s.recordOp(ev.tx, t, cdcDelete, rows[i], nil)
		}
	}
	s.rowcount = int64(len(chains))
	return s.countDone(w, int64(len(chains)))
}

func (s *session) truncate(ev *evaluator, x *tsql.TruncateTableStmt) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	if len(t.capture) > 0 {
		return msg(4711, 16, 1, fmt.Sprintf("Cannot truncate table '%s' because it is published for replication or enabled for Change Data Capture.", t.QualifiedName()))
	}
	if owner := tableOwner(ev.tx, t); owner != nil {
		return &lockWait{owner: owner}
	}
	_, chains := t.scan(ev.tx, s.snapshotSeq(ev.tx))
	for _, c := range chains {
		if err := s.checkConflict(ev.tx, d, t, c); err != nil {
			return err
		}
		ev.tx.setPending(t, c, nil, false)
	}
	if ic := t.identityCol(); ic >= 0 {
		t.idSeeded = false
		t.identity = 0
	}
	return nil
}

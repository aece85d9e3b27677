package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// createIndex is CREATE [UNIQUE] [CLUSTERED|NONCLUSTERED] INDEX.
func (s *session) createIndex(x *tsql.CreateIndexStmt) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	for _, ix := range t.Indexes {
		if strings.EqualFold(ix.Name, x.Name) {
			return msg(1913, 16, 1, fmt.Sprintf("The operation failed because an index or statistics with name '%s' already exists on table '%s'.", x.Name, t.QualifiedName()))
		}
	}
	ix := &Index{Name: x.Name, Unique: x.Unique, Clustered: x.Clustered == tsql.Clustered, ObjectID: d.newObjectID()}
	for _, ic := range x.Columns {
		i := t.colIndex(ic.Name)
		if i < 0 {
			return errInvalidColumn(ic.Name)
		}
		ix.Columns = append(ix.Columns, i)
		ix.Desc = append(ix.Desc, ic.Desc)
	}
	ix.ID = 2
	for _, o := range t.Indexes {
		if ix.Clustered && o.Clustered {
			return msg(1902, 16, 3, fmt.Sprintf("Cannot create more than one clustered index on table '%s'. Drop the existing clustered index before creating another.", t.QualifiedName()))
		}
		if o.ID >= ix.ID {
			ix.ID = o.ID + 1
		}
	}
	if ix.Clustered {
		ix.ID = 1
	}
	if ix.Unique {
		seen := map[string]bool{}
		for _, c := range t.chains {
			if cur := c.current(); cur != nil {
				k := keyString(t, ix, t.pad(cur))
				if seen[k] {
					return msg(1505, 16, 1, fmt.Sprintf("The CREATE UNIQUE INDEX statement terminated because a duplicate key was found for the object name '%s' and the index name '%s'. The duplicate key value is %s.", t.QualifiedName(), ix.Name, keyValueText(t, ix, t.pad(cur))))
				}
				seen[k] = true
			}
		}
	}
	t.Indexes = append(t.Indexes, ix)
	return nil
}

// dropIndex is DROP INDEX name ON table.
func (s *session) dropIndex(x *tsql.DropIndexStmt) error {
	for _, ref := range x.Indexes {
		t, err := s.userTable(ref.Table)
		if err != nil {
			return err
		}
		found := false
		for i, ix := range t.Indexes {
			if strings.EqualFold(ix.Name, ref.Name) {
				if ix.Primary {
					return msg(3723, 16, 4, fmt.Sprintf("An explicit DROP INDEX is not allowed on index '%s.%s'. It is being used for PRIMARY KEY constraint enforcement.", t.QualifiedName(), ix.Name))
				}
				t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
				found = true
				break
			}
		}
		if !found && !x.IfExists {
			return msg(3701, 11, 7, fmt.Sprintf("Cannot drop the index '%s.%s', because it does not exist or you do not have permission.", t.QualifiedName(), ref.Name))
		}
	}
	return nil
}

// dropConstraint is ALTER TABLE t DROP CONSTRAINT name.
func (s *session) dropConstraint(x *tsql.AlterTableDropConstraintStmt, fr *frame) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	for _, name := range x.Constraints {
		found := false
		for i, ix := range t.Indexes {
			if strings.EqualFold(ix.Name, name) && (ix.Primary || ix.Unique) {
				for _, ci := range t.capture {
					if ci.indexName == ix.Name {
						return msg(22992, 16, 1, fmt.Sprintf("The constraint '%s' cannot be dropped because it is used by the capture instance '%s' to identify rows.", name, ci.name))
					}
				}
				t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
				if ix.Primary {
					t.touch(nil)
					t.pkIndex = map[string]*rowChain{}
				}
				found = true
				break
			}
		}
		for _, c := range t.Columns {
			if !found && c.DefaultID != 0 && strings.EqualFold(c.DefaultName, name) {
				c.Default, c.DefaultID, c.DefaultName = nil, 0, ""
				found = true
			}
		}
		if !found && !x.IfExists {
			return msg(3728, 16, 1, fmt.Sprintf("'%s' is not a constraint.", name))
		}
	}
	t.Modified = s.e.cfg.Now()
	s.e.recordDDL(d, t, fr.text, x.Position().Offset)
	return nil
}

// alterColumn is ALTER TABLE t ALTER COLUMN c type [NULL|NOT NULL]: stored
// values are converted to the new type.
func (s *session) alterColumn(x *tsql.AlterTableAlterColumnStmt, fr *frame) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	i := t.colIndex(x.Column.Name)
	if i < 0 {
		return msg(4924, 16, 1, fmt.Sprintf("ALTER TABLE ALTER COLUMN failed because column '%s' does not exist in table '%s'.", x.Column.Name, t.Name))
	}
	col := t.Columns[i]
	nt, err := resolveType(x.Column.Type, false)
	if err != nil {
		return err
	}
	if nt.ID.IsCharacter() {
		nt.Collation = col.Type.Collation
		if nt.Collation.Name == "" {
			nt.Collation = d.Collation
		}
		if x.Column.Collate != "" {
			c, ok := sqltypes.LookupCollation(x.Column.Collate)
			if !ok {
				return msg(448, 16, 1, fmt.Sprintf("Invalid collation '%s'.", x.Column.Collate))
			}
			nt.Collation = c
		}
	}
	nullable := x.Column.Null != tsql.NotNull
	tmp := &Column{Name: col.Name, Type: nt}
	convert := func(row []any) ([]any, error) {
		row = t.pad(row)
		v, err := fitColumn(d, t, tmp, row[i], col.Type)
		if err != nil {
			return nil, err
		}
		if v == nil && !nullable {
			return nil, msg(515, 16, 2, fmt.Sprintf("Cannot insert the value NULL into column '%s', table '%s.%s'; column does not allow nulls. UPDATE fails.", col.Name, d.Name, t.QualifiedName()))
		}
		out := append([]any(nil), row...)
		out[i] = v
		return out, nil
	}
	// Convert every version first so that a failure changes nothing.
	type change struct {
		c   *rowChain
		k   int // version index, -1 for pending
		row []any
	}
	var changes []change
	for _, c := range t.chains {
		for k, v := range c.versions {
			if v.data != nil {
				row, err := convert(v.data)
				if err != nil {
					return err
				}
				changes = append(changes, change{c, k, row})
			}
		}
		if c.pending != nil && c.pending.data != nil {
			row, err := convert(c.pending.data)
			if err != nil {
				return err
			}
			changes = append(changes, change{c, -1, row})
		}
	}
	t.touch(nil)
	for _, ch := range changes {
		if ch.k < 0 {
			ch.c.pending.data = ch.row
		} else {
			ch.c.versions[ch.k].data = ch.row
		}
	}
	col.Type, col.Nullable = nt, nullable
	t.Modified = s.e.cfg.Now()
	s.e.recordDDL(d, t, fr.text, x.Position().Offset)
	return nil
}

// tryCatch runs BEGIN TRY ... END TRY BEGIN CATCH ... END CATCH: the first
// error in the TRY block is not sent; the CATCH block runs with it visible
// to ERROR_NUMBER(), ERROR_MESSAGE(), ERROR_SEVERITY() and ERROR_STATE().
func (s *session) tryCatch(ctx context.Context, x *tsql.TryCatchStmt, fr *frame, w tds.ResultWriter) error {
	s.tryDepth++
	err := s.runList(ctx, x.Try, fr, w)
	s.tryDepth--
	var m *tds.Message
	if err == nil || !errors.As(err, &m) {
		return err
	}
	saved := s.caught
	s.caught = m
	defer func() { s.caught = saved }()
	return s.runList(ctx, x.Catch, fr, w)
}

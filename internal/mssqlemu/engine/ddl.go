package engine

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

func (s *session) createDatabase(x *tsql.CreateDatabaseStmt) error {
	if s.e.db(x.Name) != nil {
		return msg(1801, 16, 3, fmt.Sprintf("Database '%s' already exists. Choose a different database name.", x.Name))
	}
	s.e.addDatabase(x.Name, s.e.cfg.Now())
	return nil
}

func (s *session) dropDatabase(x *tsql.DropDatabaseStmt) error {
	for _, n := range x.Names {
		d := s.e.db(n)
		if d == nil {
			if x.IfExists {
				continue
			}
			return msg(3701, 11, 1, fmt.Sprintf("Cannot drop the database '%s', because it does not exist or you do not have permission.", n))
		}
		if d.ID <= 4 {
			return msg(3708, 16, 1, fmt.Sprintf("Cannot drop the database '%s' because it is a system database.", d.Name))
		}
		if strings.EqualFold(s.dbName, d.Name) {
			return msg(3702, 16, 4, fmt.Sprintf("Cannot drop database \"%s\" because it is currently in use.", d.Name))
		}
		delete(s.e.dbs, strings.ToLower(d.Name))
	}
	return nil
}

func (s *session) alterDatabase(x *tsql.AlterDatabaseSetStmt) error {
	d := s.e.db(s.dbName)
	if x.Database != "" {
		d = s.e.db(x.Database)
	}
	if d == nil {
		return errNoDatabase(x.Database)
	}
	on := x.Value == "ON"
	switch x.Option {
	case "ALLOW_SNAPSHOT_ISOLATION":
		d.AllowSnapshot = on
	case "READ_COMMITTED_SNAPSHOT":
		d.ReadCommittedSnap = on
	}
	return nil
}

// constraintName makes a system name like SQL Server's PK__orders__3213E83F0F3F1B3A.
func constraintName(prefix, table, column string, id int32) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s.%s.%s.%d", prefix, table, column, id)
	sum := h.Sum64()
	tn := table
	if len(tn) > 8 {
		tn = tn[:8]
	}
	if column == "" {
		return fmt.Sprintf("%s__%s__%016X", prefix, tn, sum)
	}
	cn := column
	if len(cn) > 5 {
		cn = cn[:5]
	}
	if len(tn) > 9 {
		tn = tn[:9]
	}
	return fmt.Sprintf("%s__%s__%s__%08X", prefix, tn, cn, uint32(sum))
}

// objectExists reports whether name is taken by a table or constraint.
func objectExists(d *Database, name string) bool {
	for _, o := range d.objects() {
		if strings.EqualFold(o.Name, name) {
			return true
		}
	}
	return false
}

func (s *session) buildColumn(d *Database, t *Table, cd *tsql.ColumnDef) (*Column, error) {
	c := &Column{Name: cd.Name, Nullable: true, Default: cd.Default, Identity: cd.Identity, Computed: cd.Computed}
	if cd.Type != nil {
		typ, err := resolveType(cd.Type, false)
		if err != nil {
			return nil, err
		}
		if typ.ID.IsCharacter() {
			typ.Collation = d.Collation
		}
		c.Type = typ
	} else {
		c.Type = sqltypes.IntType
	}
	if cd.Collate != "" {
		coll, ok := sqltypes.LookupCollation(cd.Collate)
		if !ok {
			return nil, msg(448, 16, 1, fmt.Sprintf("Invalid collation '%s'.", cd.Collate))
		}
		if !c.Type.ID.IsCharacter() {
			return nil, msg(447, 16, 1, fmt.Sprintf("Expression type %s is invalid for COLLATE clause.", c.Type.ID.Name()))
		}
		c.Type.Collation = coll
	}
	if cd.Identity != nil {
		if !c.Type.ID.IsInteger() && c.Type.ID != sqltypes.Decimal && c.Type.ID != sqltypes.Numeric || c.Type.ID == sqltypes.Bit {
			return nil, msg(2749, 16, 2, fmt.Sprintf("Identity column '%s' must be of data type int, bigint, smallint, tinyint, or decimal or numeric with a scale of 0, and constrained to be nonnullable.", cd.Name))
		}
		if t.identityCol() >= 0 {
			return nil, msg(2744, 16, 2, fmt.Sprintf("Multiple identity columns specified for table '%s'. Only one identity column per table is allowed.", t.Name))
		}
		if c.Identity.Increment == 0 {
			c.Identity = &tsql.IdentitySpec{Seed: cd.Identity.Seed, Increment: 1}
		}
		c.Nullable = false
	}
	if c.Type.ID == sqltypes.Timestamp {
		c.Nullable = false
	}
	switch cd.Null {
	case tsql.NotNull:
		c.Nullable = false
	case tsql.Nullable:
		if cd.Identity != nil {
			return nil, msg(8147, 16, 1, fmt.Sprintf("Could not create IDENTITY attribute on nullable column '%s', table '%s'.", cd.Name, t.Name))
		}
		if cd.PrimaryKey {
			return nil, constraintErr(msg(8111, 16, 1, fmt.Sprintf("Cannot define PRIMARY KEY constraint on nullable column in table '%s'.", t.Name)))
		}
	}
	if cd.PrimaryKey {
		c.Nullable = false
	}
	if cd.Default != nil {
		c.DefaultID = d.newObjectID()
		c.DefaultName = cd.DefaultName
		if c.DefaultName == "" {
			c.DefaultName = constraintName("DF", t.Name, cd.Name, c.DefaultID)
		}
	}
	return c, nil
}

func (s *session) addConstraint(d *Database, t *Table, name string, kind tsql.ConstraintKind, cl tsql.ClusterKind, cols []tsql.IndexColumn) error {
	if kind != tsql.PrimaryKeyConstraint && kind != tsql.UniqueConstraint {
		return nil
	}
	primary := kind == tsql.PrimaryKeyConstraint
	if primary && t.PK() != nil {
		return msg(8110, 16, 0, fmt.Sprintf("Cannot add multiple PRIMARY KEY constraints to table '%s'.", t.Name))
	}
	ix := &Index{Name: name, Primary: primary, Unique: true, ObjectID: d.newObjectID()}
	ix.Clustered = cl == tsql.Clustered || (cl == tsql.ClusterDefault && primary)
	for _, ic := range cols {
		i := t.colIndex(ic.Name)
		if i < 0 {
			return msg(1911, 16, 1, fmt.Sprintf("Column name '%s' does not exist in the target table or view.", ic.Name))
		}
		if primary && t.Columns[i].Nullable {
			if len(t.chains) > 0 {
				return msg(8111, 16, 1, fmt.Sprintf("Cannot define PRIMARY KEY constraint on nullable column in table '%s'.", t.Name))
			}
			t.Columns[i].Nullable = false
		}
		ix.Columns = append(ix.Columns, i)
		ix.Desc = append(ix.Desc, ic.Desc)
	}
	if ix.Name == "" {
		prefix := "UQ"
		if primary {
			prefix = "PK"
		}
		ix.Name = constraintName(prefix, t.Name, "", ix.ObjectID)
	} else if objectExists(d, ix.Name) {
		return msg(2714, 16, 5, fmt.Sprintf("There is already an object named '%s' in the database.", ix.Name))
	}
	ix.ID = 2
	for _, o := range t.Indexes {
		if o.ID >= ix.ID {
			ix.ID = o.ID + 1
		}
	}
	if ix.Clustered {
		ix.ID = 1
		for _, o := range t.Indexes {
			if o.Clustered {
				return msg(1902, 16, 3, fmt.Sprintf("Cannot create more than one clustered index on table '%s'. Drop the existing clustered index before creating another.", t.QualifiedName()))
			}
		}
	}
	t.Indexes = append(t.Indexes, ix)
	if primary {
		t.touch(nil)
		t.pkIndex = map[string]*rowChain{}
		for _, c := range t.chains {
			if cur := c.current(); cur != nil {
				k := keyString(t, ix, t.pad(cur))
				if t.pkIndex[k] != nil {
					t.Indexes = t.Indexes[:len(t.Indexes)-1]
					return msg(1505, 16, 1, fmt.Sprintf("The CREATE UNIQUE INDEX statement terminated because a duplicate key was found for the object name '%s' and the index name '%s'.", t.QualifiedName(), ix.Name))
				}
				t.pkIndex[k] = c
			}
		}
	}
	return nil
}

func (s *session) createTable(ev *evaluator, x *tsql.CreateTableStmt) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	sc := d.schema(x.Table.Schema)
	if sc == nil {
		return msg(2760, 16, 1, fmt.Sprintf("The specified schema name \"%s\" either does not exist or you do not have permission to use it.", x.Table.Schema))
	}
	if s.findTable(d, tsql.ObjectName{Schema: sc.Name, Object: x.Table.Object}) != nil || (!inTempdb(x.Table.Object) && objectExists(d, x.Table.Object)) {
		return msg(2714, 16, 6, fmt.Sprintf("There is already an object named '%s' in the database.", x.Table.Object))
	}
	now := s.e.cfg.Now()
	t := &Table{Schema: sc, Name: x.Table.Object, Created: now, Modified: now, pkIndex: map[string]*rowChain{}, db: d}
	t.ID = d.newObjectID()
	for i, cd := range x.Columns {
		if t.colIndex(cd.Name) >= 0 {
			return msg(2705, 16, 3, fmt.Sprintf("Column names in each table must be unique. Column name '%s' in table '%s' is specified more than once.", cd.Name, t.Name))
		}
		c, err := s.buildColumn(d, t, cd)
		if err != nil {
			return err
		}
		c.ID = int32(i + 1)
		t.Columns = append(t.Columns, c)
	}
	for _, cd := range x.Columns {
		if cd.PrimaryKey || cd.Unique {
			kind := tsql.UniqueConstraint
			if cd.PrimaryKey {
				kind = tsql.PrimaryKeyConstraint
			}
			if err := s.addConstraint(d, t, cd.ConstraintName, kind, cd.Clustered, []tsql.IndexColumn{{Name: cd.Name}}); err != nil {
				return err
			}
		}
	}
	for _, tc := range x.Constraints {
		if err := s.addConstraint(d, t, tc.Name, tc.Kind, tc.Clustered, tc.Columns); err != nil {
			return err
		}
	}
	if err := s.addChecks(d, t, x.Columns, x.Constraints); err != nil {
		return err
	}
	ev.typeComputed(t)
	s.registerTable(d, t)
	return nil
}

func (s *session) alterTableAdd(ev *evaluator, x *tsql.AlterTableAddStmt, fr *frame) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	hasRows := false
	for _, c := range t.chains {
		if c.current() != nil {
			hasRows = true
			break
		}
	}
	for _, cd := range x.Columns {
		if t.colIndex(cd.Name) >= 0 {
			return msg(2705, 16, 4, fmt.Sprintf("Column names in each table must be unique. Column name '%s' in table '%s' is specified more than once.", cd.Name, t.Name))
		}
		c, err := s.buildColumn(d, t, cd)
		if err != nil {
			return err
		}
		if !c.Nullable && c.Default == nil && c.Identity == nil && c.Type.ID != sqltypes.Timestamp && hasRows {
			return msg(4901, 16, 1, fmt.Sprintf("ALTER TABLE only allows columns to be added that can contain nulls, or have a DEFAULT definition specified, or the column being added is an identity or timestamp column, or alternatively if none of the previous conditions are satisfied the table must be empty to allow addition of this column. Column '%s' cannot be added to non-empty table '%s' because it does not satisfy these conditions.", c.Name, t.Name))
		}
		// SQL Server gives existing rows the default of a NOT NULL column,
		// or of any column with WITH VALUES, without writing change rows.
		if (!c.Nullable || cd.WithValues) && c.Default != nil {
			v, vt, err := ev.columnDefault(c)
			if err != nil {
				return err
			}
			if c.Fill, err = fitColumn(d, t, c, v, vt); err != nil {
				return err
			}
		}
		c.ID = 1
		for _, o := range t.Columns {
			if o.ID >= c.ID {
				c.ID = o.ID + 1
			}
		}
		t.Columns = append(t.Columns, c)
		if c.Identity != nil || c.Type.ID == sqltypes.Timestamp {
			s.fillGenerated(d, t, len(t.Columns)-1)
		}
	}
	for _, tc := range x.Constraints {
		if err := s.addConstraint(d, t, tc.Name, tc.Kind, tc.Clustered, tc.Columns); err != nil {
			return err
		}
	}
	n := len(t.checks)
	if err := s.addChecks(d, t, x.Columns, x.Constraints); err != nil {
		return err
	}
	// New CHECK constraints are checked against existing rows.
	for _, row := range t.latestRows() {
		saved := t.checks
		t.checks = t.checks[n:]
		err := ev.checkRow(d, t, row, "ALTER TABLE")
		t.checks = saved
		if err != nil {
			t.checks = t.checks[:n]
			return err
		}
	}
	ev.typeComputed(t)
	t.Modified = s.e.cfg.Now()
	s.e.recordDDL(d, t, fr.text, x.Position().Offset)
	return nil
}

// fillGenerated gives existing rows values for an added identity or
// rowversion column by rewriting their stored versions.
func (s *session) fillGenerated(d *Database, t *Table, col int) {
	c := t.Columns[col]
	rows, chains := t.scan(nil, 0)
	for i, ch := range chains {
		var v any
		if c.Identity != nil {
			t.identity += c.Identity.Increment
			if !t.idSeeded {
				t.identity, t.idSeeded = c.Identity.Seed, true
			}
			v, _ = sqltypes.Convert(t.identity, sqltypes.BigIntType, c.Type, -1)
		} else {
			d.dbts++
			v = u64bytes(d.dbts)
		}
		for k := range ch.versions {
			if ch.versions[k].data != nil {
				nd := t.pad(ch.versions[k].data)
				nd[col] = v
				ch.versions[k].data = nd
			}
		}
		_ = rows[i]
	}
}

func (s *session) alterTableDrop(x *tsql.AlterTableDropColumnStmt, fr *frame) error {
	d, err := s.dbFor(x.Table)
	if err != nil {
		return err
	}
	t, err := s.userTable(x.Table)
	if err != nil {
		return err
	}
	for _, name := range x.Columns {
		i := t.colIndex(name)
		if i < 0 {
			if x.IfExists {
				continue
			}
			return msg(4924, 16, 1, fmt.Sprintf("ALTER TABLE DROP COLUMN failed because column '%s' does not exist in table '%s'.", name, t.Name))
		}
		for _, ix := range t.Indexes {
			for _, ord := range ix.Columns {
				if ord == i {
					return msg(5074, 16, 1, fmt.Sprintf("The object '%s' is dependent on column '%s'.", ix.Name, name))
				}
			}
		}
		t.touch(nil)
		for _, ch := range t.chains {
			for k := range ch.versions {
				if dv := ch.versions[k].data; dv != nil {
					dv = t.pad(dv)
					ch.versions[k].data = append(append([]any{}, dv[:i]...), dv[i+1:]...)
				}
			}
			if ch.pending != nil && ch.pending.data != nil {
				dv := t.pad(ch.pending.data)
				ch.pending.data = append(append([]any{}, dv[:i]...), dv[i+1:]...)
			}
		}
		t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
		for _, ix := range t.Indexes {
			for k, ord := range ix.Columns {
				if ord > i {
					ix.Columns[k] = ord - 1
				}
			}
		}
		for _, ci := range t.capture {
			ci.dropSourceColumn(i)
		}
	}
	t.Modified = s.e.cfg.Now()
	s.e.recordDDL(d, t, fr.text, x.Position().Offset)
	return nil
}

func (s *session) dropTable(x *tsql.DropTableStmt) error {
	for _, o := range x.Tables {
		d, err := s.dbFor(o)
		if err != nil {
			return err
		}
		t := s.findTable(d, o)
		if t == nil {
			if x.IfExists {
				continue
			}
			return msg(3701, 11, 5, fmt.Sprintf("Cannot drop the table '%s', because it does not exist or you do not have permission.", displayName(o)))
		}
		if owner := tableOwner(s.tx, t); owner != nil {
			return &lockWait{owner: owner}
		}
		for len(t.capture) > 0 {
			s.e.dropCapture(d, t.capture[0])
		}
		s.unregisterTable(d, t)
	}
	return nil
}

// addChecks records the column- and table-level CHECK constraints.
func (s *session) addChecks(d *Database, t *Table, cols []*tsql.ColumnDef, cons []*tsql.TableConstraint) error {
	for _, cd := range cols {
		if cd.Check != nil {
			if err := addCheck(d, t, "", cd.Name, cd.Check); err != nil {
				return err
			}
		}
	}
	for _, tc := range cons {
		if tc.Kind == tsql.CheckConstraint && tc.Check != nil {
			if err := addCheck(d, t, tc.Name, "", tc.Check); err != nil {
				return err
			}
		}
	}
	return nil
}

package tsql

import (
	"strconv"
	"strings"
)

func onOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

// String returns the level as SET TRANSACTION ISOLATION LEVEL writes it.
func (l IsolationLevel) String() string {
	switch l {
	case ReadUncommitted:
		return "READ UNCOMMITTED"
	case ReadCommitted:
		return "READ COMMITTED"
	case RepeatableRead:
		return "REPEATABLE READ"
	case Serializable:
		return "SERIALIZABLE"
	case Snapshot:
		return "SNAPSHOT"
	}
	return "IsolationLevel(" + strconv.Itoa(int(l)) + ")"
}

func (f *formatter) idents(names []string) {
	for k, n := range names {
		if k > 0 {
			f.w(", ")
		}
		f.w(quoteIdent(n))
	}
}

// tranName prints a transaction name: variables as is, names bracketed.
func tranNameText(n string) string {
	if strings.HasPrefix(n, "@") {
		return n
	}
	return quoteIdent(n)
}

func (f *formatter) stmt(s Statement) {
	switch s := s.(type) {
	case *CreateDatabaseStmt:
		f.w("CREATE DATABASE ", quoteIdent(s.Name))
	case *DropDatabaseStmt:
		f.w("DROP DATABASE ")
		if s.IfExists {
			f.w("IF EXISTS ")
		}
		f.idents(s.Names)
	case *LoginStmt:
		f.w(s.Action, " LOGIN ", quoteIdent(s.Name))
		if s.Action == "DROP" {
			break
		}
		f.w(" WITH")
		sep := " "
		if s.Password != nil {
			f.w(" PASSWORD = ", quoteString(*s.Password))
			if s.OldPassword != nil {
				f.w(" OLD_PASSWORD = ", quoteString(*s.OldPassword))
			}
			sep = ", "
		}
		for _, o := range s.Options {
			if o == "MUST_CHANGE" || o == "HASHED" {
				f.w(" ", o)
				continue
			}
			f.w(sep, o)
			sep = ", "
		}
	case *UserStmt:
		if s.Drop {
			f.w("DROP USER ")
			if s.IfExists {
				f.w("IF EXISTS ")
			}
			f.w(quoteIdent(s.Name))
			break
		}
		f.w("CREATE USER ", quoteIdent(s.Name))
		switch {
		case s.Login != "":
			f.w(" FOR LOGIN ", quoteIdent(s.Login))
		case s.NoLogin:
			f.w(" WITHOUT LOGIN")
		}
		if s.DefaultSchema != "" {
			f.w(" WITH DEFAULT_SCHEMA = ", quoteIdent(s.DefaultSchema))
		}
	case *CreateSchemaStmt:
		f.w("CREATE SCHEMA ", quoteIdent(s.Name))
		if s.Authorization != "" {
			f.w(" AUTHORIZATION ", quoteIdent(s.Authorization))
		}
	case *UseStmt:
		f.w("USE ", quoteIdent(s.Database))
	case *DbccStmt:
		f.w("DBCC ", s.Command)
		if s.NoInfoMsgs {
			f.w(" WITH NO_INFOMSGS")
		}
	case *CreateProcStmt:
		f.formatProc(s)
	case *DropProcStmt:
		f.formatDropProc(s)
	case *CreateTableStmt:
		f.w("CREATE TABLE ")
		f.name(s.Table)
		f.w(" (")
		f.tableElements(s.Columns, s.Constraints)
		f.w(")")
	case *AlterTableAddStmt:
		f.w("ALTER TABLE ")
		f.name(s.Table)
		f.w(" ADD ")
		f.tableElements(s.Columns, s.Constraints)
	case *AlterTableDropColumnStmt:
		f.w("ALTER TABLE ")
		f.name(s.Table)
		f.w(" DROP COLUMN ")
		if s.IfExists {
			f.w("IF EXISTS ")
		}
		f.idents(s.Columns)
	case *AlterTableAlterColumnStmt:
		f.w("ALTER TABLE ")
		f.name(s.Table)
		f.w(" ALTER COLUMN ")
		f.columnDef(s.Column)
	case *AlterTableDropConstraintStmt:
		f.w("ALTER TABLE ")
		f.name(s.Table)
		f.w(" DROP CONSTRAINT ")
		if s.IfExists {
			f.w("IF EXISTS ")
		}
		f.idents(s.Constraints)
	case *CreateIndexStmt:
		f.createIndex(s)
	case *DropIndexStmt:
		f.w("DROP INDEX ")
		if s.IfExists {
			f.w("IF EXISTS ")
		}
		for k, ix := range s.Indexes {
			if k > 0 {
				f.w(", ")
			}
			f.w(quoteIdent(ix.Name), " ON ")
			f.name(ix.Table)
		}
	case *DropTableStmt:
		f.w("DROP TABLE ")
		if s.IfExists {
			f.w("IF EXISTS ")
		}
		for k, t := range s.Tables {
			if k > 0 {
				f.w(", ")
			}
			f.name(t)
		}
	case *TruncateTableStmt:
		f.w("TRUNCATE TABLE ")
		f.name(s.Table)
	case *InsertStmt:
		f.insert(s)
	case *UpdateStmt:
		f.update(s)
	case *DeleteStmt:
		f.w("DELETE ")
		f.top(s.Top)
		f.w("FROM ")
		f.source(s.Target)
		if s.From != nil {
			f.w(" FROM ")
			f.source(s.From)
		}
		f.where(s.Where)
	case *BeginTranStmt:
		f.w("BEGIN TRANSACTION")
		if s.Name != "" {
			f.w(" ", tranNameText(s.Name))
		}
	case *CommitStmt:
		f.w("COMMIT TRANSACTION")
		if s.Name != "" {
			f.w(" ", tranNameText(s.Name))
		}
	case *RollbackStmt:
		f.w("ROLLBACK TRANSACTION")
		if s.Name != "" {
			f.w(" ", tranNameText(s.Name))
		}
	case *SaveTranStmt:
		f.w("SAVE TRANSACTION ", tranNameText(s.Name))
	case *SetIsolationStmt:
		f.w("SET TRANSACTION ISOLATION LEVEL ", s.Level.String())
	case *SetOnOffStmt:
		f.w("SET ", strings.Join(s.Options, ", "), " ", onOff(s.On))
	case *SetValueStmt:
		f.w("SET ", s.Option, " ")
		f.expr(s.Value)
	case *SetIdentityInsertStmt:
		f.w("SET IDENTITY_INSERT ")
		f.name(s.Table)
		f.w(" ", onOff(s.On))
	case *AlterDatabaseSetStmt:
		f.w("ALTER DATABASE ")
		if s.Database == "" {
			f.w("CURRENT")
		} else {
			f.w(quoteIdent(s.Database))
		}
		f.w(" SET ", s.Option, " ", s.Value)
		if s.Termination != "" {
			f.w(" WITH ", s.Termination)
		}
	case *DeclareStmt:
		f.w("DECLARE ")
		for k, v := range s.Vars {
			if k > 0 {
				f.w(", ")
			}
			f.w(v.Name, " ")
			if v.Table != nil {
				f.w("TABLE (")
				f.tableElements(v.Table.Columns, v.Table.Constraints)
				f.w(")")
				continue
			}
			f.dataType(v.Type)
			if v.Init != nil {
				f.w(" = ")
				f.expr(v.Init)
			}
		}
	case *SetVarStmt:
		f.w("SET ")
		f.assignment(&s.Assignment)
	case *SelectStmt:
		f.selectStmt(s)
	case *ExecStmt:
		f.exec(s)
	default:
		f.controlStmt(s)
	}
}

func (f *formatter) controlStmt(s Statement) {
	switch s := s.(type) {
	case *IfStmt:
		f.w("IF ")
		f.expr(s.Cond)
		f.w(" ")
		f.stmt(s.Then)
		if s.Else != nil {
			f.w(" ELSE ")
			f.stmt(s.Else)
		}
	case *WhileStmt:
		f.w("WHILE ")
		f.expr(s.Cond)
		f.w(" ")
		f.stmt(s.Body)
	case *BreakStmt:
		f.w("BREAK")
	case *ContinueStmt:
		f.w("CONTINUE")
	case *ReturnStmt:
		f.w("RETURN")
		if s.Value != nil {
			f.w(" ")
			f.expr(s.Value)
		}
	case *BlockStmt:
		f.w("BEGIN ")
		for _, b := range s.Body {
			f.stmt(b)
			f.w("; ")
		}
		f.w("END")
	case *TryCatchStmt:
		f.w("BEGIN TRY ")
		for _, b := range s.Try {
			f.stmt(b)
			f.w("; ")
		}
		f.w("END TRY BEGIN CATCH ")
		for _, b := range s.Catch {
			f.stmt(b)
			f.w("; ")
		}
		f.w("END CATCH")
	case *WaitForStmt:
		if s.Time {
			f.w("WAITFOR TIME ")
		} else {
			f.w("WAITFOR DELAY ")
		}
		f.expr(s.Value)
	case *PrintStmt:
		f.w("PRINT ")
		f.expr(s.Value)
	case *RaiserrorStmt:
		f.w("RAISERROR(")
		f.exprs(append([]Expr{s.Message, s.Severity, s.State}, s.Args...))
		f.w(")")
		if len(s.Options) > 0 {
			f.w(" WITH ", strings.Join(s.Options, ", "))
		}
	case *ThrowStmt:
		f.w("THROW")
		if s.Number != nil {
			f.w(" ")
			f.exprs([]Expr{s.Number, s.Message, s.State})
		}
	case nil:
		f.w("<nil>")
	default:
		if !f.formatCursor(s) {
			f.w("<?>")
		}
	}
}

func (f *formatter) tableElements(cols []*ColumnDef, cons []*TableConstraint) {
	k := 0
	for _, c := range cols {
		if k > 0 {
			f.w(", ")
		}
		k++
		f.columnDef(c)
	}
	for _, c := range cons {
		if k > 0 {
			f.w(", ")
		}
		k++
		f.tableConstraint(c)
	}
}

func clusterText(c ClusterKind) string {
	switch c {
	case Clustered:
		return " CLUSTERED"
	case NonClustered:
		return " NONCLUSTERED"
	}
	return ""
}

func (f *formatter) columnDef(c *ColumnDef) {
	f.w(quoteIdent(c.Name))
	if c.Computed != nil {
		f.w(" AS ")
		f.expr(c.Computed)
		if c.Persisted {
			f.w(" PERSISTED")
		}
	} else {
		f.w(" ")
		f.dataType(c.Type)
	}
	if c.Collate != "" {
		f.w(" COLLATE ", c.Collate)
	}
	if c.Identity != nil {
		f.w(" IDENTITY(", strconv.FormatInt(c.Identity.Seed, 10), ",", strconv.FormatInt(c.Identity.Increment, 10), ")")
	}
	if c.RowGUIDCol {
		f.w(" ROWGUIDCOL")
	}
	switch c.Null {
	case Nullable:
		f.w(" NULL")
	case NotNull:
		f.w(" NOT NULL")
	}
	if c.Default != nil {
		if c.DefaultName != "" {
			f.w(" CONSTRAINT ", quoteIdent(c.DefaultName))
		}
		f.w(" DEFAULT ")
		f.expr(c.Default)
		if c.WithValues {
			f.w(" WITH VALUES")
		}
	}
	if c.PrimaryKey || c.Unique {
		if c.ConstraintName != "" {
			f.w(" CONSTRAINT ", quoteIdent(c.ConstraintName))
		}
		if c.PrimaryKey {
			f.w(" PRIMARY KEY")
		} else {
			f.w(" UNIQUE")
		}
		f.w(clusterText(c.Clustered))
	}
	if c.Check != nil {
		f.w(" CHECK (")
		f.expr(c.Check)
		f.w(")")
	}
}

func (f *formatter) indexColumns(cols []IndexColumn) {
	f.w("(")
	for k, ic := range cols {
		if k > 0 {
			f.w(", ")
		}
		f.w(quoteIdent(ic.Name))
		if ic.Desc {
			f.w(" DESC")
		}
	}
	f.w(")")
}

func (f *formatter) createIndex(s *CreateIndexStmt) {
	f.w("CREATE ")
	if s.Unique {
		f.w("UNIQUE ")
	}
	if c := clusterText(s.Clustered); c != "" {
		f.w(c[1:], " ")
	}
	f.w("INDEX ", quoteIdent(s.Name), " ON ")
	f.name(s.Table)
	f.w(" ")
	f.indexColumns(s.Columns)
	if s.Include != nil {
		f.w(" INCLUDE (")
		f.idents(s.Include)
		f.w(")")
	}
	f.where(s.Where)
}

func (f *formatter) tableConstraint(c *TableConstraint) {
	if c.Name != "" {
		f.w("CONSTRAINT ", quoteIdent(c.Name), " ")
	}
	switch c.Kind {
	case CheckConstraint:
		f.w("CHECK (")
		f.expr(c.Check)
		f.w(")")
		return
	case DefaultConstraint:
		f.w("DEFAULT ")
		f.expr(c.Default)
		f.w(" FOR ", quoteIdent(c.For))
		return
	case UniqueConstraint:
		f.w("UNIQUE")
	default:
		f.w("PRIMARY KEY")
	}
	f.w(clusterText(c.Clustered), " ")
	f.indexColumns(c.Columns)
}

func (f *formatter) top(t *TopClause) {
	if t == nil {
		return
	}
	f.w("TOP (")
	f.expr(t.Count)
	f.w(")")
	if t.Percent {
		f.w(" PERCENT")
	}
	if t.WithTies {
		f.w(" WITH TIES")
	}
	f.w(" ")
}

func (f *formatter) where(e Expr) {
	if e != nil {
		f.w(" WHERE ")
		f.expr(e)
	}
}

func (f *formatter) insert(s *InsertStmt) {
	if s.Select != nil && s.Select.With != nil {
		// WITH comes before INSERT.
		f.with(s.Select.With)
		sel := *s.Select
		sel.With = nil
		ins := *s
		ins.Select = &sel
		s = &ins
	}
	f.w("INSERT ")
	f.top(s.Top)
	f.w("INTO ")
	f.source(s.Table)
	if s.Columns != nil {
		f.w(" (")
		f.idents(s.Columns)
		f.w(")")
	}
	switch {
	case s.DefaultValues:
		f.w(" DEFAULT VALUES")
	case s.Select != nil:
		f.w(" ")
		f.selectStmt(s.Select)
	case s.Exec != nil:
		f.w(" ")
		f.exec(s.Exec)
	default:
		f.w(" VALUES ")
		for k, row := range s.Values {
			if k > 0 {
				f.w(", ")
			}
			f.w("(")
			f.exprs(row)
			f.w(")")
		}
	}
}

func (f *formatter) assignment(a *Assignment) {
	if a.Column != nil {
		f.expr(a.Column)
	} else {
		f.w(a.Variable)
	}
	f.w(" ", a.Op, " ")
	f.expr(a.Value)
}

func (f *formatter) update(s *UpdateStmt) {
	f.w("UPDATE ")
	f.top(s.Top)
	f.source(s.Target)
	f.w(" SET ")
	for k, a := range s.Set {
		if k > 0 {
			f.w(", ")
		}
		f.assignment(a)
	}
	if s.From != nil {
		f.w(" FROM ")
		f.source(s.From)
	}
	f.where(s.Where)
}

func (f *formatter) exec(s *ExecStmt) {
	f.w("EXEC ")
	if s.SQL != nil {
		f.w("(")
		for k, e := range s.SQL {
			if k > 0 {
				f.w(" + ")
			}
			f.expr(e)
		}
		f.w(")")
		return
	}
	if s.ReturnVar != "" {
		f.w(s.ReturnVar, " = ")
	}
	if s.ProcVar != "" {
		f.w(s.ProcVar)
	} else {
		f.name(s.Proc)
	}
	for k, a := range s.Args {
		if k > 0 {
			f.w(",")
		}
		f.w(" ")
		if a.Name != "" {
			f.w(a.Name, " = ")
		}
		if u, ok := a.Value.(*UnaryExpr); ok {
			f.w(strings.TrimSpace(u.Op.String())) // EXEC takes -1, not (-1)
			f.expr(u.X)
		} else {
			f.expr(a.Value)
		}
		if a.Output {
			f.w(" OUTPUT")
		}
	}
}

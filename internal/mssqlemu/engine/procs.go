package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// procArg is an evaluated procedure argument.
type procArg struct {
	name   string // "@x"; empty when positional
	val    any
	typ    sqltypes.Type
	output bool
	def    bool // DEFAULT
}

// procArgs are bound arguments by lower-case parameter name.
type procArgs map[string]procArg

func (a procArgs) str(name string) (string, bool) {
	p, ok := a[name]
	if !ok || p.val == nil || p.def {
		return "", false
	}
	s, err := sqltypes.ToString(p.val, p.typ, -1)
	return s, err == nil
}

func (a procArgs) has(name string) bool {
	_, ok := a[name]
	return ok
}

func (a procArgs) boolean(name string) (bool, bool) {
	p, ok := a[name]
	if !ok || p.val == nil || p.def {
		return false, false
	}
	v, err := sqltypes.Convert(p.val, p.typ, sqltypes.BitType, -1)
	if err != nil {
		return false, false
	}
	return v.(bool), true
}

// bind maps positional and named arguments onto a procedure's parameters.
func bind(proc string, params []string, args []procArg) (procArgs, error) {
	out := procArgs{}
	for i, a := range args {
		name := strings.ToLower(a.name)
		if name == "" {
			if i >= len(params) {
				return nil, msg(8144, 16, 2, fmt.Sprintf("Procedure or function %s has too many arguments specified.", proc))
			}
			name = params[i]
		} else {
			known := false
			for _, p := range params {
				known = known || p == name
			}
			if !known {
				return nil, msg(8145, 16, 2, fmt.Sprintf("%s is not a parameter for procedure %s.", a.name, proc))
			}
		}
		out[name] = a
	}
	return out, nil
}

func (a procArgs) require(proc string, names ...string) error {
	for _, n := range names {
		if _, ok := a[n]; !ok {
			return msg(201, 16, 4, fmt.Sprintf("Procedure or function '%s' expects parameter '%s', which was not supplied.", proc, n))
		}
	}
	return nil
}

// execProcStmt runs EXEC proc args from T-SQL.
func (s *session) execProcStmt(ctx context.Context, ev *evaluator, x *tsql.ExecStmt, w tds.ResultWriter) error {
	if x.SQL != nil || x.ProcVar != "" {
		return errNotSupported("EXEC of dynamic SQL inside a transaction-scoped statement")
	}
	args := make([]procArg, len(x.Args))
	for i, a := range x.Args {
		if _, ok := a.Value.(*tsql.DefaultExpr); ok {
			args[i] = procArg{name: a.Name, def: true}
			continue
		}
		v, t, err := ev.eval(a.Value, nil)
		if err != nil {
			return err
		}
		args[i] = procArg{name: a.Name, val: v, typ: t, output: a.Output}
	}
	status, err := s.callProc(ctx, x.Proc, args, ev.fr, w)
	if err != nil {
		return err
	}
	if x.ReturnVar != "" {
		if v := ev.fr.vars[strings.ToLower(x.ReturnVar)]; v != nil {
			v.val = int64(status)
		}
	}
	return nil
}

// callProc runs a system procedure. Callers hold e.mu.
func (s *session) callProc(ctx context.Context, name tsql.ObjectName, args []procArg, fr *frame, w tds.ResultWriter) (int32, error) {
	proc := strings.ToLower(name.Object)
	if name.Database != "" {
		d := s.e.db(name.Database)
		if d == nil {
			return 1, errNoDatabase(name.Database)
		}
		saved := s.dbName
		s.dbName = d.Name
		defer func() { s.dbName = saved }()
	}
	if strings.HasPrefix(proc, "sp_cdc_") {
		return s.cdcProc(proc, args, w)
	}
	switch proc {
	case "sp_pkeys":
		return s.spPKeys(args, w)
	case "sp_columns":
		return s.spColumns(args, w)
	case "sp_databases":
		return s.spDatabases(w)
	case "sp_set_session_context", "sp_reset_connection", "sp_unprepare":
		return 0, nil
	}
	return 1, msg(2812, 16, 62, fmt.Sprintf("Could not find stored procedure '%s'.", displayName(name)))
}

// execSQLStmt runs EXEC sp_executesql N'...', N'@p int', @p = 1 from T-SQL.
func (s *session) execSQLStmt(ctx context.Context, x *tsql.ExecStmt, fr *frame, w tds.ResultWriter) error {
	var params []tds.Param
	var sqlText, defs string
	err := s.locked(func() error {
		ev := s.evaluator(fr, s.tx)
		for i, a := range x.Args {
			v, t, err := ev.eval(a.Value, nil)
			if err != nil {
				return err
			}
			switch {
			case i == 0:
				sqlText, _ = v.(string)
			case i == 1 && a.Name == "":
				defs, _ = v.(string)
			default:
				params = append(params, tds.Param{Name: a.Name, Type: t, Value: v, Output: a.Output})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	inner, err := s.paramFrame(sqlText, defs, params)
	if err != nil {
		return err
	}
	return s.runText(ctx, sqlText, inner, w)
}

// paramFrame declares sp_executesql's parameters as variables: the
// definitions give names and types; values arrive named or positionally.
func (s *session) paramFrame(sqlText, defs string, params []tds.Param) (*frame, error) {
	fr := newFrame(sqlText)
	var names []string
	var types []sqltypes.Type
	for _, d := range splitTop(defs) {
		f := strings.Fields(d)
		if len(f) < 2 {
			continue
		}
		typeText := strings.Join(f[1:], " ")
		typeText = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(typeText), " OUTPUT"), " output"))
		typeText = strings.TrimSuffix(strings.TrimSuffix(typeText, " OUT"), " out")
		t, err := parseTypeText(typeText)
		if err != nil {
			return nil, err
		}
		names = append(names, strings.ToLower(f[0]))
		types = append(types, t)
		fr.vars[strings.ToLower(f[0])] = &variable{typ: t}
	}
	for i, p := range params {
		name := strings.ToLower(p.Name)
		if name == "" {
			if i >= len(names) {
				return nil, msg(8144, 16, 2, "Procedure or function  has too many arguments specified.")
			}
			name = names[i]
		}
		v := fr.vars[name]
		if v == nil {
			if !strings.HasPrefix(name, "@") {
				name = "@" + name
			}
			v = fr.vars[name]
		}
		if v == nil {
			t := p.Type
			if t.ID == sqltypes.Unknown {
				t = sqltypes.TypeOf(p.Value)
			}
			v = &variable{typ: t}
			fr.vars[name] = v
		}
		val, err := sqltypes.Convert(p.Value, p.Type, v.typ, -1)
		if err != nil {
			return nil, err
		}
		v.val = val
	}
	return fr, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// parseTypeText reads a type written as text: nvarchar(4000), decimal(18, 2).
func parseTypeText(s string) (sqltypes.Type, error) {
	name, rest, _ := strings.Cut(s, "(")
	var args []string
	if rest != "" {
		for _, a := range strings.Split(strings.TrimSuffix(strings.TrimSpace(rest), ")"), ",") {
			args = append(args, strings.TrimSpace(a))
		}
	}
	t, err := sqltypes.MakeType(strings.TrimSpace(name), args)
	if err != nil {
		return t, msg(2715, 16, 3, fmt.Sprintf("Column, parameter, or variable #1: Cannot find data type %s.", strings.TrimSpace(name)))
	}
	return t, nil
}

// sendRelation writes a relation as one result set.
func sendRelation(w tds.ResultWriter, rel *relation) error {
	if err := w.Columns(resultColumns(rel)); err != nil {
		return err
	}
	for _, r := range rel.rows {
		if err := w.Row(r); err != nil {
			return err
		}
	}
	return w.Done(int64(len(rel.rows)), true)
}

// spPKeys is sp_pkeys @table_name, @table_owner, @table_qualifier.
func (s *session) spPKeys(args []procArg, w tds.ResultWriter) (int32, error) {
	a, err := bind("sp_pkeys", []string{"@table_name", "@table_owner", "@table_qualifier"}, args)
	if err != nil {
		return 1, err
	}
	if err := a.require("sp_pkeys", "@table_name"); err != nil {
		return 1, err
	}
	d, err := s.curDB()
	if err != nil {
		return 1, err
	}
	name, _ := a.str("@table_name")
	owner, _ := a.str("@table_owner")
	rel := &relation{cols: []relCol{
		{name: "TABLE_QUALIFIER", typ: sqltypes.SysNameType, nullable: true}, {name: "TABLE_OWNER", typ: sqltypes.SysNameType, nullable: true},
		{name: "TABLE_NAME", typ: sqltypes.SysNameType}, {name: "COLUMN_NAME", typ: sqltypes.SysNameType},
		{name: "KEY_SEQ", typ: sqltypes.SmallIntType}, {name: "PK_NAME", typ: sqltypes.SysNameType, nullable: true},
	}}
	for _, t := range d.sortedTables() {
		if !strings.EqualFold(t.Name, name) || (owner != "" && !strings.EqualFold(t.Schema.Name, owner)) {
			continue
		}
		if pk := t.PK(); pk != nil {
			for i, ord := range pk.Columns {
				rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, t.Name, t.Columns[ord].Name, int64(i + 1), pk.Name})
			}
		}
	}
	return 0, sendRelation(w, rel)
}

// spColumns is a simplified sp_columns @table_name, @table_owner.
func (s *session) spColumns(args []procArg, w tds.ResultWriter) (int32, error) {
	a, err := bind("sp_columns", []string{"@table_name", "@table_owner", "@table_qualifier", "@column_name", "@odbcver"}, args)
	if err != nil {
		return 1, err
	}
	if err := a.require("sp_columns", "@table_name"); err != nil {
		return 1, err
	}
	d, err := s.curDB()
	if err != nil {
		return 1, err
	}
	name, _ := a.str("@table_name")
	owner, _ := a.str("@table_owner")
	colName, _ := a.str("@column_name")
	rel := &relation{cols: []relCol{
		{name: "TABLE_QUALIFIER", typ: sqltypes.SysNameType}, {name: "TABLE_OWNER", typ: sqltypes.SysNameType},
		{name: "TABLE_NAME", typ: sqltypes.SysNameType}, {name: "COLUMN_NAME", typ: sqltypes.SysNameType},
		{name: "DATA_TYPE", typ: sqltypes.SmallIntType}, {name: "TYPE_NAME", typ: sqltypes.SysNameType},
		{name: "PRECISION", typ: sqltypes.IntType, nullable: true}, {name: "LENGTH", typ: sqltypes.IntType, nullable: true},
		{name: "SCALE", typ: sqltypes.SmallIntType, nullable: true}, {name: "RADIX", typ: sqltypes.SmallIntType, nullable: true},
		{name: "NULLABLE", typ: sqltypes.SmallIntType}, {name: "REMARKS", typ: sqltypes.VarCharType(254), nullable: true},
		{name: "COLUMN_DEF", typ: sqltypes.NVarCharType(4000), nullable: true}, {name: "SQL_DATA_TYPE", typ: sqltypes.SmallIntType},
		{name: "SQL_DATETIME_SUB", typ: sqltypes.SmallIntType, nullable: true}, {name: "CHAR_OCTET_LENGTH", typ: sqltypes.IntType, nullable: true},
		{name: "ORDINAL_POSITION", typ: sqltypes.IntType}, {name: "IS_NULLABLE", typ: sqltypes.VarCharType(254), nullable: true},
		{name: "SS_DATA_TYPE", typ: sqltypes.TinyIntType, nullable: true},
	}}
	for _, t := range d.sortedTables() {
		if !likeMatch(t.Name, name, 0, true) || (owner != "" && !strings.EqualFold(t.Schema.Name, owner)) {
			continue
		}
		for i, c := range t.Columns {
			if colName != "" && !likeMatch(c.Name, colName, 0, true) {
				continue
			}
			prec, scale := c.Type.PrecisionScale()
			nullable, isNull := int64(0), "NO"
			if c.Nullable {
				nullable, isNull = 1, "YES"
			}
			typeName := c.Type.ID.Name()
			if c.Identity != nil {
				typeName += " identity"
			}
			length := int64(c.Type.MaxLength())
			p := int64(prec)
			if c.Type.ID.IsCharacter() {
				p = int64(c.Type.Length)
			}
			rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, t.Name, c.Name, int64(odbcType(c.Type)), typeName,
				p, length, int64(scale), nil, nullable, nil, nil, int64(odbcType(c.Type)), nil, nil, int64(i + 1), isNull, int64(c.Type.SystemTypeID())})
		}
	}
	return 0, sendRelation(w, rel)
}

// odbcType is the ODBC SQL data type code sp_columns reports.
func odbcType(t sqltypes.Type) int {
	switch t.ID {
	case sqltypes.Bit:
		return -7
	case sqltypes.TinyInt:
		return -6
	case sqltypes.SmallInt:
		return 5
	case sqltypes.Int:
		return 4
	case sqltypes.BigInt:
		return -5
	case sqltypes.Decimal, sqltypes.Money, sqltypes.SmallMoney:
		return 3
	case sqltypes.Numeric:
		return 2
	case sqltypes.Float:
		return 6
	case sqltypes.Real:
		return 7
	case sqltypes.Char:
		return 1
	case sqltypes.VarChar:
		return 12
	case sqltypes.NChar:
		return -8
	case sqltypes.NVarChar, sqltypes.SysName:
		return -9
	case sqltypes.Text:
		return -1
	case sqltypes.NText, sqltypes.XML:
		return -10
	case sqltypes.Binary, sqltypes.Timestamp:
		return -2
	case sqltypes.VarBinary:
		return -3
	case sqltypes.Image:
		return -4
	case sqltypes.UniqueIdentifier:
		return -11
	case sqltypes.DateTime, sqltypes.SmallDateTime, sqltypes.DateTime2:
		return 11
	case sqltypes.Date:
		return 9
	case sqltypes.Time:
		return -154
	case sqltypes.DateTimeOffset:
		return -155
	}
	return -150
}

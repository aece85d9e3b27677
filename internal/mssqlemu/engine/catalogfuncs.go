package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// splitName parses a possibly bracketed multi-part name as OBJECT_ID reads it.
func splitName(s string) tsql.ObjectName {
	var parts []string
	var cur strings.Builder
	inBr := false
	for _, r := range s {
		switch {
		case r == '[' && !inBr:
			inBr = true
		case r == ']' && inBr:
			inBr = false
		case r == '.' && !inBr:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	parts = append(parts, cur.String())
	var o tsql.ObjectName
	o.Object = parts[len(parts)-1]
	if len(parts) > 1 {
		o.Schema = parts[len(parts)-2]
	}
	if len(parts) > 2 {
		o.Database = parts[len(parts)-3]
	}
	return o
}

// catalogFunc evaluates OBJECT_ID, DB_NAME, SERVERPROPERTY and friends;
// ok is false for names it does not know.
func (ev *evaluator) catalogFunc(name string, args []any, types []sqltypes.Type) (any, sqltypes.Type, bool, error) {
	s := ev.s
	str := func(i int) (string, bool) {
		if i < 0 || i >= len(args) || args[i] == nil {
			return "", false
		}
		v, err := sqltypes.ToString(args[i], types[i], -1)
		return v, err == nil
	}
	num := func(i int) (int64, bool) {
		if i < 0 || i >= len(args) || args[i] == nil {
			return 0, false
		}
		v, err := sqltypes.Convert(args[i], types[i], sqltypes.BigIntType, -1)
		if err != nil {
			return 0, false
		}
		return v.(int64), true
	}
	dbArg := func(i int) *Database {
		if i < 0 || i >= len(args) || args[i] == nil {
			return s.e.db(s.dbName)
		}
		if n, ok := num(i); ok && !types[i].ID.IsCharacter() {
			return s.e.dbByID(int32(n))
		}
		v, _ := str(i)
		return s.e.db(v)
	}
	switch name {
	case "CURSOR_STATUS":
		scope, ok1 := str(0)
		cname, ok2 := str(1)
		if !ok1 || !ok2 {
			return nil, sqltypes.SmallIntType, true, nil
		}
		return s.cursorStatus(ev.fr, scope, cname), sqltypes.SmallIntType, true, nil
	case "OBJECT_ID":
		v, ok := str(0)
		if !ok {
			return nil, tInt, true, nil
		}
		o := splitName(v)
		d := dbArg(-1)
		if o.Database != "" {
			d = s.e.db(o.Database)
		}
		if d == nil {
			return nil, tInt, true, nil
		}
		want, _ := str(1)
		want = strings.TrimSpace(strings.ToUpper(want))
		if isLocalTemp(o.Object) {
			if t := s.temps[strings.ToLower(o.Object)]; t != nil && (want == "" || want == "U") && strings.EqualFold(d.Name, "tempdb") {
				return int64(t.ID), tInt, true, nil
			}
			return nil, tInt, true, nil
		}
		sc := d.schema(o.Schema)
		if sc == nil {
			return nil, tInt, true, nil
		}
		for _, obj := range d.objects() {
			if obj.Schema == sc && strings.EqualFold(obj.Name, o.Object) && (want == "" || want == obj.Type) {
				return int64(obj.ID), tInt, true, nil
			}
		}
		if strings.EqualFold(sc.Name, "cdc") && (want == "" || want == "IF" || want == "TF") {
			low := strings.ToLower(o.Object)
			for _, p := range []string{"fn_cdc_get_all_changes_", "fn_cdc_get_net_changes_"} {
				if strings.HasPrefix(low, p) {
					if ci := d.captureInstance(o.Object[len(p):]); ci != nil && (p == "fn_cdc_get_all_changes_" || ci.netChanges) {
						id := ci.ct.ID + 1
						if p == "fn_cdc_get_net_changes_" {
							id++
						}
						return int64(id), tInt, true, nil
					}
				}
			}
		}
		return nil, tInt, true, nil
	case "OBJECT_NAME", "OBJECT_SCHEMA_NAME":
		id, ok := num(0)
		d := dbArg(1)
		if !ok || d == nil {
			return nil, tName, true, nil
		}
		for _, obj := range d.objects() {
			if int64(obj.ID) == id {
				if name == "OBJECT_NAME" {
					return obj.Name, tName, true, nil
				}
				return obj.Schema.Name, tName, true, nil
			}
		}
		return nil, tName, true, nil
	case "DB_NAME":
		if len(args) == 0 {
			return s.dbName, tName, true, nil
		}
		id, ok := num(0)
		if !ok {
			return nil, tName, true, nil
		}
		if d := s.e.dbByID(int32(id)); d != nil {
			return d.Name, tName, true, nil
		}
		return nil, tName, true, nil
	case "DB_ID":
		d := dbArg(0)
		if len(args) > 0 && args[0] != nil {
			v, _ := str(0)
			d = s.e.db(v)
		}
		if d == nil {
			return nil, tSmall, true, nil
		}
		return int64(d.ID), tSmall, true, nil
	case "SCHEMA_NAME":
		d := s.e.db(s.dbName)
		if len(args) == 0 {
			return "dbo", tName, true, nil
		}
		id, ok := num(0)
		if !ok || d == nil {
			return nil, tName, true, nil
		}
		if sc := d.schemaByID(int32(id)); sc != nil {
			return sc.Name, tName, true, nil
		}
		return nil, tName, true, nil
	case "SCHEMA_ID":
		d := s.e.db(s.dbName)
		n := "dbo"
		if len(args) > 0 {
			var ok bool
			if n, ok = str(0); !ok {
				return nil, tInt, true, nil
			}
		}
		if d == nil || d.schema(n) == nil {
			return nil, tInt, true, nil
		}
		return int64(d.schema(n).ID), tInt, true, nil
	case "SQL_VARIANT_PROPERTY":
		p, _ := str(1)
		// Any other value is first converted to sql_variant, keeping its type.
		x, err := sqltypes.ToVariant(args[0], types[0])
		if err != nil {
			return nil, sqltypes.Type{}, true, err
		}
		v, err := variantProperty(x, p)
		return v, sqltypes.Type{ID: sqltypes.SQLVariant}, true, err
	case "SERVERPROPERTY":
		p, _ := str(0)
		v := serverProperty(p, s.e.cfg.ServerName, s.e.cfg.ProductVersion)
		switch x := v.(type) {
		case string:
			v = sqltypes.VariantValue{Base: sqltypes.NVarCharType(128), Value: x}
		case int64:
			v = sqltypes.VariantValue{Base: sqltypes.IntType, Value: x}
		}
		return v, sqltypes.Type{ID: sqltypes.SQLVariant}, true, nil
	case "DATABASEPROPERTYEX":
		d := dbArg(0)
		p, _ := str(1)
		if d == nil {
			return nil, sqltypes.Type{ID: sqltypes.SQLVariant}, true, nil
		}
		switch strings.ToLower(p) {
		case "collation":
			return d.Collation.Name, sqltypes.NVarCharType(128), true, nil
		case "status":
			return "ONLINE", sqltypes.NVarCharType(128), true, nil
		case "recovery":
			return "FULL", sqltypes.NVarCharType(128), true, nil
		case "updateability":
			return "READ_WRITE", sqltypes.NVarCharType(128), true, nil
		case "useraccess":
			return "MULTI_USER", sqltypes.NVarCharType(128), true, nil
		case "version":
			return int64(904), tInt, true, nil
		}
		return nil, sqltypes.Type{ID: sqltypes.SQLVariant}, true, nil
	case "COL_NAME", "COL_LENGTH", "COLUMNPROPERTY":
		d := s.e.db(s.dbName)
		if d == nil {
			return nil, tName, true, nil
		}
		var t *Table
		if name == "COL_LENGTH" {
			v, _ := str(0)
			o := splitName(v)
			t = d.table(o.Schema, o.Object)
		} else if id, ok := num(0); ok {
			t = d.tables[int32(id)]
		}
		if t == nil {
			return nil, tName, true, nil
		}
		var col *Column
		if name == "COL_NAME" {
			id, _ := num(1)
			for _, cc := range t.Columns {
				if int64(cc.ID) == id {
					col = cc
				}
			}
		} else {
			cname, _ := str(1)
			if i := t.colIndex(cname); i >= 0 {
				col = t.Columns[i]
			}
		}
		if col == nil {
			return nil, tName, true, nil
		}
		switch name {
		case "COL_NAME":
			return col.Name, tName, true, nil
		case "COL_LENGTH":
			return int64(col.Type.MaxLength()), tSmall, true, nil
		}
		p, _ := str(2)
		switch strings.ToLower(p) {
		case "isidentity":
			return boolInt(col.Identity != nil), tInt, true, nil
		case "iscomputed":
			return boolInt(col.Computed != nil), tInt, true, nil
		case "allowsnull":
			return boolInt(col.Nullable), tInt, true, nil
		case "columnid":
			return int64(col.ID), tInt, true, nil
		case "precision":
			p, _ := col.Type.PrecisionScale()
			return int64(p), tInt, true, nil
		case "scale":
			_, sc := col.Type.PrecisionScale()
			return int64(sc), tInt, true, nil
		}
		return nil, tInt, true, nil
	case "OBJECTPROPERTY", "OBJECTPROPERTYEX":
		d := s.e.db(s.dbName)
		id, _ := num(0)
		p, _ := str(1)
		if d == nil {
			return nil, tInt, true, nil
		}
		t := d.tables[int32(id)]
		if t == nil {
			return nil, tInt, true, nil
		}
		switch strings.ToLower(p) {
		case "isusertable", "istable":
			return boolInt(true), tInt, true, nil
		case "tablehasprimarykey":
			return boolInt(t.PK() != nil), tInt, true, nil
		case "tablehasidentity":
			return boolInt(t.identityCol() >= 0), tInt, true, nil
		case "ismsshipped":
			return boolInt(t.System), tInt, true, nil
		}
		return nil, tInt, true, nil
	case "TYPE_NAME":
		id, ok := num(0)
		if !ok {
			return nil, tName, true, nil
		}
		for _, tn := range []string{"int", "bigint", "smallint", "tinyint", "bit", "decimal", "numeric", "money", "smallmoney", "float", "real",
			"char", "varchar", "nchar", "nvarchar", "text", "ntext", "binary", "varbinary", "image", "uniqueidentifier", "date", "time",
			"datetime", "datetime2", "smalldatetime", "datetimeoffset", "xml", "timestamp", "sql_variant", "sysname", "hierarchyid", "geometry", "geography"} {
			if int64(sqltypes.MustType(tn).UserTypeID()) == id {
				return tn, tName, true, nil
			}
		}
		return nil, tName, true, nil
	case "TYPE_ID":
		n, _ := str(0)
		if _, ok := sqltypes.LookupTypeID(n); !ok {
			return nil, tInt, true, nil
		}
		return int64(sqltypes.MustType(n).UserTypeID()), tInt, true, nil
	case "IDENT_CURRENT", "IDENT_SEED", "IDENT_INCR":
		v, _ := str(0)
		o := splitName(v)
		d := s.e.db(s.dbName)
		if o.Database != "" {
			d = s.e.db(o.Database)
		}
		if d == nil {
			return nil, sqltypes.DecimalType(38, 0), true, nil
		}
		t := d.table(o.Schema, o.Object)
		if t == nil || t.identityCol() < 0 {
			return nil, sqltypes.DecimalType(38, 0), true, nil
		}
		spec := t.Columns[t.identityCol()].Identity
		switch name {
		case "IDENT_SEED":
			return identityValue(spec.Seed), sqltypes.DecimalType(38, 0), true, nil
		case "IDENT_INCR":
			return identityValue(spec.Increment), sqltypes.DecimalType(38, 0), true, nil
		}
		if !t.idSeeded {
			return identityValue(spec.Seed), sqltypes.DecimalType(38, 0), true, nil
		}
		return identityValue(t.identity), sqltypes.DecimalType(38, 0), true, nil
	}
	return nil, sqltypes.Type{}, false, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// serverProperty answers SERVERPROPERTY like SQL Server 2019 Developer Edition.
// ProductVersion and ProductMajorVersion follow Config.ProductVersion.
func serverProperty(p, serverName, version string) any {
	switch strings.ToLower(p) {
	case "productversion":
		return version
	case "productmajorversion":
		major, _, _ := strings.Cut(version, ".")
		return major
	case "productlevel":
		return "RTM"
	case "productupdatelevel":
		return "CU22"
	case "productminorversion":
		return "0"
	case "edition":
		return "Developer Edition (64-bit)"
	case "editionid":
		return int64(-2117995310)
	case "engineedition":
		return int64(3)
	case "servername", "machinename":
		return serverName
	case "instancename":
		return nil
	case "collation":
		return sqltypes.DefaultCollation.Name
	case "lcid":
		return int64(1033)
	case "ishadrenabled", "isclustered", "isintegratedsecurityonly", "issingleuser":
		return int64(0)
	case "isfulltextinstalled":
		return int64(0)
	case "sqlsortorder":
		return int64(52)
	case "sqlcharset":
		return int64(1)
	case "processid":
		return int64(1)
	}
	return nil
}

// exprText renders a DEFAULT expression as sys.default_constraints shows it.
func exprText(e tsql.Expr) string {
	return "(" + exprInner(e) + ")"
}

func exprInner(e tsql.Expr) string {
	switch x := e.(type) {
	case *tsql.NumberLit:
		return "(" + x.Text + ")"
	case *tsql.StringLit:
		q := "'" + strings.ReplaceAll(x.Value, "'", "''") + "'"
		if x.Unicode {
			q = "N" + q
		}
		return q
	case *tsql.NullLit:
		return "NULL"
	case *tsql.FuncCall:
		var args []string
		for _, a := range x.Args {
			args = append(args, exprInner(a))
		}
		return strings.ToLower(x.Name.Object) + "(" + strings.Join(args, ",") + ")"
	case *tsql.UnaryExpr:
		if x.Op == tsql.OpNeg {
			return "(-" + strings.Trim(exprInner(x.X), "()") + ")"
		}
	case *tsql.CastExpr:
		return fmt.Sprintf("CONVERT([%s],%s)", x.Type.Name, exprInner(x.X))
	}
	return "?"
}

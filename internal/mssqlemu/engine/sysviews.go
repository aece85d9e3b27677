package engine

import (
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Catalog views answer as SQL Server does for the objects the emulator has.
// Column lists follow the documented views (sys.tables, sys.columns, ...);
// columns that mean nothing here carry SQL Server's value for a plain table.

type colSpec struct {
	name     string
	typ      sqltypes.Type
	nullable bool
}

func cols(specs ...colSpec) []relCol {
	out := make([]relCol, len(specs))
	for i, s := range specs {
		out[i] = relCol{name: s.name, typ: s.typ, nullable: s.nullable}
	}
	return out
}

var (
	tInt     = sqltypes.IntType
	tSmall   = sqltypes.SmallIntType
	tTiny    = sqltypes.TinyIntType
	tBit     = sqltypes.BitType
	tName    = sqltypes.SysNameType
	tDT      = sqltypes.DateTimeType
	tChar2   = sqltypes.Type{ID: sqltypes.Char, Length: 2, Collation: sqltypes.DefaultCollation}
	tDesc    = sqltypes.NVarCharType(60)
	tVarchar = sqltypes.VarCharType
)

func c(name string, t sqltypes.Type) colSpec  { return colSpec{name, t, false} }
func cn(name string, t sqltypes.Type) colSpec { return colSpec{name, t, true} }

// systemView builds sys.*, INFORMATION_SCHEMA.* and cdc metadata views.
func (ev *evaluator) systemView(d *Database, o tsql.ObjectName) (*relation, bool, error) {
	schema := strings.ToLower(o.Schema)
	name := strings.ToLower(o.Object)
	switch schema {
	case "sys":
		rel := ev.sysView(d, name)
		return rel, rel != nil, nil
	case "information_schema":
		rel := infoSchemaView(d, name)
		return rel, rel != nil, nil
	case "cdc":
		if d.cdc == nil {
			return nil, false, nil
		}
		rel := cdcView(d, name, ev.s.snapshotSeq(ev.tx))
		return rel, rel != nil, nil
	}
	return nil, false, nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func onOff(b bool) (int64, string) {
	if b {
		return 1, "ON"
	}
	return 0, "OFF"
}

func (ev *evaluator) sysView(d *Database, name string) *relation {
	if rel := ev.dmView(name); rel != nil {
		return rel
	}
	s := ev.s
	switch name {
	case "databases":
		rel := &relation{cols: cols(c("name", tName), c("database_id", tInt), cn("source_database_id", tInt), cn("owner_sid", sqltypes.VarBinaryType(85)),
			c("create_date", tDT), c("compatibility_level", tTiny), cn("collation_name", tName), cn("user_access", tTiny), cn("user_access_desc", tDesc),
			cn("is_read_only", tBit), cn("state", tTiny), cn("state_desc", tDesc), cn("snapshot_isolation_state", tTiny), cn("snapshot_isolation_state_desc", tDesc),
			cn("is_read_committed_snapshot_on", tBit), cn("recovery_model", tTiny), cn("recovery_model_desc", tDesc), c("is_cdc_enabled", tBit),
			cn("is_broker_enabled", tBit), cn("containment", tTiny), cn("containment_desc", tDesc))}
		for _, db := range s.e.sortedDBs() {
			si, sid := onOff(db.AllowSnapshot)
			rm, rmd := int64(1), "FULL"
			if db.ID <= 4 && db.Name != "master" && db.Name != "msdb" {
				rm, rmd = 3, "SIMPLE"
			}
			rel.rows = append(rel.rows, []any{db.Name, int64(db.ID), nil, []byte{1}, sqltypes.FromTime(wall(db.Created), tDT), int64(150), db.Collation.Name,
				int64(0), "MULTI_USER", false, int64(0), "ONLINE", si, sid, db.ReadCommittedSnap, rm, rmd, db.CDCEnabled, false, int64(0), "NONE"})
		}
		return rel
	case "syslanguages":
		// The columns whose values sqltypes.Languages holds; days,
		// upgrade and msglangid are left out rather than guessed.
		rel := &relation{cols: cols(c("langid", tSmall), c("dateformat", sqltypes.Type{ID: sqltypes.NChar, Length: 3, Collation: sqltypes.DefaultCollation}), c("datefirst", tTiny), c("name", tName),
			c("alias", tName), cn("months", sqltypes.NVarCharType(372)), cn("shortmonths", sqltypes.NVarCharType(132)), c("lcid", tInt))}
		for _, l := range sqltypes.Languages {
			rel.rows = append(rel.rows, []any{int64(l.LangID), l.DateFormat, int64(l.DateFirst), l.Name, l.Alias,
				strings.Join(l.Months, ","), strings.Join(l.ShortMonths, ","), int64(l.LCID)})
		}
		return rel
	case "schemas":
		rel := &relation{cols: cols(c("name", tName), c("schema_id", tInt), cn("principal_id", tInt))}
		for _, sc := range sortedSchemas(d) {
			rel.rows = append(rel.rows, []any{sc.Name, int64(sc.ID), int64(1)})
		}
		return rel
	case "tables", "objects", "all_objects":
		rel := &relation{cols: cols(c("name", tName), c("object_id", tInt), cn("principal_id", tInt), c("schema_id", tInt), c("parent_object_id", tInt),
			cn("type", tChar2), cn("type_desc", tDesc), c("create_date", tDT), c("modify_date", tDT), c("is_ms_shipped", tBit),
			c("is_published", tBit), c("is_schema_published", tBit))}
		if name == "tables" {
			rel.cols = append(rel.cols, cols(cn("lob_data_space_id", tInt), cn("filestream_data_space_id", tInt), c("max_column_id_used", tInt),
				c("lock_on_bulk_load", tBit), cn("uses_ansi_nulls", tBit), cn("is_replicated", tBit), cn("has_replication_filter", tBit),
				cn("is_merge_published", tBit), cn("is_sync_tran_subscribed", tBit), c("has_unchecked_assembly_data", tBit),
				cn("text_in_row_limit", tInt), cn("large_value_types_out_of_row", tBit), cn("is_tracked_by_cdc", tBit), cn("lock_escalation", tTiny),
				cn("lock_escalation_desc", tDesc), cn("is_filetable", tBit), cn("is_memory_optimized", tBit), cn("durability", tTiny),
				cn("durability_desc", tDesc), cn("temporal_type", tTiny), cn("temporal_type_desc", tDesc), cn("history_table_id", tInt),
				cn("is_remote_data_archive_enabled", tBit), c("is_external", tBit))...)
		}
		for _, o := range d.objects() {
			if name == "tables" && o.Type != "U" {
				continue
			}
			row := []any{o.Name, int64(o.ID), nil, int64(o.Schema.ID), int64(o.Parent), padType(o.Type), o.TypeDesc,
				sqltypes.FromTime(wall(o.Created), tDT), sqltypes.FromTime(wall(o.Modified), tDT), o.Shipped, false, false}
			if name == "tables" {
				t := d.tables[o.ID]
				maxCol := int64(0)
				for _, col := range t.Columns {
					maxCol = max(maxCol, int64(col.ID))
				}
				row = append(row, nil, nil, maxCol, false, true, false, false, false, false, false, int64(0), false,
					len(t.capture) > 0, int64(0), "TABLE", false, false, int64(0), "SCHEMA_AND_DATA", int64(0), "NON_TEMPORAL_TABLE", nil, false, false)
			}
			rel.rows = append(rel.rows, row)
		}
		return rel
	case "columns", "all_columns":
		rel := &relation{cols: cols(c("object_id", tInt), cn("name", tName), c("column_id", tInt), c("system_type_id", tTiny), c("user_type_id", tInt),
			c("max_length", tSmall), c("precision", tTiny), c("scale", tTiny), cn("collation_name", tName), cn("is_nullable", tBit),
			c("is_ansi_padded", tBit), c("is_rowguidcol", tBit), c("is_identity", tBit), c("is_computed", tBit), c("is_filestream", tBit),
			cn("is_replicated", tBit), cn("is_non_sql_subscribed", tBit), cn("is_merge_published", tBit), cn("is_dts_replicated", tBit),
			c("is_xml_document", tBit), c("xml_collection_id", tInt), c("default_object_id", tInt), c("rule_object_id", tInt),
			cn("is_sparse", tBit), cn("is_column_set", tBit), cn("generated_always_type", tTiny), cn("generated_always_type_desc", tDesc))}
		for _, t := range d.sortedTables() {
			for _, col := range t.Columns {
				rel.rows = append(rel.rows, columnRow(int64(t.ID), col.Name, int64(col.ID), col.Type, col.Nullable, col.Identity != nil, col.Computed != nil, int64(col.DefaultID)))
			}
		}
		return rel
	case "identity_columns":
		rel := &relation{cols: cols(c("object_id", tInt), cn("name", tName), c("column_id", tInt), cn("seed_value", sqltypes.DecimalType(38, 0)),
			cn("increment_value", sqltypes.DecimalType(38, 0)), cn("last_value", sqltypes.DecimalType(38, 0)))}
		for _, t := range d.sortedTables() {
			if i := t.identityCol(); i >= 0 {
				col := t.Columns[i]
				var last any
				if t.idSeeded {
					last = identityValue(t.identity)
				}
				rel.rows = append(rel.rows, []any{int64(t.ID), col.Name, int64(col.ID), identityValue(col.Identity.Seed), identityValue(col.Identity.Increment), last})
			}
		}
		return rel
	case "types":
		rel := &relation{cols: cols(c("name", tName), c("system_type_id", tTiny), c("user_type_id", tInt), c("schema_id", tInt), cn("principal_id", tInt),
			c("max_length", tSmall), c("precision", tTiny), c("scale", tTiny), cn("collation_name", tName), cn("is_nullable", tBit),
			c("is_user_defined", tBit), c("is_assembly_type", tBit), c("default_object_id", tInt), c("rule_object_id", tInt), c("is_table_type", tBit))}
		for _, tn := range []string{"image", "text", "uniqueidentifier", "date", "time", "datetime2", "datetimeoffset", "tinyint", "smallint", "int",
			"smalldatetime", "real", "money", "datetime", "float", "sql_variant", "ntext", "bit", "decimal", "numeric", "smallmoney", "bigint",
			"hierarchyid", "geometry", "geography", "varbinary", "varchar", "binary", "char", "timestamp", "nvarchar", "nchar", "xml", "sysname"} {
			var args []string
			switch tn {
			case "varbinary", "varchar", "binary", "char":
				args = []string{"8000"}
			case "nvarchar", "nchar":
				args = []string{"4000"}
			case "decimal", "numeric":
				args = []string{"38", "38"}
			}
			t := sqltypes.MustType(tn, args...)
			prec, scale := t.PrecisionScale()
			var coll any
			if t.ID.IsCharacter() {
				coll = sqltypes.DefaultCollation.Name
			}
			ml := t.MaxLength()
			if tn == "nvarchar" || tn == "nchar" {
				ml = 8000
			}
			rel.rows = append(rel.rows, []any{tn, int64(t.SystemTypeID()), int64(t.UserTypeID()), int64(4), nil, int64(ml), int64(prec), int64(scale),
				coll, tn != "sysname", false, t.ID == sqltypes.HierarchyID || t.ID == sqltypes.Geometry || t.ID == sqltypes.Geography, int64(0), int64(0), false})
		}
		return rel
	case "indexes":
		rel := &relation{cols: cols(c("object_id", tInt), cn("name", tName), c("index_id", tInt), c("type", tTiny), cn("type_desc", tDesc),
			cn("is_unique", tBit), cn("data_space_id", tInt), cn("ignore_dup_key", tBit), cn("is_primary_key", tBit), cn("is_unique_constraint", tBit),
			c("fill_factor", tTiny), cn("is_padded", tBit), cn("is_disabled", tBit), cn("is_hypothetical", tBit), cn("allow_row_locks", tBit),
			cn("allow_page_locks", tBit), cn("has_filter", tBit))}
		for _, t := range d.sortedTables() {
			clustered := false
			for _, ix := range t.Indexes {
				clustered = clustered || ix.Clustered
			}
			if !clustered {
				rel.rows = append(rel.rows, []any{int64(t.ID), nil, int64(0), int64(0), "HEAP", false, int64(1), false, false, false, int64(0), false, false, false, true, true, false})
			}
			for _, ix := range sortedIndexes(t) {
				typ, desc := int64(2), "NONCLUSTERED"
				if ix.Clustered {
					typ, desc = 1, "CLUSTERED"
				}
				rel.rows = append(rel.rows, []any{int64(t.ID), ix.Name, int64(ix.ID), typ, desc, ix.Unique, int64(1), false, ix.Primary, !ix.Primary && ix.Unique,
					int64(0), false, false, false, true, true, false})
			}
		}
		return rel
	case "index_columns":
		rel := &relation{cols: cols(c("object_id", tInt), c("index_id", tInt), c("index_column_id", tInt), c("column_id", tInt), c("key_ordinal", tTiny),
			c("partition_ordinal", tTiny), cn("is_descending_key", tBit), cn("is_included_column", tBit), c("column_store_order_ordinal", tTiny))}
		for _, t := range d.sortedTables() {
			for _, ix := range sortedIndexes(t) {
				for k, ord := range ix.Columns {
					rel.rows = append(rel.rows, []any{int64(t.ID), int64(ix.ID), int64(k + 1), int64(t.Columns[ord].ID), int64(k + 1), int64(0), ix.Desc[k], false, int64(0)})
				}
			}
		}
		return rel
	case "key_constraints":
		rel := &relation{cols: cols(c("name", tName), c("object_id", tInt), cn("principal_id", tInt), c("schema_id", tInt), c("parent_object_id", tInt),
			cn("type", tChar2), cn("type_desc", tDesc), c("create_date", tDT), c("modify_date", tDT), c("is_ms_shipped", tBit), c("is_published", tBit),
			c("is_schema_published", tBit), cn("unique_index_id", tInt), cn("is_system_named", tBit), cn("is_enforced", tBit))}
		for _, t := range d.sortedTables() {
			for _, ix := range sortedIndexes(t) {
				typ, desc := "UQ", "UNIQUE_CONSTRAINT"
				if ix.Primary {
					typ, desc = "PK", "PRIMARY_KEY_CONSTRAINT"
				}
				rel.rows = append(rel.rows, []any{ix.Name, int64(ix.ObjectID), nil, int64(t.Schema.ID), int64(t.ID), typ, desc,
					sqltypes.FromTime(wall(t.Created), tDT), sqltypes.FromTime(wall(t.Created), tDT), t.System, false, false, int64(ix.ID),
					strings.Contains(ix.Name, "__"), true})
			}
		}
		return rel
	case "default_constraints":
		rel := &relation{cols: cols(c("name", tName), c("object_id", tInt), c("schema_id", tInt), c("parent_object_id", tInt), cn("type", tChar2),
			cn("type_desc", tDesc), c("parent_column_id", tInt), cn("definition", sqltypes.NVarCharType(sqltypes.Max)), cn("is_system_named", tBit))}
		for _, t := range d.sortedTables() {
			for _, col := range t.Columns {
				if col.DefaultID != 0 {
					rel.rows = append(rel.rows, []any{col.DefaultName, int64(col.DefaultID), int64(t.Schema.ID), int64(t.ID), "D ", "DEFAULT_CONSTRAINT",
						int64(col.ID), exprText(col.Default), strings.HasPrefix(col.DefaultName, "DF__")})
				}
			}
		}
		return rel
	case "partitions":
		rel := &relation{cols: cols(c("partition_id", sqltypes.BigIntType), c("object_id", tInt), c("index_id", tInt), c("partition_number", tInt),
			cn("hobt_id", sqltypes.BigIntType), cn("rows", sqltypes.BigIntType), c("filestream_filegroup_id", tSmall), c("data_compression", tTiny),
			cn("data_compression_desc", tDesc))}
		for _, t := range d.sortedTables() {
			n := int64(len(t.latestRows()))
			ids := []int32{}
			clustered := false
			for _, ix := range sortedIndexes(t) {
				clustered = clustered || ix.Clustered
				ids = append(ids, ix.ID)
			}
			if !clustered {
				ids = append([]int32{0}, ids...)
			}
			for _, id := range ids {
				pid := int64(t.ID)<<16 | int64(id)
				rel.rows = append(rel.rows, []any{pid, int64(t.ID), int64(id), int64(1), pid, n, int64(0), int64(0), "NONE"})
			}
		}
		return rel
	case "computed_columns", "foreign_keys", "foreign_key_columns", "triggers", "views", "procedures", "check_constraints":
		return &relation{cols: cols(c("object_id", tInt), cn("name", tName))}
	case "system_objects":
		return ev.systemObjects(d)
	case "system_columns":
		return ev.systemColumns(d)
	}
	return ev.principalsView(d, name)
}

// systemViewNames are the sys views the emulator has, which sys.system_objects
// and sys.system_columns describe ("a row for all schema-scoped system
// objects" and "a row for each column of system objects that have columns":
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-system-objects-transact-sql,
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-system-columns-transact-sql).
var systemViewNames = []string{"all_columns", "all_objects", "check_constraints", "columns", "computed_columns", "database_principals", "databases",
	"default_constraints", "dm_exec_connections", "dm_exec_requests", "dm_exec_sessions", "dm_tran_session_transactions",
	"foreign_key_columns", "foreign_keys", "identity_columns", "index_columns", "indexes", "key_constraints", "objects",
	"partitions", "procedures", "schemas", "server_principals", "sql_logins", "tables", "triggers", "types", "views"}

// systemObjectID is a system view's object_id: negative, as SQL Server's
// system objects' are, and stable (the actual numbers of SQL Server's are
// not documented, so they differ).
func systemObjectID(i int) int64 { return -100 - int64(i) }

func (ev *evaluator) systemObjects(d *Database) *relation {
	rel := &relation{cols: cols(c("name", tName), c("object_id", tInt), cn("principal_id", tInt), c("schema_id", tInt), c("parent_object_id", tInt),
		cn("type", tChar2), cn("type_desc", tDesc), c("create_date", tDT), c("modify_date", tDT), c("is_ms_shipped", tBit),
		c("is_published", tBit), c("is_schema_published", tBit))}
	created := sqltypes.FromTime(wall(d.Created), tDT)
	for i, name := range systemViewNames {
		rel.rows = append(rel.rows, []any{name, systemObjectID(i), nil, int64(4), int64(0), "V ", "VIEW", created, created, true, false, false})
	}
	return rel
}

func (ev *evaluator) systemColumns(d *Database) *relation {
	rel := ev.sysView(d, "columns")
	rel.rows = nil
	for i, name := range systemViewNames {
		v := ev.sysView(d, name)
		for j, col := range v.cols {
			rel.rows = append(rel.rows, columnRow(systemObjectID(i), col.name, int64(j+1), col.typ, col.nullable, false, false, 0))
		}
	}
	return rel
}

func padType(t string) string {
	if len(t) == 1 {
		return t + " "
	}
	return t
}

func sortedSchemas(d *Database) []*Schema {
	var out []*Schema
	for _, s := range d.schemas {
		out = append(out, s)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func sortedIndexes(t *Table) []*Index {
	out := append([]*Index(nil), t.Indexes...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// isTypeInfo is what INFORMATION_SCHEMA.COLUMNS reports about a type.
type isTypeInfo struct {
	charMax, octetMax, numPrec, numRadix, numScale, dtPrec any
}

func infoSchemaType(t sqltypes.Type) isTypeInfo {
	var r isTypeInfo
	switch {
	case t.ID == sqltypes.Text:
		r.charMax, r.octetMax = int64(2147483647), int64(2147483647)
	case t.ID == sqltypes.NText:
		r.charMax, r.octetMax = int64(1073741823), int64(2147483646)
	case t.ID == sqltypes.Image:
		r.charMax, r.octetMax = int64(2147483647), int64(2147483647)
	case t.ID == sqltypes.XML:
		r.charMax, r.octetMax = int64(-1), int64(-1)
	case t.ID.IsCharacter() || t.ID == sqltypes.Binary || t.ID == sqltypes.VarBinary:
		if t.Length == sqltypes.Max {
			r.charMax, r.octetMax = int64(-1), int64(-1)
		} else {
			r.charMax, r.octetMax = int64(t.Length), int64(t.MaxLength())
		}
	case t.ID.IsNumeric() && t.ID != sqltypes.Bit:
		p, s := t.PrecisionScale()
		r.numPrec, r.numScale, r.numRadix = int64(p), int64(s), int64(10)
		if t.ID == sqltypes.Float || t.ID == sqltypes.Real {
			r.numRadix, r.numScale = int64(2), nil
		}
	case t.ID.IsDateTime():
		_, s := t.PrecisionScale()
		r.dtPrec = int64(s)
		if t.ID == sqltypes.SmallDateTime || t.ID == sqltypes.Date {
			r.dtPrec = int64(0)
		}
	}
	return r
}

func infoSchemaView(d *Database, name string) *relation {
	switch name {
	case "tables":
		rel := &relation{cols: cols(cn("TABLE_CATALOG", tName), cn("TABLE_SCHEMA", tName), c("TABLE_NAME", tName), cn("TABLE_TYPE", tVarchar(10)))}
		for _, t := range d.sortedTables() {
			rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, t.Name, "BASE TABLE"})
		}
		return rel
	case "schemata":
		rel := &relation{cols: cols(c("CATALOG_NAME", tName), c("SCHEMA_NAME", tName), c("SCHEMA_OWNER", tName),
			cn("DEFAULT_CHARACTER_SET_CATALOG", tName), cn("DEFAULT_CHARACTER_SET_SCHEMA", tName), cn("DEFAULT_CHARACTER_SET_NAME", tName))}
		for _, sc := range sortedSchemas(d) {
			rel.rows = append(rel.rows, []any{d.Name, sc.Name, "dbo", nil, nil, "iso_1"})
		}
		return rel
	case "columns":
		rel := &relation{cols: cols(cn("TABLE_CATALOG", tName), cn("TABLE_SCHEMA", tName), c("TABLE_NAME", tName), cn("COLUMN_NAME", tName),
			cn("ORDINAL_POSITION", tInt), cn("COLUMN_DEFAULT", sqltypes.NVarCharType(4000)), cn("IS_NULLABLE", tVarchar(3)), cn("DATA_TYPE", sqltypes.NVarCharType(128)),
			cn("CHARACTER_MAXIMUM_LENGTH", tInt), cn("CHARACTER_OCTET_LENGTH", tInt), cn("NUMERIC_PRECISION", tTiny), cn("NUMERIC_PRECISION_RADIX", tSmall),
			cn("NUMERIC_SCALE", tInt), cn("DATETIME_PRECISION", tSmall), cn("CHARACTER_SET_CATALOG", tName), cn("CHARACTER_SET_SCHEMA", tName),
			cn("CHARACTER_SET_NAME", tName), cn("COLLATION_CATALOG", tName), cn("COLLATION_SCHEMA", tName), cn("COLLATION_NAME", tName),
			cn("DOMAIN_CATALOG", tName), cn("DOMAIN_SCHEMA", tName), cn("DOMAIN_NAME", tName))}
		for _, t := range d.sortedTables() {
			for i, col := range t.Columns {
				is := infoSchemaType(col.Type)
				var csName, coll any
				if col.Type.ID.IsCharacter() {
					coll = col.Type.Collation.Name
					csName = "iso_1"
					if col.Type.ID.IsUnicode() {
						csName = "UNICODE"
					}
				}
				var def any
				if col.Default != nil {
					def = exprText(col.Default)
				}
				rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, t.Name, col.Name, int64(i + 1), def, yesNo(col.Nullable), col.Type.ID.Name(),
					is.charMax, is.octetMax, is.numPrec, is.numRadix, is.numScale, is.dtPrec, nil, nil, csName, nil, nil, coll, nil, nil, nil})
			}
		}
		return rel
	case "table_constraints":
		rel := &relation{cols: cols(cn("CONSTRAINT_CATALOG", tName), cn("CONSTRAINT_SCHEMA", tName), c("CONSTRAINT_NAME", tName),
			cn("TABLE_CATALOG", tName), cn("TABLE_SCHEMA", tName), c("TABLE_NAME", tName), cn("CONSTRAINT_TYPE", tVarchar(11)),
			cn("IS_DEFERRABLE", tVarchar(2)), cn("INITIALLY_DEFERRED", tVarchar(2)))}
		for _, t := range d.sortedTables() {
			for _, ix := range sortedIndexes(t) {
				kind := "UNIQUE"
				if ix.Primary {
					kind = "PRIMARY KEY"
				}
				rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, ix.Name, d.Name, t.Schema.Name, t.Name, kind, "NO", "NO"})
			}
		}
		return rel
	case "key_column_usage":
		rel := &relation{cols: cols(cn("CONSTRAINT_CATALOG", tName), cn("CONSTRAINT_SCHEMA", tName), c("CONSTRAINT_NAME", tName),
			cn("TABLE_CATALOG", tName), cn("TABLE_SCHEMA", tName), c("TABLE_NAME", tName), cn("COLUMN_NAME", tName), c("ORDINAL_POSITION", tInt))}
		for _, t := range d.sortedTables() {
			for _, ix := range sortedIndexes(t) {
				for k, ord := range ix.Columns {
					rel.rows = append(rel.rows, []any{d.Name, t.Schema.Name, ix.Name, d.Name, t.Schema.Name, t.Name, t.Columns[ord].Name, int64(k + 1)})
				}
			}
		}
		return rel
	}
	return nil
}

// cdcView builds the CDC metadata tables of a CDC-enabled database.
func cdcView(d *Database, name string, snap uint64) *relation {
	switch name {
	case "change_tables":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-change-tables-transact-sql
		rel := &relation{cols: cols(c("object_id", tInt), c("version", tInt), c("source_object_id", tInt), c("capture_instance", tName),
			cn("start_lsn", sqltypes.LSNType), cn("end_lsn", sqltypes.LSNType), c("supports_net_changes", tBit), c("has_drop_pending", tBit),
			cn("role_name", tName), cn("index_name", tName), cn("filegroup_name", tName), cn("create_date", tDT), c("partition_switch", tBit))}
		for _, ci := range d.cdc.instances {
			rel.rows = append(rel.rows, []any{int64(ci.ct.ID), int64(0), int64(ci.source.ID), ci.name, lsnBytes(ci.startLSN), nil, ci.netChanges, false,
				ci.roleName, nilIfEmpty(ci.indexName), ci.filegroup, sqltypes.FromTime(ci.created, tDT), false})
		}
		return rel
	case "captured_columns":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-captured-columns-transact-sql
		rel := &relation{cols: cols(c("object_id", tInt), c("column_name", tName), c("column_id", tInt), c("column_type", tName),
			c("column_ordinal", tInt), c("is_computed", tBit), cn("masking_function", sqltypes.NVarCharType(4000)))}
		for _, ci := range d.cdc.instances {
			for i, n := range ci.colNames {
				computed := false
				if ord := ci.cols[i]; ord >= 0 && ord < len(ci.source.Columns) {
					computed = ci.source.Columns[ord].Computed != nil
				}
				rel.rows = append(rel.rows, []any{int64(ci.ct.ID), n, int64(ci.colIDs[i]), ci.colTypes[i].ID.Name(), int64(i + 1), computed, nil})
			}
		}
		return rel
	case "index_columns":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-index-columns-transact-sql
		rel := &relation{cols: cols(c("object_id", tInt), c("column_name", tName), c("index_ordinal", tTiny), c("column_id", tInt))}
		for _, ci := range d.cdc.instances {
			for k, pos := range ci.indexCols {
				rel.rows = append(rel.rows, []any{int64(ci.ct.ID), ci.colNames[pos], int64(k + 1), int64(ci.colIDs[pos])})
			}
		}
		return rel
	case "ddl_history":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-ddl-history-transact-sql
		rel := &relation{cols: cols(c("source_object_id", tInt), c("object_id", tInt), c("required_column_update", tBit),
			c("ddl_command", sqltypes.NVarCharType(sqltypes.Max)), c("ddl_lsn", sqltypes.LSNType), cn("ddl_time", tDT))}
		for _, h := range d.cdc.ddl {
			rel.rows = append(rel.rows, []any{int64(h.sourceID), int64(h.ctID), false, h.command, lsnBytes(h.lsn), sqltypes.FromTime(h.time, tDT)})
		}
		return rel
	case "lsn_time_mapping":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-lsn-time-mapping-transact-sql
		rel := &relation{cols: cols(c("start_lsn", sqltypes.LSNType), cn("tran_begin_time", tDT), cn("tran_end_time", tDT),
			cn("tran_id", sqltypes.VarBinaryType(10)), cn("tran_begin_lsn", sqltypes.LSNType))}
		for _, m := range d.cdc.mapping {
			if snap != 0 && m.capSeq > snap {
				continue
			}
			tranID := []byte{0} // the capture job's scan markers
			if m.txID != 0 {
				tranID = append([]byte{0, 0}, u64bytes(m.txID)...)
			}
			rel.rows = append(rel.rows, []any{lsnBytes(m.startLSN), sqltypes.FromTime(wall(m.beginTime), tDT), sqltypes.FromTime(wall(m.endTime), tDT),
				tranID, lsnBytes(m.beginLSN)})
		}
		return rel
	}
	return nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// columnRow is a row of sys.columns (and sys.system_columns).
func columnRow(objectID int64, name string, columnID int64, t sqltypes.Type, nullable, identity, computed bool, defaultID int64) []any {
	prec, scale := t.PrecisionScale()
	var coll any
	if t.ID.IsCharacter() {
		coll = t.Collation.Name
	}
	padded := t.ID.IsCharacter() || t.ID.IsBinary()
	return []any{objectID, name, columnID, int64(t.SystemTypeID()), int64(t.UserTypeID()),
		int64(t.MaxLength()), int64(prec), int64(scale), coll, nullable, padded, false, identity, computed, false,
		false, false, false, false, false, int64(0), defaultID, int64(0), false, false, int64(0), "NOT_APPLICABLE"}
}

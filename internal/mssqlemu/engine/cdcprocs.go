package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

// cdcProc runs the sys.sp_cdc_* procedures. Callers hold e.mu.
func (s *session) cdcProc(proc string, args []procArg, w tds.ResultWriter) (int32, error) {
	d, err := s.curDB()
	if err != nil {
		return 1, err
	}
	switch proc {
	case "sp_cdc_enable_db":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-db-transact-sql
		if _, err := bind(proc, nil, args); err != nil {
			return 1, err
		}
		if d.ID <= 4 {
			return 1, msg(22988, 16, 1, fmt.Sprintf("This instance of SQL Server cannot enable change data capture on system database '%s'.", d.Name))
		}
		s.e.enableDB(d)
		return 0, nil
	case "sp_cdc_disable_db":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-disable-db-transact-sql
		if d.cdc != nil {
			for len(d.cdc.instances) > 0 {
				s.e.dropCapture(d, d.cdc.instances[0])
			}
		}
		d.CDCEnabled = false
		d.cdc = nil
		// The cdc schema goes with it unless user objects remain in it.
		if sc := d.schema("cdc"); sc != nil {
			inUse := false
			for _, t := range d.tables {
				inUse = inUse || t.Schema == sc
			}
			if !inUse {
				delete(d.schemas, "cdc")
			}
		}
		return 0, nil
	case "sp_cdc_enable_table":
		return s.enableTable(d, args)
	case "sp_cdc_disable_table":
		return s.disableTable(d, args)
	case "sp_cdc_help_change_data_capture":
		return s.helpCDC(d, args, w)
	case "sp_cdc_get_captured_columns":
		return s.capturedColumnsProc(d, args, w)
	case "sp_cdc_cleanup_change_table":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-cleanup-change-table-transact-sql
		a, err := bind(proc, []string{"@capture_instance", "@low_water_mark", "@threshold", "@fCleanupFailed"}, args)
		if err != nil {
			return 1, err
		}
		if err := a.require(proc, "@capture_instance", "@low_water_mark", "@threshold"); err != nil {
			return 1, err
		}
		if err := notEnabled(d); err != nil {
			return 1, err
		}
		name, _ := a.str("@capture_instance")
		ci := d.captureInstance(name)
		if ci == nil {
			return 1, msg(22985, 16, 1, fmt.Sprintf("Could not update the metadata that indicates the capture instance '%s' has been cleaned up. The capture instance does not exist in the current database.", name))
		}
		lw := a["@low_water_mark"]
		low := ci.startLSN
		if b, ok := lw.val.([]byte); ok && len(b) == 10 {
			low = lsnValue(b)
		} else if lw.val == nil {
			low = d.maxLSN()
		}
		if low > d.maxLSN()+1 {
			return 1, msg(22964, 16, 1, fmt.Sprintf("LSN %X, specified as the new low endpoint for the change table associated with capture instance '%s', is not within the Change Data Capture timeline [%X, %X].", lsnBytes(low), ci.name, lsnBytes(ci.startLSN), lsnBytes(d.maxLSN())))
		}
		s.e.cleanupInstance(d, ci, low)
		return 0, nil
	case "sp_cdc_help_jobs":
		rel := &relation{cols: []relCol{{name: "job_id", typ: sqltypes.GUIDType}, {name: "job_type", typ: sqltypes.NVarCharType(20)},
			{name: "job_name", typ: sqltypes.SysNameType}, {name: "maxtrans", typ: sqltypes.IntType, nullable: true}, {name: "maxscans", typ: sqltypes.IntType, nullable: true},
			{name: "continuous", typ: sqltypes.BitType, nullable: true}, {name: "pollinginterval", typ: sqltypes.BigIntType, nullable: true},
			{name: "retention", typ: sqltypes.BigIntType, nullable: true}, {name: "threshold", typ: sqltypes.BigIntType, nullable: true}}}
		if d.CDCEnabled {
			ret := int64(4320)
			if r := s.e.cfg.CleanupRetention; r > 0 {
				ret = max(int64(r.Minutes()), 1)
			}
			rel.rows = [][]any{
				{sqltypes.GUID{1}, "capture", "cdc." + d.Name + "_capture", int64(500), int64(10), true, int64(5), nil, nil},
				{sqltypes.GUID{2}, "cleanup", "cdc." + d.Name + "_cleanup", nil, nil, nil, nil, ret, int64(5000)},
			}
		}
		return 0, sendRelation(w, rel)
	case "sp_cdc_start_job", "sp_cdc_stop_job", "sp_cdc_add_job", "sp_cdc_change_job", "sp_cdc_drop_job", "sp_cdc_scan":
		return 0, notEnabled(d)
	}
	return 1, msg(2812, 16, 62, fmt.Sprintf("Could not find stored procedure 'sys.%s'.", proc))
}

func notEnabled(d *Database) error {
	if !d.CDCEnabled {
		return msg(22901, 16, 1, fmt.Sprintf("The database '%s' is not enabled for Change Data Capture. Ensure that the correct database context is set and retry the operation. To report on the databases enabled for Change Data Capture, query the is_cdc_enabled column in the sys.databases catalog view.", d.Name))
	}
	return nil
}

// lsnValue decodes an LSN written by lsnBytes (other values map to the
// nearest representable value below).
func lsnValue(b []byte) uint64 {
	if len(b) != 10 {
		return 0
	}
	v := uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	if b[0]|b[1]|b[2] != 0 || b[3] > 0x2A {
		return 1<<32 - 1
	}
	if b[3] < 0x2A {
		return 0
	}
	return v
}

func (e *Engine) enableDB(d *Database) {
	if d.CDCEnabled {
		return
	}
	d.CDCEnabled = true
	sc := d.schema("cdc")
	if sc == nil {
		sc = d.addSchema("cdc")
	}
	d.cdc = &cdcState{schema: sc}
}

// enableTable is sys.sp_cdc_enable_table:
// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-enable-table-transact-sql
func (s *session) enableTable(d *Database, args []procArg) (int32, error) {
	const proc = "sp_cdc_enable_table"
	a, err := bind(proc, []string{"@source_schema", "@source_name", "@role_name", "@capture_instance", "@supports_net_changes",
		"@index_name", "@captured_column_list", "@filegroup_name", "@allow_partition_switch"}, args)
	if err != nil {
		return 1, err
	}
	if err := a.require(proc, "@source_schema", "@source_name", "@role_name"); err != nil {
		return 1, err
	}
	if err := notEnabled(d); err != nil {
		return 1, err
	}
	schema, _ := a.str("@source_schema")
	name, _ := a.str("@source_name")
	t := d.table(schema, name)
	if t == nil || t.System {
		return 1, msg(22931, 16, 1, fmt.Sprintf("Source table '%s.%s' does not exist in the current database. Ensure that the correct database context is set. Specify a valid schema and table name for the database.", schema, name))
	}
	if len(t.capture) >= 2 {
		return 1, msg(22962, 16, 1, fmt.Sprintf("Two capture instances already exist for source table '%s.%s'. A table can have a maximum of two capture instances. If this is not the desired result, use the stored procedure sys.sp_cdc_disable_table to disable tracking of one of the existing capture instances, and then retry.", t.Schema.Name, t.Name))
	}
	ciName, ok := a.str("@capture_instance")
	if !ok || ciName == "" {
		ciName = t.Schema.Name + "_" + t.Name
	}
	if d.captureInstance(ciName) != nil {
		return 1, msg(22926, 16, 1, fmt.Sprintf("Could not create a capture instance because the capture instance name '%s' already exists in the current database. Specify an explicit unique name for the parameter @capture_instance.", ciName))
	}
	ci := &captureInstance{name: ciName, source: t, created: wall(s.e.cfg.Now())}
	if p := a["@role_name"]; p.val != nil {
		ci.roleName = p.val
	}
	if p := a["@filegroup_name"]; p.val != nil {
		ci.filegroup = p.val
	}
	// Row-identifying index: @index_name or the primary key.
	var ix *Index
	if iname, ok := a.str("@index_name"); ok {
		for _, o := range t.Indexes {
			if strings.EqualFold(o.Name, iname) && o.Unique {
				ix = o
			}
		}
		if ix == nil {
			return 1, msg(22940, 16, 1, fmt.Sprintf("Could not locate index '%s' for table '%s.%s'. The index must be a unique index, primary key, or unique constraint.", iname, t.Schema.Name, t.Name))
		}
	} else {
		ix = t.PK()
	}
	net, given := a.boolean("@supports_net_changes")
	if !given {
		net = ix != nil
	}
	if net && ix == nil {
		return 1, msg(22939, 16, 1, "The parameter @supports_net_changes is set to 1, but the source table does not have a primary key defined and no alternate unique index has been specified.")
	}
	ci.netChanges = net
	// Captured columns.
	if list, ok := a.str("@captured_column_list"); ok && strings.TrimSpace(list) != "" {
		for _, raw := range strings.Split(list, ",") {
			n := strings.Trim(strings.TrimSpace(raw), "[]\"")
			i := t.colIndex(n)
			if i < 0 {
				return 1, msg(22944, 16, 1, fmt.Sprintf("The column '%s' specified in @captured_column_list is not a column of the source table '%s.%s'.", n, t.Schema.Name, t.Name))
			}
			ci.cols = append(ci.cols, i)
		}
		sortInts(ci.cols)
		if ix != nil {
			for _, ord := range ix.Columns {
				found := false
				for _, c := range ci.cols {
					found = found || c == ord
				}
				if !found {
					return 1, msg(22945, 16, 1, fmt.Sprintf("Could not create a capture instance because the index column '%s' is not in the captured column list. Add the column to @captured_column_list and retry.", t.Columns[ord].Name))
				}
			}
		}
	} else {
		for i := range t.Columns {
			ci.cols = append(ci.cols, i)
		}
	}
	for _, ord := range ci.cols {
		c := t.Columns[ord]
		ct := c.Type
		if ct.ID == sqltypes.Timestamp {
			ct = sqltypes.Type{ID: sqltypes.Binary, Length: 8}
		}
		ci.colNames = append(ci.colNames, c.Name)
		ci.colIDs = append(ci.colIDs, c.ID)
		ci.colTypes = append(ci.colTypes, ct)
	}
	if ix != nil {
		ci.indexName = ix.Name
		for _, ord := range ix.Columns {
			for k, c := range ci.cols {
				if c == ord {
					ci.indexCols = append(ci.indexCols, k)
				}
			}
		}
	}
	// The change table.
	now := s.e.cfg.Now()
	ct := &Table{Schema: d.cdc.schema, Name: ciName + "_CT", Created: now, Modified: now, System: true, pkIndex: map[string]*rowChain{}, db: d}
	ct.ID = d.newObjectID()
	add := func(name string, typ sqltypes.Type, nullable bool) {
		ct.Columns = append(ct.Columns, &Column{ID: int32(len(ct.Columns) + 1), Name: name, Type: typ, Nullable: nullable})
	}
	add("__$start_lsn", sqltypes.LSNType, false)
	add("__$end_lsn", sqltypes.LSNType, true)
	add("__$seqval", sqltypes.LSNType, false)
	add("__$operation", sqltypes.IntType, false)
	add("__$update_mask", sqltypes.VarBinaryType(128), true)
	for i, n := range ci.colNames {
		add(n, ci.colTypes[i], true)
	}
	add("__$command_id", sqltypes.IntType, true)
	d.tables[ct.ID] = ct
	ci.ct = ct
	ci.seqCreated = s.e.nextSeq()
	ci.startLSN = ci.seqCreated
	// The capture job records its scan position in cdc.lsn_time_mapping
	// even without tracked changes (rows with tran_id 0x0), so the maximum
	// LSN is at or past a new instance's start. It scans the log in order,
	// so the transactions committed before the instance are captured
	// first: recorded ahead of them, sys.fn_cdc_get_max_lsn jumped past
	// committed changes not written yet, and a reader that read up to it
	// never saw them (lost changes in TestRegistryOutageRecovers, which
	// enables a second instance while other tables change).
	s.e.captureDue(now, true)
	d.cdc.addMapping(lsnMapping{capSeq: ci.seqCreated, startLSN: ci.startLSN, beginTime: now, endTime: now, beginLSN: ci.startLSN})
	t.capture = append(t.capture, ci)
	d.cdc.instances = append(d.cdc.instances, ci)
	return 0, nil
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// disableTable is sys.sp_cdc_disable_table:
// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-disable-table-transact-sql
func (s *session) disableTable(d *Database, args []procArg) (int32, error) {
	const proc = "sp_cdc_disable_table"
	a, err := bind(proc, []string{"@source_schema", "@source_name", "@capture_instance"}, args)
	if err != nil {
		return 1, err
	}
	if err := a.require(proc, "@source_schema", "@source_name", "@capture_instance"); err != nil {
		return 1, err
	}
	if err := notEnabled(d); err != nil {
		return 1, err
	}
	schema, _ := a.str("@source_schema")
	name, _ := a.str("@source_name")
	t := d.table(schema, name)
	if t == nil {
		return 1, msg(22931, 16, 1, fmt.Sprintf("Source table '%s.%s' does not exist in the current database. Ensure that the correct database context is set. Specify a valid schema and table name for the database.", schema, name))
	}
	which, _ := a.str("@capture_instance")
	if strings.EqualFold(which, "all") {
		for len(t.capture) > 0 {
			s.e.dropCapture(d, t.capture[0])
		}
		return 0, nil
	}
	for _, ci := range t.capture {
		if strings.EqualFold(ci.name, which) {
			s.e.dropCapture(d, ci)
			return 0, nil
		}
	}
	return 1, msg(22932, 16, 1, fmt.Sprintf("Could not find the capture instance '%s' for source table '%s.%s'. Verify the capture instance name and retry.", which, t.Schema.Name, t.Name))
}

// helpCDC is sys.sp_cdc_help_change_data_capture; its result set follows
// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-help-change-data-capture-transact-sql
func (s *session) helpCDC(d *Database, args []procArg, w tds.ResultWriter) (int32, error) {
	a, err := bind("sp_cdc_help_change_data_capture", []string{"@source_schema", "@source_name"}, args)
	if err != nil {
		return 1, err
	}
	if err := notEnabled(d); err != nil {
		return 1, err
	}
	schema, _ := a.str("@source_schema")
	name, _ := a.str("@source_name")
	rel := &relation{cols: []relCol{
		{name: "source_schema", typ: sqltypes.SysNameType}, {name: "source_table", typ: sqltypes.SysNameType},
		{name: "capture_instance", typ: sqltypes.SysNameType}, {name: "object_id", typ: sqltypes.IntType},
		{name: "source_object_id", typ: sqltypes.IntType}, {name: "start_lsn", typ: sqltypes.LSNType, nullable: true},
		{name: "end_lsn", typ: sqltypes.LSNType, nullable: true}, {name: "supports_net_changes", typ: sqltypes.BitType, nullable: true},
		{name: "has_drop_pending", typ: sqltypes.BitType, nullable: true}, {name: "role_name", typ: sqltypes.SysNameType, nullable: true},
		{name: "index_name", typ: sqltypes.SysNameType, nullable: true}, {name: "filegroup_name", typ: sqltypes.SysNameType, nullable: true},
		{name: "create_date", typ: sqltypes.DateTimeType, nullable: true}, {name: "index_column_list", typ: sqltypes.NVarCharType(sqltypes.Max), nullable: true},
		{name: "captured_column_list", typ: sqltypes.NVarCharType(sqltypes.Max), nullable: true},
	}}
	for _, ci := range d.cdc.instances {
		t := ci.source
		if name != "" && (!strings.EqualFold(t.Name, name) || !strings.EqualFold(t.Schema.Name, schema)) {
			continue
		}
		var idxName, idxList any
		if ci.indexName != "" {
			idxName = ci.indexName
			var names []string
			for _, k := range ci.indexCols {
				names = append(names, "["+ci.colNames[k]+"]")
			}
			idxList = strings.Join(names, ", ")
		}
		var capList []string
		for _, n := range ci.colNames {
			capList = append(capList, "["+n+"]")
		}
		rel.rows = append(rel.rows, []any{t.Schema.Name, t.Name, ci.name, int64(ci.ct.ID), int64(t.ID), lsnBytes(ci.startLSN), nil,
			ci.netChanges, false, ci.roleName, idxName, ci.filegroup, sqltypes.FromTime(ci.created, sqltypes.DateTimeType), idxList, strings.Join(capList, ", ")})
	}
	return 0, sendRelation(w, rel)
}

// capturedColumnsProc is sys.sp_cdc_get_captured_columns:
// https://learn.microsoft.com/en-us/sql/relational-databases/system-stored-procedures/sys-sp-cdc-get-captured-columns-transact-sql
func (s *session) capturedColumnsProc(d *Database, args []procArg, w tds.ResultWriter) (int32, error) {
	a, err := bind("sp_cdc_get_captured_columns", []string{"@capture_instance"}, args)
	if err != nil {
		return 1, err
	}
	if err := notEnabled(d); err != nil {
		return 1, err
	}
	name, _ := a.str("@capture_instance")
	ci := d.captureInstance(name)
	if ci == nil {
		return 1, msg(22981, 16, 1, fmt.Sprintf("Object does not exist or access is denied."))
	}
	rel := &relation{cols: []relCol{
		{name: "source_schema", typ: sqltypes.SysNameType}, {name: "source_table", typ: sqltypes.SysNameType},
		{name: "capture_instance", typ: sqltypes.SysNameType}, {name: "column_name", typ: sqltypes.SysNameType},
		{name: "column_id", typ: sqltypes.IntType}, {name: "ordinal_position", typ: sqltypes.IntType},
		{name: "data_type", typ: sqltypes.SysNameType}, {name: "character_maximum_length", typ: sqltypes.IntType, nullable: true},
		{name: "numeric_precision", typ: sqltypes.TinyIntType, nullable: true}, {name: "numeric_precision_radix", typ: sqltypes.SmallIntType, nullable: true},
		{name: "numeric_scale", typ: sqltypes.IntType, nullable: true}, {name: "datetime_precision", typ: sqltypes.SmallIntType, nullable: true},
	}}
	for i, n := range ci.colNames {
		is := infoSchemaType(ci.colTypes[i])
		rel.rows = append(rel.rows, []any{ci.source.Schema.Name, ci.source.Name, ci.name, n, int64(ci.colIDs[i]), int64(i + 1),
			ci.colTypes[i].ID.Name(), is.charMax, is.numPrec, is.numRadix, is.numScale, is.dtPrec})
	}
	return 0, sendRelation(w, rel)
}

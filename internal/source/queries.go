package source

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// All SQL the reader sends is here. Each statement reads one table or view
// (no joins) and uses only documented catalog views and CDC functions, so
// that it runs on every SQL Server edition that has CDC and on the emulator.
// Parameters are @p1, @p2, ... as go-mssqldb numbers positional arguments.

const (
	// qCurrentDatabase names the connection's database when Config.Database is empty.
	qCurrentDatabase = `SELECT DB_NAME()`

	// qDatabase reads whether CDC and SNAPSHOT isolation are on (@p1 = name).
	// snapshot_isolation_state: 0 off, 1 on, 2 turning off, 3 turning on.
	qDatabase = `SELECT name, is_cdc_enabled, snapshot_isolation_state FROM sys.databases WHERE name = @p1`

	qSchemas = `SELECT schema_id, name FROM sys.schemas`

	qTables = `SELECT object_id, schema_id, name, is_tracked_by_cdc FROM sys.tables`

	qTypes = `SELECT user_type_id, system_type_id, name, is_user_defined, is_assembly_type FROM sys.types`

	// qColumns lists a table's columns (@p1 = source object_id).
	qColumns = `SELECT column_id, name, user_type_id, max_length, [precision], [scale], is_nullable, collation_name, is_identity, is_computed ` +
		`FROM sys.columns WHERE object_id = @p1 ORDER BY column_id`

	// qIndexes lists a table's indexes (@p1 = source object_id); the reader
	// keeps the primary key's.
	qIndexes = `SELECT index_id, name, is_primary_key FROM sys.indexes WHERE object_id = @p1`

	// qIndexColumns lists an index's key columns in key order (@p1 = object_id, @p2 = index_id).
	qIndexColumns = `SELECT column_id, key_ordinal FROM sys.index_columns WHERE object_id = @p1 AND index_id = @p2 AND key_ordinal > 0 ORDER BY key_ordinal`

	// qChangeTables lists every capture instance of the database.
	qChangeTables = `SELECT object_id, source_object_id, capture_instance, start_lsn, create_date, supports_net_changes, role_name, index_name, filegroup_name FROM cdc.change_tables`

	// qDefaults lists a table's default constraints (@p1 = source object_id).
	qDefaults = `SELECT parent_column_id, definition FROM sys.default_constraints WHERE parent_object_id = @p1`

	// qDDLHistory lists the DDL recorded on captured tables, oldest first.
	qDDLHistory = `SELECT source_object_id, ddl_command, ddl_lsn FROM cdc.ddl_history ORDER BY ddl_lsn`

	// qCapturedColumns lists a capture instance's columns (@p1 = the change
	// table's object_id) with their ordinal in __$update_mask.
	qCapturedColumns = `SELECT object_id, column_name, column_id, column_ordinal FROM cdc.captured_columns WHERE object_id = @p1 ORDER BY column_ordinal`

	qMaxLSN = `SELECT sys.fn_cdc_get_max_lsn()`

	// qMinLSN is the lowest LSN still held for a capture instance (@p1 = its name).
	qMinLSN = `SELECT sys.fn_cdc_get_min_lsn(@p1)`

	// qLSNTimes maps commit LSNs to commit times, a page at a time
	// (@p1 = page size, @p2 = first LSN wanted).
	qLSNTimes = `SELECT TOP (@p1) start_lsn, tran_begin_time, tran_end_time FROM cdc.lsn_time_mapping WHERE start_lsn >= @p2 ORDER BY start_lsn`

	// qPartitionRows estimates a table's rows for progress (@p1 = object_id):
	// the heap or clustered index partitions (index_id 0 or 1).
	qPartitionRows = `SELECT index_id, rows FROM sys.partitions WHERE object_id = @p1`
)

// quoteName quotes an identifier as QUOTENAME does.
func quoteName(s string) string {
	return "[" + strings.ReplaceAll(s, "]", "]]") + "]"
}

// quoteString renders an N'...' literal, for the commands error messages suggest.
func quoteString(s string) string {
	return "N'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func tableName(t *catalog.Table) string {
	return quoteName(t.Schema) + "." + quoteName(t.Name)
}

func columnList(t *catalog.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteName(c.Name)
	}
	return strings.Join(cols, ", ")
}

// qCountRows counts a table's rows exactly, when sys.partitions is not readable.
func qCountRows(t *catalog.Table) string {
	return "SELECT COUNT_BIG(*) FROM " + tableName(t)
}

// qSnapshotChunk reads the next chunk of a table in primary-key order by
// keyset pagination: @p1 is the chunk size and, when after is true,
// @p2... are the last key read, so that the query resumes after it:
//
//	WHERE (k1 > @p2) OR (k1 = @p2 AND k2 > @p3) ...
func qSnapshotChunk(t *catalog.Table, after bool) string {
	return qSnapshotRange(t, after, false, false)
}

// qSnapshotRange is qSnapshotChunk limited to a range of the first key
// column: with from, k1 >= the next parameter; with to, k1 < the one after.
func qSnapshotRange(t *catalog.Table, after, from, to bool) string {
	var sb strings.Builder
	sb.WriteString("SELECT TOP (@p1) ")
	sb.WriteString(columnList(t))
	sb.WriteString(" FROM ")
	sb.WriteString(tableName(t))
	var conds []string
	next := 2
	if after {
		var or strings.Builder
		for i := range t.PrimaryKey {
			if i > 0 {
				or.WriteString(" OR ")
			}
			or.WriteString("(")
			for j := 0; j < i; j++ {
				fmt.Fprintf(&or, "%s = @p%d AND ", quoteName(t.PrimaryKey[j]), j+next)
			}
			fmt.Fprintf(&or, "%s > @p%d)", quoteName(t.PrimaryKey[i]), i+next)
		}
		next += len(t.PrimaryKey)
		if from || to {
			conds = append(conds, "("+or.String()+")")
		} else {
			conds = append(conds, or.String())
		}
	}
	if from {
		conds = append(conds, fmt.Sprintf("%s >= @p%d", quoteName(t.PrimaryKey[0]), next))
		next++
	}
	if to {
		conds = append(conds, fmt.Sprintf("%s < @p%d", quoteName(t.PrimaryKey[0]), next))
	}
	if len(conds) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(conds, " AND "))
	}
	sb.WriteString(" ORDER BY ")
	for i, k := range t.PrimaryKey {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteName(k))
	}
	return sb.String()
}

// qKeyBounds reads the lowest and highest value of a table's first key
// column, to split its snapshot into ranges (an index seek at each end of
// the clustered primary key on SQL Server).
func qKeyBounds(t *catalog.Table) string {
	k := quoteName(t.PrimaryKey[0])
	return "SELECT MIN(" + k + "), MAX(" + k + ") FROM " + tableName(t)
}

// Metadata columns read before a table's columns in qChanges.
const changeMetaColumns = 4

// qChanges reads a capture instance's changes in (@p1, @p2) inclusive, with
// both images of updates, in the order they were made. The function does
// not return __$command_id (only the change table has it), so the order is
// the one Microsoft documents: commit LSN, seqval, operation.
func qChanges(t *catalog.Table) string {
	return "SELECT __$start_lsn, __$seqval, __$operation, __$update_mask, " +
		columnList(t) +
		" FROM cdc." + quoteName("fn_cdc_get_all_changes_"+t.CaptureInstance) +
		"(@p1, @p2, N'all update old')" +
		" ORDER BY __$start_lsn, __$seqval, __$operation"
}

// enableDBCommand is what to run when the database lacks CDC.
func enableDBCommand(db string) string {
	return fmt.Sprintf("USE %s; EXEC sys.sp_cdc_enable_db;", quoteName(db))
}

// enableTableCommand is what to run when a table lacks CDC.
func enableTableCommand(schema, table string) string {
	return fmt.Sprintf("EXEC sys.sp_cdc_enable_table @source_schema = %s, @source_name = %s, @role_name = NULL;",
		quoteString(schema), quoteString(table))
}

// enableInstanceCommand creates a second capture instance of a table like
// its first (role, filegroup, net changes, row-identifying index) that
// captures every column the table has now.
func enableInstanceCommand(schema, table string, ci captureInstance, name string) string {
	role := "NULL"
	if ci.Role.Valid {
		role = quoteString(ci.Role.String)
	}
	net := "0"
	if ci.NetChanges {
		net = "1"
	}
	cmd := fmt.Sprintf("EXEC sys.sp_cdc_enable_table @source_schema = %s, @source_name = %s, @role_name = %s, @capture_instance = %s, @supports_net_changes = %s",
		quoteString(schema), quoteString(table), role, quoteString(name), net)
	if ci.Index.Valid && ci.NetChanges {
		cmd += ", @index_name = " + quoteString(ci.Index.String)
	}
	if ci.Filegroup.Valid {
		cmd += ", @filegroup_name = " + quoteString(ci.Filegroup.String)
	}
	return cmd + ";"
}

// disableInstanceCommand drops one capture instance of a table.
func disableInstanceCommand(schema, table, name string) string {
	return fmt.Sprintf("EXEC sys.sp_cdc_disable_table @source_schema = %s, @source_name = %s, @capture_instance = %s;",
		quoteString(schema), quoteString(table), quoteString(name))
}

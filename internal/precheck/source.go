package precheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/heartbeat"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Names of the source items, for PRECHECK_SKIP.
const (
	SourceConnection  = "source_connection"
	SourceVersion     = "source_version"
	SourcePermissions = "source_permissions"
	CDCDatabase       = "cdc_database"
	CDCTables         = "cdc_tables"
	CDCCaptureJob     = "cdc_capture_job"
	CDCRetention      = "cdc_retention"
	PrimaryKeys       = "primary_keys"
	UnsupportedTypes  = "unsupported_types"
	HeartbeatTable    = "heartbeat_table"
)

// Source describes the source side of a producer.
type Source struct {
	DB *sql.DB
	// Database is the database MSSQL_DSN names; Tables the producer's
	// TABLES (empty: every CDC-enabled table).
	Database string
	Tables   []string
	// Select further picks tables by schema and name (INCLUDE_TABLES and
	// EXCLUDE_TABLES), as source.Config.Select; nil picks every one.
	Select func(schema, table string) bool
	// Position returns the first LSN whose changes the producer still needs
	// (source.Position.ResumeLSN; zero for a first start), or an error
	// wrapping source.ErrStalePosition for a position of another life of
	// the database (a warning: STALE_POSITION decides); nil skips the
	// comparison with the retention.
	// PositionNeeds names the items it needs (the Kafka connection).
	Position      func(ctx context.Context) (lsn.LSN, error)
	PositionNeeds []string
	// ResnapshotLost says the producer takes a new snapshot of tables whose
	// unread changes were cleaned up (RETENTION_LOSS=resnapshot): they are
	// then a warning, not a failure.
	ResnapshotLost bool
	// Heartbeat is the producer's heartbeat table; nil when off.
	Heartbeat *heartbeat.Config
}

// Items are the source's items, in order.
func (s Source) Items() []Item {
	conn := []string{SourceConnection}
	return []Item{
		{Name: SourceConnection, Check: s.connection},
		{Name: SourceVersion, Needs: conn, Check: s.version},
		{Name: SourcePermissions, Needs: conn, Check: s.permissions},
		{Name: CDCDatabase, Needs: conn, Check: s.cdcDatabase},
		{Name: CDCTables, Needs: []string{SourceConnection, CDCDatabase}, Check: s.cdcTables},
		{Name: CDCCaptureJob, Needs: []string{SourceConnection, CDCDatabase}, Check: s.captureJob},
		{Name: CDCRetention, Needs: append([]string{SourceConnection, CDCDatabase, CDCTables}, s.PositionNeeds...), Check: s.retention},
		{Name: PrimaryKeys, Needs: conn, Check: s.primaryKeys},
		{Name: UnsupportedTypes, Needs: conn, Check: s.unsupportedTypes},
		{Name: HeartbeatTable, Needs: conn, Check: s.heartbeat},
	}
}

func (s Source) heartbeat(ctx context.Context) Result {
	if s.Heartbeat == nil {
		return Pass("off (HEARTBEAT_TABLE=off): latency is measured only from changes of the captured tables")
	}
	name := s.Heartbeat.Schema + "." + s.Heartbeat.Table
	st, err := heartbeat.Inspect(ctx, s.DB, *s.Heartbeat)
	if err != nil {
		return Fail("", "%v", err)
	}
	if st.Exists && st.Captured {
		return Pass("%s exists and is enabled for change data capture", name)
	}
	var sysadmin, owner sql.NullInt64
	if err := s.DB.QueryRowContext(ctx, "SELECT IS_SRVROLEMEMBER('sysadmin'), IS_ROLEMEMBER('db_owner')").Scan(&sysadmin, &owner); err != nil {
		return Fail("", "cannot read the login's roles: %v", err)
	}
	if sysadmin.Int64 == 1 || owner.Int64 == 1 {
		return Pass("%s will be created and enabled for change data capture at start", name)
	}
	return Warn("a DBA runs "+heartbeat.Statements(*s.Heartbeat)+" (or set HEARTBEAT_TABLE=off)",
		"%s is missing or not captured, and the login may not create it: without it latency is not known while the tables are idle", name)
}

func (s Source) connection(ctx context.Context) Result {
	var login, db, server string
	err := s.DB.QueryRowContext(ctx, "SELECT SUSER_SNAME(), DB_NAME(), @@SERVERNAME").Scan(&login, &db, &server)
	if err != nil {
		return Fail("check MSSQL_DSN (host, port, login, password, database) and that the server accepts TCP connections",
			"cannot log in to SQL Server: %v", err)
	}
	if s.Database != "" && !strings.EqualFold(db, s.Database) {
		return Fail("set database="+s.Database+" in MSSQL_DSN", "the connection is to database %s, not %s", db, s.Database)
	}
	return Pass("logged in to %s as %s, database %s", server, login, db)
}

func (s Source) version(ctx context.Context) Result {
	var version, edition string
	var engine int
	err := s.DB.QueryRowContext(ctx, `SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)),
  CAST(SERVERPROPERTY('Edition') AS nvarchar(128)), CAST(SERVERPROPERTY('EngineEdition') AS int)`).Scan(&version, &edition, &engine)
	if err != nil {
		return Fail("", "cannot read SERVERPROPERTY('ProductVersion'): %v", err)
	}
	v := parseVersion(version)
	switch {
	case v[0] < 11:
		return Fail("upgrade to SQL Server 2012 or later",
			"SQL Server %s (%s) is older than SQL Server 2012 (11.0), the oldest version supported (as DTS)", version, edition)
	case engine == 4:
		// Express has no SQL Server Agent: the capture job never runs.
		return Fail("use Standard, Enterprise or Developer edition",
			"SQL Server %s %s: change data capture needs SQL Server Agent, which Express edition lacks", version, edition)
	case engine == 2 && (v[0] < 13 || v[0] == 13 && v[2] < 4001):
		return Fail("upgrade to SQL Server 2016 SP1 (13.0.4001) or later, or use Enterprise edition",
			"SQL Server %s %s: change data capture needs Enterprise edition before SQL Server 2016 SP1", version, edition)
	}
	return Pass("SQL Server %s, %s", version, edition)
}

// parseVersion reads "15.0.4322.2" as [15 0 4322 2].
func parseVersion(s string) [4]int {
	var v [4]int
	for i, p := range strings.SplitN(s, ".", 4) {
		v[i], _ = strconv.Atoi(p)
	}
	return v
}

func (s Source) permissions(ctx context.Context) Result {
	var login, db string
	var sysadmin, owner sql.NullInt64
	err := s.DB.QueryRowContext(ctx, "SELECT SUSER_SNAME(), DB_NAME(), IS_SRVROLEMEMBER('sysadmin'), IS_ROLEMEMBER('db_owner')").
		Scan(&login, &db, &sysadmin, &owner)
	if err != nil {
		return Fail("", "cannot read the login's roles: %v", err)
	}
	switch {
	case sysadmin.Int64 == 1:
		return Pass("login %s is a sysadmin", login)
	case owner.Int64 == 1:
		return Pass("login %s is a member of db_owner in %s", login, db)
	}
	// The CDC functions need SELECT on every captured column and the
	// catalog; DTS asks for owner-level rights, as we do.
	return Fail(fmt.Sprintf("USE %s; ALTER ROLE db_owner ADD MEMBER %s;", quoteName(db), quoteName(login)),
		"login %s is not a member of db_owner in database %s (owner-level rights are needed to read the change tables and the catalog)", login, db)
}

func (s Source) cdcDatabase(ctx context.Context) Result {
	var db string
	var on bool
	err := s.DB.QueryRowContext(ctx, "SELECT name, is_cdc_enabled FROM sys.databases WHERE name = DB_NAME()").Scan(&db, &on)
	if err != nil {
		return Fail("", "cannot read sys.databases: %v", err)
	}
	if !on {
		return Fail("a sysadmin runs "+source.EnableDatabaseCommand(db), "change data capture is not enabled on database %s", db)
	}
	return Pass("change data capture is enabled on database %s", db)
}

// sourceTable is what the items learn of one table.
type sourceTable struct {
	id           int64
	schema, name string
	tracked      bool
	hasPK        bool
}

func (t sourceTable) String() string { return t.schema + "." + t.name }

// tables returns the selected tables: those TABLES names, or every
// CDC-enabled table; missing names those TABLES names that do not exist.
func (s Source) tables(ctx context.Context) (selected []sourceTable, missing []string, err error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT t.object_id, SCHEMA_NAME(t.schema_id), t.name, t.is_tracked_by_cdc,
  CASE WHEN EXISTS (SELECT 1 FROM sys.indexes i WHERE i.object_id = t.object_id AND i.is_primary_key = 1) THEN 1 ELSE 0 END
FROM sys.tables t ORDER BY 2, 3`)
	if err != nil {
		return nil, nil, fmt.Errorf("read sys.tables: %w", err)
	}
	defer rows.Close()
	var all []sourceTable
	for rows.Next() {
		var t sourceTable
		var pk int
		if err := rows.Scan(&t.id, &t.schema, &t.name, &t.tracked, &pk); err != nil {
			return nil, nil, fmt.Errorf("read sys.tables: %w", err)
		}
		t.hasPK = pk == 1
		if t.schema != "cdc" {
			all = append(all, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read sys.tables: %w", err)
	}
	picked := func(t sourceTable) bool { return s.Select == nil || s.Select(t.schema, t.name) }
	if len(s.Tables) == 0 {
		for _, t := range all {
			if t.tracked && picked(t) {
				selected = append(selected, t)
			}
		}
		return selected, nil, nil
	}
	for _, n := range s.Tables {
		schema, name, err := source.SplitTableName(n)
		if err != nil {
			return nil, nil, fmt.Errorf("TABLES: %w", err)
		}
		found := false
		for _, t := range all {
			if strings.EqualFold(t.schema, schema) && strings.EqualFold(t.name, name) {
				if picked(t) {
					selected = append(selected, t)
				}
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, schema+"."+name)
		}
	}
	return selected, missing, nil
}

func (s Source) cdcTables(ctx context.Context) Result {
	selected, missing, err := s.tables(ctx)
	if err != nil {
		return Fail("", "%v", err)
	}
	if len(missing) > 0 {
		return Fail("correct TABLES (schema.table, bracketed when a name holds a dot)", "TABLES names tables that do not exist: %s", strings.Join(missing, ", "))
	}
	if len(selected) == 0 {
		return Fail("run "+source.EnableTableCommand("dbo", "<table>")+" for each table to synchronize",
			"no table of the database is enabled for change data capture")
	}
	var off, fixes []string
	for _, t := range selected {
		if !t.tracked {
			off = append(off, t.String())
			fixes = append(fixes, source.EnableTableCommand(t.schema, t.name))
		}
	}
	if len(off) > 0 {
		return Fail(strings.Join(fixes, " "), "not enabled for change data capture: %s", strings.Join(off, ", "))
	}
	return Pass("%d tables selected, each enabled for change data capture", len(selected))
}

func (s Source) primaryKeys(ctx context.Context) Result {
	selected, _, err := s.tables(ctx)
	if err != nil {
		return Fail("", "%v", err)
	}
	var without []string
	for _, t := range selected {
		if !t.hasPK {
			without = append(without, t.String())
		}
	}
	if len(without) > 0 {
		return Fail("add a primary key (ALTER TABLE … ADD PRIMARY KEY (…)), or leave the table out of TABLES",
			"without a primary key (needed for keys, ordering and upserts): %s", strings.Join(without, ", "))
	}
	return Pass("every selected table has a primary key (%d tables)", len(selected))
}

func (s Source) unsupportedTypes(ctx context.Context) Result {
	selected, _, err := s.tables(ctx)
	if err != nil {
		return Fail("", "%v", err)
	}
	var left []string
	for _, t := range selected {
		cols, err := s.unsupportedColumns(ctx, t)
		if err != nil {
			return Fail("", "%v", err)
		}
		left = append(left, cols...)
	}
	if len(left) > 0 {
		return Warn("", "columns of types that are not synchronized (left out of the topics): %s", strings.Join(left, ", "))
	}
	return Pass("every column of the selected tables has a synchronized type")
}

func (s Source) unsupportedColumns(ctx context.Context, t sourceTable) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT c.name, ut.name, ut.is_user_defined, ut.is_assembly_type, st.name
FROM sys.columns c JOIN sys.types ut ON ut.user_type_id = c.user_type_id
LEFT JOIN sys.types st ON st.user_type_id = c.system_type_id
WHERE c.object_id = @p1 ORDER BY c.column_id`, t.id)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", t, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var col, typ string
		var userDefined, clr bool
		var sys sql.NullString
		if err := rows.Scan(&col, &typ, &userDefined, &clr, &sys); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", t, err)
		}
		base := typ
		if userDefined && sys.Valid {
			base = sys.String
		}
		if clr || !source.TypeSynchronized(base) {
			out = append(out, fmt.Sprintf("%s.%s (%s)", t, col, typ))
		}
	}
	return out, rows.Err()
}

func (s Source) captureJob(ctx context.Context) Result {
	jobs, err := s.jobs(ctx)
	if err != nil {
		return Fail("", "cannot list the CDC jobs (sys.sp_cdc_help_jobs): %v", err)
	}
	if _, ok := jobs["capture"]; !ok {
		return Fail("EXEC sys.sp_cdc_add_job @job_type = N'capture';", "database %s has no CDC capture job", s.Database)
	}
	// The capture job runs under SQL Server Agent; sys.dm_server_services
	// (VIEW SERVER STATE) says whether the Agent runs.
	var status string
	err = s.DB.QueryRowContext(ctx, "SELECT status_desc FROM sys.dm_server_services WHERE servicename LIKE N'SQL Server Agent%'").Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Warn("", "the capture job exists; SQL Server Agent is not listed in sys.dm_server_services, so whether it runs is unknown")
	case err != nil:
		return Warn("GRANT VIEW SERVER STATE to the login to have this checked",
			"the capture job exists; whether SQL Server Agent runs is unknown (sys.dm_server_services: %v)", err)
	case status != "Running":
		return Fail("start SQL Server Agent (and set it to start automatically)",
			"SQL Server Agent is %s: the capture job does not run, so no change reaches the change tables", strings.ToLower(status))
	}
	return Pass("the capture job exists and SQL Server Agent is running")
}

// jobs returns the database's CDC jobs by type, with their retention in
// minutes (cleanup job) or 0.
func (s Source) jobs(ctx context.Context) (map[string]int64, error) {
	rows, err := s.DB.QueryContext(ctx, "EXEC sys.sp_cdc_help_jobs")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var typ string
		var retention int64
		for i, n := range names {
			switch strings.ToLower(n) {
			case "job_type":
				typ = fmt.Sprint(vals[i])
			case "retention":
				if r, ok := vals[i].(int64); ok {
					retention = r
				}
			}
		}
		out[typ] = retention
	}
	return out, rows.Err()
}

func (s Source) retention(ctx context.Context) Result {
	jobs, err := s.jobs(ctx)
	if err != nil {
		return Fail("", "cannot list the CDC jobs (sys.sp_cdc_help_jobs): %v", err)
	}
	retention, hasCleanup := jobs["cleanup"]
	keep := "change rows are kept until cleaned up by hand (no cleanup job)"
	if hasCleanup {
		keep = fmt.Sprintf("the cleanup job keeps change rows %d minutes", retention)
	}
	if s.Position == nil {
		return Pass("%s", keep)
	}
	pos, err := s.Position(ctx)
	if errors.Is(err, source.ErrStalePosition) {
		return Warn("set STALE_POSITION=resnapshot to take a new snapshot of every table, or delete the position's key from the state topic",
			"%v", err)
	}
	if err != nil {
		return Fail("", "cannot read the stored position: %v", err)
	}
	if pos.IsZero() {
		return Pass("no stored position: the producer starts with a snapshot; %s", keep)
	}
	var at, now time.Time
	var atNull sql.NullTime
	if err := s.DB.QueryRowContext(ctx, "SELECT sys.fn_cdc_map_lsn_to_time(sys.fn_cdc_decrement_lsn(@p1)), GETDATE()", pos.Bytes()).Scan(&atNull, &now); err != nil {
		return Fail("", "cannot map the stored position to a time (sys.fn_cdc_map_lsn_to_time): %v", err)
	}
	at = atNull.Time
	// Every capture instance that existed at the position must still hold
	// the changes after it; one created later (a capture-instance switch)
	// starts after it by design.
	rows, err := s.DB.QueryContext(ctx, "SELECT capture_instance, sys.fn_cdc_get_min_lsn(capture_instance), create_date FROM cdc.change_tables ORDER BY capture_instance")
	if err != nil {
		return Fail("", "cannot read cdc.change_tables: %v", err)
	}
	var behind []string
	for rows.Next() {
		var ci string
		var min []byte
		var created time.Time
		if err := rows.Scan(&ci, &min, &created); err != nil {
			rows.Close()
			return Fail("", "cannot read cdc.change_tables: %v", err)
		}
		if atNull.Valid && created.After(at) {
			continue
		}
		if m, err := lsn.FromBytes(min); err == nil && m.Compare(pos) > 0 {
			behind = append(behind, fmt.Sprintf("%s (minimum LSN %s)", ci, m))
		}
	}
	rows.Close()
	if len(behind) > 0 && s.ResnapshotLost {
		return Warn("nothing to do: RETENTION_LOSS=resnapshot takes a new snapshot of those tables while the others stream on; "+
			"keep the producer down for less than the retention (EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = <minutes>)",
			"the changes from %s on are needed but the change tables start later: %s; the cleanup job removed changes never read", pos, strings.Join(behind, ", "))
	}
	if len(behind) > 0 {
		return Fail("set RETENTION_LOSS=resnapshot to take a new snapshot of just those tables, or start over with a new snapshot of every table: write a tombstone for the producer's key in STATE_TOPIC; "+
			"and keep the producer down for less than the retention (EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = <minutes>)",
			"the changes from %s on are needed but the change tables start later: %s; the cleanup job removed changes never read", pos, strings.Join(behind, ", "))
	}
	if !atNull.Valid {
		return Pass("the stored position %s is inside the change tables; %s", pos, keep)
	}
	lag := now.Sub(at).Round(time.Minute)
	if hasCleanup && retention > 0 && lag > time.Duration(retention)*time.Minute/2 {
		return Warn("raise the retention (EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = <minutes>) or start the producer soon",
			"the stored position is %s behind, more than half the %d minutes the cleanup job keeps change rows", lag, retention)
	}
	return Pass("the stored position is %s behind; %s", lag, keep)
}

// quoteName is T-SQL's QUOTENAME.
func quoteName(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

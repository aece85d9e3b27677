// Package targetcheck holds the consumer's precheck items for the target
// database (PostgreSQL or AnalyticDB for PostgreSQL). It is apart from
// internal/precheck so that the producer, which links precheck for its
// source items, does not link the PostgreSQL driver.
package targetcheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/route"
)

// Names of the target items, for PRECHECK_SKIP.
const (
	TargetConnection  = "target_connection"
	SourceTables      = "source_tables"
	TargetPermissions = "target_permissions"
	TargetTables      = "target_tables"
	TargetNames       = "target_names"
	MappingEntries    = "mapping_entries"
	TableSettings     = "table_settings"
)

// Target describes the target side of a consumer.
type Target struct {
	Pool *pgxpool.Pool
	// Dialect is TARGET_DIALECT: postgres, adbpg, or auto/empty to detect.
	Dialect    string
	MetaSchema string
	Router     *route.Router
	// ExistingTables is EXISTING_TABLES; NoSchemaSync is SYNC_SCHEMA=off.
	ExistingTables string
	NoSchemaSync   bool
	// Tables returns the source tables the change topics carry (from the
	// schema registry); TablesNeeds names the items it needs.
	Tables      func(ctx context.Context) ([]*catalog.Table, error)
	TablesNeeds []string
}

// Items are the target's items, in order. They share what they learn, so
// use the items of one Target in one Run.
func (t Target) Items() []precheck.Item {
	st := &targetState{Target: t}
	conn := []string{TargetConnection}
	routed := []string{TargetConnection, SourceTables}
	return []precheck.Item{
		{Name: TargetConnection, Check: st.connection},
		{Name: SourceTables, Needs: t.TablesNeeds, Check: st.sourceTables},
		{Name: MappingEntries, Needs: []string{SourceTables}, Check: st.mappingEntries},
		{Name: TargetNames, Needs: routed, Check: st.names},
		{Name: TableSettings, Needs: routed, Check: st.settings},
		{Name: TargetPermissions, Needs: conn, Check: st.permissions},
		{Name: TargetTables, Needs: routed, Check: st.existing},
	}
}

// targetState is what the items of one run learn.
type targetState struct {
	Target
	dialect apply.Dialect
	tables  []*catalog.Table
	routed  []routedTable
}

type routedTable struct {
	src    *catalog.Table
	target route.Target
	err    error
}

func (r routedTable) ident() string { return pgx.Identifier{r.target.Schema, r.target.Name}.Sanitize() }

func (s *targetState) connection(ctx context.Context) precheck.Result {
	var user, db, version string
	if err := s.Pool.QueryRow(ctx, "SELECT current_user, current_database(), version()").Scan(&user, &db, &version); err != nil {
		return precheck.Fail("check TARGET_DSN (host, port, user, password, database) and that the server accepts connections",
			"cannot log in to the target: %v", err)
	}
	var err error
	if s.Dialect != "" && s.Dialect != "auto" {
		s.dialect, err = apply.DialectByName(s.Dialect)
	} else {
		s.dialect, err = apply.DetectDialect(ctx, s.Pool)
	}
	if err != nil {
		return precheck.Fail("set TARGET_DIALECT to postgres or adbpg", "%v", err)
	}
	v, _, _ := strings.Cut(version, ",")
	return precheck.Pass("logged in as %s to database %s (%s; dialect %s)", user, db, v, s.dialect.Name())
}

func (s *targetState) sourceTables(ctx context.Context) precheck.Result {
	tables, err := s.Tables(ctx)
	if err != nil {
		return precheck.Fail("", "cannot list the source tables of the change topics: %v", err)
	}
	s.tables = tables
	for _, t := range tables {
		rt, err := s.Router.Target(t)
		if err == nil && rt.Skip {
			continue
		}
		s.routed = append(s.routed, routedTable{src: t, target: rt, err: err})
	}
	if len(tables) == 0 {
		return precheck.Warn("start the producer first to check names, settings and existing tables against the source tables",
			"the schema registry holds no change topic's schema yet")
	}
	return precheck.Pass("%d source tables in the change topics, %d synchronized", len(tables), len(s.routed))
}

func (s *targetState) mappingEntries(ctx context.Context) precheck.Result {
	if len(s.tables) == 0 {
		return precheck.Pass("no source table to match the rules against yet")
	}
	if un := s.Router.Unmatched(s.tables); len(un) > 0 {
		return precheck.Warn("correct the pattern (database.schema.table, * and ? within a part) or remove the entry",
			"entries that match no source table: %s", strings.Join(un, "; "))
	}
	return precheck.Pass("every table pattern and mapping rule matches a source table")
}

func (s *targetState) names(ctx context.Context) precheck.Result {
	var bad []string
	byTarget := map[string][]routedTable{}
	for _, r := range s.routed {
		var se *route.SettingsError
		switch {
		case errors.As(r.err, &se):
			// table_settings reports it
		case r.err != nil:
			bad = append(bad, r.err.Error())
		default:
			byTarget[r.ident()] = append(byTarget[r.ident()], r)
		}
	}
	for ident, rs := range byTarget {
		if len(rs) < 2 {
			continue
		}
		merged := true
		var names []string
		for _, r := range rs {
			merged = merged && r.target.Table.ColumnIndex(apply.DataSourceColumn) >= 0
			names = append(names, r.src.Database+"."+r.src.Schema+"."+r.src.Name)
		}
		if !merged {
			slices.Sort(names)
			bad = append(bad, fmt.Sprintf("%s: the topic of each carries rows of another source table for the same target table %s, without merge: "+
				"they would overwrite each other's rows", strings.Join(names, " and "), ident))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return precheck.Fail("map the names apart in the mapping file (target_schema, target_table, columns), set merge: true for shards, or TARGET_QUOTE_NAMES=on",
			"%s", strings.Join(bad, "; "))
	}
	return precheck.Pass("%d target tables, names valid", len(byTarget))
}

func (s *targetState) settings(ctx context.Context) precheck.Result {
	var bad, ignored, ao []string
	for _, r := range s.routed {
		var se *route.SettingsError
		if errors.As(r.err, &se) {
			bad = append(bad, r.err.Error())
			continue
		}
		if r.err != nil || r.target.Settings.IsZero() {
			continue
		}
		if s.dialect.Name() == "postgres" {
			ignored = append(ignored, r.ident())
		} else if st := r.target.Settings.Storage; st == apply.AORow || st == apply.AOColumn {
			ao = append(ao, r.ident())
		}
	}
	switch {
	case len(bad) > 0:
		return precheck.Fail("correct the mapping file: the distribution key inside the primary key, the primary key containing the source key",
			"%s", strings.Join(bad, "; "))
	case len(ignored) > 0:
		return precheck.Warn("", "the postgres dialect has no table types, distribution or append-optimized storage; ignored for %s", strings.Join(ignored, ", "))
	case len(ao) > 0:
		return precheck.Warn("use storage heap on AnalyticDB for PostgreSQL 6",
			"append-optimized storage for %s: the consumer's INSERT … ON CONFLICT needs AnalyticDB for PostgreSQL 7 on such tables", strings.Join(ao, ", "))
	}
	return precheck.Pass("AnalyticDB table settings valid")
}

func (s *targetState) permissions(ctx context.Context) precheck.Result {
	var user, db string
	var connect, create, temp bool
	err := s.Pool.QueryRow(ctx, `SELECT current_user, current_database(), has_database_privilege(current_database(), 'CONNECT'),
  has_database_privilege(current_database(), 'CREATE'), has_database_privilege(current_database(), 'TEMPORARY')`).
		Scan(&user, &db, &connect, &create, &temp)
	if err != nil {
		return precheck.Fail("", "cannot read the user's privileges: %v", err)
	}
	var missing, fixes []string
	grant := func(what, stmt string) {
		missing, fixes = append(missing, what), append(fixes, stmt)
	}
	qdb, quser := pgx.Identifier{db}.Sanitize(), pgx.Identifier{user}.Sanitize()
	if !connect {
		grant("CONNECT on database "+db, "GRANT CONNECT ON DATABASE "+qdb+" TO "+quser+";")
	}
	if !temp {
		grant("TEMPORARY on database "+db+" (staging tables for COPY)", "GRANT TEMPORARY ON DATABASE "+qdb+" TO "+quser+";")
	}
	schemas := []string{s.MetaSchema}
	for _, r := range s.routed {
		if r.err == nil && !slices.Contains(schemas, r.target.Schema) {
			schemas = append(schemas, r.target.Schema)
		}
	}
	for _, sc := range schemas {
		var exists, usage, screate bool
		err := s.Pool.QueryRow(ctx, `SELECT true, has_schema_privilege(oid, 'USAGE'), has_schema_privilege(oid, 'CREATE')
FROM pg_namespace WHERE nspname = $1`, sc).Scan(&exists, &usage, &screate)
		if errors.Is(err, pgx.ErrNoRows) {
			if !create {
				grant("CREATE on database "+db+" (to create schema "+sc+")", "GRANT CREATE ON DATABASE "+qdb+" TO "+quser+";")
			}
			continue
		}
		if err != nil {
			return precheck.Fail("", "cannot read the privileges on schema %s: %v", sc, err)
		}
		if !usage || !screate {
			qs := pgx.Identifier{sc}.Sanitize()
			grant("USAGE and CREATE on schema "+sc, "GRANT USAGE, CREATE ON SCHEMA "+qs+" TO "+quser+";")
		}
	}
	for _, r := range s.routed {
		if r.err != nil {
			continue
		}
		var ok []bool
		err := s.Pool.QueryRow(ctx, `SELECT ARRAY[has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, 'INSERT'),
  has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE')]
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, r.target.Schema, r.target.Name).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // created by the consumer, which then owns it
		}
		if err != nil {
			return precheck.Fail("", "cannot read the privileges on %s: %v", r.ident(), err)
		}
		if slices.Contains(ok, false) {
			grant("SELECT, INSERT, UPDATE, DELETE on "+r.ident(), "GRANT SELECT, INSERT, UPDATE, DELETE ON "+r.ident()+" TO "+quser+";")
		}
	}
	if len(missing) > 0 {
		slices.Sort(fixes)
		fixes = slices.Compact(fixes)
		return precheck.Fail(strings.Join(fixes, " "), "user %s lacks %s", user, strings.Join(missing, "; "))
	}
	return precheck.Pass("user %s may connect, create the schemas and tables it needs, stage and write rows", user)
}

func (s *targetState) existing(ctx context.Context) precheck.Result {
	var foreign, adopted, missing []string
	for _, r := range s.routed {
		if r.err != nil {
			continue
		}
		var exists, ours bool
		err := s.Pool.QueryRow(ctx, `SELECT true, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
			r.target.Schema, r.target.Name, apply.PositionColumn).Scan(&exists, &ours)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if s.NoSchemaSync {
				missing = append(missing, r.ident())
			}
		case err != nil:
			return precheck.Fail("", "cannot look up %s: %v", r.ident(), err)
		case !ours && (s.ExistingTables == apply.ExistingUse || s.NoSchemaSync):
			adopted = append(adopted, r.ident())
		case !ours:
			// Worded as the applier refuses it at run time.
			foreign = append(foreign, fmt.Sprintf("target table %s exists and was not created by this program (EXISTING_TABLES=%s), source %s.%s.%s",
				r.ident(), apply.ExistingIntercept, r.src.Database, r.src.Schema, r.src.Name))
		}
	}
	switch {
	case len(foreign) > 0:
		return precheck.Fail("map the source table to another target name in the mapping file, rename or drop the existing table, or set EXISTING_TABLES=use",
			"%s", strings.Join(foreign, "; "))
	case len(missing) > 0:
		return precheck.Fail("create them with a primary key on the source key, or set SYNC_SCHEMA=on",
			"target tables missing while SYNC_SCHEMA=off: %s", strings.Join(missing, ", "))
	case len(adopted) > 0:
		return precheck.Warn("", "existing tables will be written into (EXISTING_TABLES=use or SYNC_SCHEMA=off), only the columns they have: %s", strings.Join(adopted, ", "))
	}
	return precheck.Pass("no target table conflicts with the existing-table mode (%s)", s.ExistingTables)
}

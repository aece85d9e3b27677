package engine

import (
	"cmp"
	"slices"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Principals: logins and server roles, database users and roles.
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-server-principals-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-sql-logins-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-database-principals-transact-sql

// fixedServerRoles are the fixed server roles with their principal_id.
var fixedServerRoles = []struct {
	name string
	id   int64
}{{"sysadmin", 3}, {"securityadmin", 4}, {"serveradmin", 5}, {"setupadmin", 6}, {"processadmin", 7},
	{"diskadmin", 8}, {"dbcreator", 9}, {"bulkadmin", 10}}

// fixedDBRoleIDs are the fixed database roles' principal_ids.
var fixedDBRoleIDs = map[string]int64{"db_owner": 16384, "db_accessadmin": 16385, "db_securityadmin": 16386,
	"db_ddladmin": 16387, "db_backupoperator": 16389, "db_datareader": 16390, "db_datawriter": 16391,
	"db_denydatareader": 16392, "db_denydatawriter": 16393}

var tSID = sqltypes.VarBinaryType(85)

// principalsView answers sys.server_principals, sys.sql_logins and
// sys.database_principals; nil for other names. Callers hold e.mu.
func (ev *evaluator) principalsView(d *Database, name string) *relation {
	e := ev.s.e
	created := sqltypes.FromTime(wall(e.db("master").Created), tDT)
	char1 := sqltypes.Type{ID: sqltypes.Char, Length: 1, Collation: sqltypes.DefaultCollation}
	switch name {
	case "server_principals", "sql_logins":
		logins := name == "sql_logins"
		specs := []colSpec{c("name", tName), c("principal_id", tInt), cn("sid", tSID), c("type", char1), cn("type_desc", tDesc),
			cn("is_disabled", tInt), c("create_date", tDT), c("modify_date", tDT), cn("default_database_name", tName),
			cn("default_language_name", tName), c("is_fixed_role", tBit)}
		if logins {
			specs = append(specs, cn("is_policy_checked", tBit), cn("is_expiration_checked", tBit))
		}
		rel := &relation{cols: cols(specs...)}
		add := func(row ...any) {
			if logins {
				row = append(row, false, false)
			}
			rel.rows = append(rel.rows, row)
		}
		add("sa", int64(1), []byte{1}, "S", "SQL_LOGIN", int64(0), created, created, "master", "us_english", false)
		if !logins {
			add("public", int64(2), []byte{2}, "R", "SERVER_ROLE", int64(0), created, created, nil, nil, false)
			for _, r := range fixedServerRoles {
				add(r.name, r.id, []byte{byte(r.id)}, "R", "SERVER_ROLE", int64(0), created, created, nil, nil, true)
			}
		}
		for _, l := range e.cfg.Logins {
			at := sqltypes.FromTime(wall(l.created), tDT)
			add(l.Name, int64(l.id), l.sid, "S", "SQL_LOGIN", int64(0), at, at, "master", "us_english", false)
		}
		return rel
	case "database_principals":
		rel := &relation{cols: cols(c("name", tName), c("principal_id", tInt), c("type", char1), cn("type_desc", tDesc),
			cn("default_schema_name", tName), c("create_date", tDT), c("modify_date", tDT), cn("owning_principal_id", tInt),
			cn("sid", tSID), c("is_fixed_role", tBit))}
		dbCreated := sqltypes.FromTime(wall(d.Created), tDT)
		user := func(name string, id int64, schema any, sid any) {
			rel.rows = append(rel.rows, []any{name, id, "S", "SQL_USER", schema, dbCreated, dbCreated, nil, sid, false})
		}
		rel.rows = append(rel.rows, []any{"public", int64(0), "R", "DATABASE_ROLE", nil, dbCreated, dbCreated, int64(1), nil, false})
		user("dbo", 1, "dbo", []byte{1})
		user("guest", 2, "guest", []byte{0})
		user("INFORMATION_SCHEMA", 3, nil, nil)
		user("sys", 4, nil, nil)
		for _, u := range sortedUsers(d) {
			var schema any = "dbo"
			if u.DefaultSchema != "" {
				schema = u.DefaultSchema
			}
			var sid any
			if u.sid != nil {
				sid = u.sid
			}
			at := sqltypes.FromTime(wall(u.created), tDT)
			rel.rows = append(rel.rows, []any{u.Name, int64(u.id), "S", "SQL_USER", schema, at, at, nil, sid, false})
		}
		for _, r := range fixedDBRoles {
			rel.rows = append(rel.rows, []any{r, fixedDBRoleIDs[r], "R", "DATABASE_ROLE", nil, dbCreated, dbCreated, int64(1), nil, true})
		}
		return rel
	}
	return nil
}

// sortedUsers are the database's CREATE USER users by principal_id.
func sortedUsers(d *Database) []*dbUser {
	out := make([]*dbUser, 0, len(d.users))
	for _, u := range d.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *dbUser) int { return cmp.Compare(a.id, b.id) })
	return out
}

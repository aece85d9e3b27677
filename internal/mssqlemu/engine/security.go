package engine

import "strings"

// fixedDBRoles are the fixed database roles
// (https://learn.microsoft.com/en-us/sql/relational-databases/security/authentication-access/database-level-roles).
var fixedDBRoles = []string{"db_owner", "db_securityadmin", "db_accessadmin", "db_backupoperator", "db_ddladmin",
	"db_datawriter", "db_datareader", "db_denydatawriter", "db_denydatareader"}

// roleMember answers IS_SRVROLEMEMBER (server) and IS_ROLEMEMBER for the
// session's login in its current database: 1 for a member, 0 for not, nil
// for a role that does not exist, as SQL Server does. sa, and any login the
// emulator lets in without a configured Login, is a sysadmin; a sysadmin is
// dbo in every database and so a member of every fixed database role
// (IS_ROLEMEMBER's documentation: "members of the sysadmin fixed server
// role … are considered members of db_owner"). Callers hold e.mu.
func (s *session) roleMember(server bool, role string) any {
	role = strings.ToLower(role)
	l := s.e.login(s.login.User)
	sysadmin := l == nil || l.Sysadmin
	if server {
		switch role {
		case "sysadmin":
			return boolInt(sysadmin)
		case "serveradmin", "securityadmin", "processadmin", "setupadmin", "bulkadmin", "diskadmin", "dbcreator", "public":
			return boolInt(sysadmin || role == "public")
		}
		return nil
	}
	member := role == "public" || sysadmin
	if l != nil && !member {
		for db, roles := range l.Roles {
			if !strings.EqualFold(db, s.dbName) {
				continue
			}
			for _, r := range roles {
				member = member || strings.EqualFold(r, role)
			}
		}
	}
	known := member
	for _, r := range fixedDBRoles {
		known = known || r == role
	}
	if !known {
		return nil
	}
	return boolInt(member)
}

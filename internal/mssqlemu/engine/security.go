package engine

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

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

// dbUser is a database user created with CREATE USER; Login is empty for a
// user WITHOUT LOGIN.
type dbUser struct {
	Name, Login, DefaultSchema string
	id                         int32 // principal_id in sys.database_principals
	sid                        []byte
	created                    time.Time
}

// newPrincipal gives a login its principal_id, a random security
// identifier (as SQL Server gives SQL logins) and its creation time.
// Callers hold e.mu or own e.
func (e *Engine) newPrincipal(l *Login, now time.Time) {
	if e.nextPrincipal < 256 {
		e.nextPrincipal = 256
	}
	l.id = e.nextPrincipal
	e.nextPrincipal++
	l.sid = make([]byte, 16)
	_, _ = rand.Read(l.sid) // crypto/rand.Read does not fail on supported platforms
	l.created = now
}

// loginStmt runs CREATE, ALTER and DROP LOGIN. Logins are SQL logins with a
// password (CHECK_POLICY and the other options are accepted and have no
// effect). Callers hold e.mu.
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/alter-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/drop-login-transact-sql
func (s *session) loginStmt(x *tsql.LoginStmt) error {
	e := s.e
	isSA := strings.EqualFold(x.Name, "sa")
	l := e.login(x.Name)
	switch x.Action {
	case "CREATE":
		if isSA || l != nil {
			return msg(15025, 16, 2, fmt.Sprintf("The server principal '%s' already exists.", x.Name))
		}
		if x.Password == nil {
			return msg(102, 15, 1, fmt.Sprintf("Incorrect syntax near '%s'.", x.Name))
		}
		l := Login{Name: x.Name, Password: *x.Password}
		e.newPrincipal(&l, e.cfg.Now())
		e.cfg.Logins = append(e.cfg.Logins, l)
		s.onRollback(func() { e.dropLogin(x.Name) })
		return nil
	case "ALTER":
		if !isSA && l == nil {
			return msg(15151, 16, 1, fmt.Sprintf("Cannot alter the login '%s', because it does not exist or you do not have permission.", x.Name))
		}
		if x.Password == nil {
			return nil
		}
		old := &e.cfg.SAPassword
		if l != nil {
			old = &l.Password
		}
		if x.OldPassword != nil && subtle.ConstantTimeCompare([]byte(*x.OldPassword), []byte(*old)) != 1 {
			return msg(15151, 16, 1, fmt.Sprintf("Cannot alter the login '%s', because it does not exist or you do not have permission.", x.Name))
		}
		prev := *old
		*old = *x.Password
		s.onRollback(func() { e.setPassword(x.Name, prev) })
		return nil
	default: // DROP
		if isSA {
			return msg(15405, 16, 1, "Cannot use the special principal 'sa'.")
		}
		if l == nil {
			return msg(15151, 16, 1, fmt.Sprintf("Cannot drop the login '%s', because it does not exist or you do not have permission.", x.Name))
		}
		for _, other := range e.sessions {
			if !other.closed && strings.EqualFold(other.login.User, l.Name) {
				return msg(15434, 16, 1, fmt.Sprintf("Could not drop login '%s' as the user is currently logged in.", l.Name))
			}
		}
		dropped := *l
		e.dropLogin(x.Name)
		s.onRollback(func() { e.cfg.Logins = append(e.cfg.Logins, dropped) })
		return nil
	}
}

// dropLogin removes the login named name. Callers hold e.mu.
func (e *Engine) dropLogin(name string) {
	out := e.cfg.Logins[:0]
	for _, l := range e.cfg.Logins {
		if !strings.EqualFold(l.Name, name) {
			out = append(out, l)
		}
	}
	e.cfg.Logins = out
}

// setPassword sets the password of sa or of a login. Callers hold e.mu.
func (e *Engine) setPassword(name, password string) {
	if l := e.login(name); l != nil {
		l.Password = password
	} else if strings.EqualFold(name, "sa") {
		e.cfg.SAPassword = password
	}
}

// userStmt runs CREATE USER and DROP USER in the current database. Callers
// hold e.mu.
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-user-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/drop-user-transact-sql
func (s *session) userStmt(x *tsql.UserStmt) error {
	d, err := s.curDB()
	if err != nil {
		return err
	}
	key := strings.ToLower(x.Name)
	u := d.users[key]
	if x.Drop {
		if u == nil {
			if x.IfExists {
				return nil
			}
			return msg(15151, 16, 1, fmt.Sprintf("Cannot drop the user '%s', because it does not exist or you do not have permission.", x.Name))
		}
		delete(d.users, key)
		s.onRollback(func() { d.users[key] = u })
		return nil
	}
	switch key {
	case "dbo", "guest", "sys", "information_schema", "public":
		u = &dbUser{}
	}
	if u != nil {
		return msg(15023, 16, 1, fmt.Sprintf("User, group, or role '%s' already exists in the current database.", x.Name))
	}
	nu := &dbUser{Name: x.Name, DefaultSchema: x.DefaultSchema, id: d.nextUserID(), created: s.e.cfg.Now()}
	if !x.NoLogin {
		nu.Login = x.Login
		if nu.Login == "" {
			nu.Login = x.Name
		}
		l := s.e.login(nu.Login)
		if l == nil {
			return msg(15007, 16, 1, fmt.Sprintf("'%s' is not a valid login or you do not have permission.", nu.Login))
		}
		nu.Login, nu.sid = l.Name, l.sid
		for _, other := range d.users {
			if strings.EqualFold(other.Login, nu.Login) {
				return msg(15063, 16, 1, "The login already has an account under a different user name.")
			}
		}
	}
	if d.users == nil {
		d.users = map[string]*dbUser{}
	}
	d.users[key] = nu
	s.onRollback(func() { delete(d.users, key) })
	return nil
}

// nextUserID is the principal_id of a new user: after the highest in use,
// from 5 up (0 to 4 are public, dbo, guest, INFORMATION_SCHEMA and sys).
func (d *Database) nextUserID() int32 {
	id := int32(5)
	for _, u := range d.users {
		if u.id >= id {
			id = u.id + 1
		}
	}
	return id
}

package mssqlemu_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// TestConformanceLoginPasswordChange: CREATE LOGIN ... WITH PASSWORD and
// CREATE USER make a SQL login that can connect; LOGIN7's ChangePassword
// (MS-TDS 2.2.6.4: "fChangePassword ... Request to change login's
// password", the new password in the ChangePassword field) changes the
// password of a login authenticated with its old one; ALTER LOGIN ... WITH
// PASSWORD ... OLD_PASSWORD checks the old password; DROP USER and DROP
// LOGIN remove them. Errors are SQL Server's: 15025 for a login that
// exists, 15007 for a user of a login that does not, 15151 for a login or
// user that does not exist (or a wrong OLD_PASSWORD), 18456 for a failed login.
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-tds/ (2.2.6.4 LOGIN7)
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/alter-login-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/create-user-transact-sql
func TestConformanceLoginPasswordChange(t *testing.T) {
	ctx := context.Background()
	dsn := server(t, mssqlemu.Config{SAPassword: "Sa-pass1!"})
	master := open(t, dsn("master"))
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "conf_login_" + hex.EncodeToString(b[:])
	exec(t, ctx, master, "CREATE LOGIN ["+name+"] WITH PASSWORD = 'Old-pass1!', CHECK_POLICY = OFF\nCREATE USER "+name)
	t.Cleanup(func() {
		_, _ = master.ExecContext(context.Background(), "DROP USER IF EXISTS "+name)
		_, _ = master.ExecContext(context.Background(), "DROP LOGIN ["+name+"]")
	})
	as := func(password, change string) string {
		u, err := url.Parse(dsn("master"))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(name, password)
		if change != "" {
			q := u.Query()
			q.Set("change password", change)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	// login opens a connection as the login and reports who it is.
	login := func(dsn string) (string, error) {
		db, err := sql.Open("sqlserver", dsn)
		if err != nil {
			return "", err
		}
		defer db.Close()
		var who string
		err = db.QueryRowContext(ctx, "SELECT SUSER_NAME()").Scan(&who)
		return who, err
	}
	if who, err := login(as("Old-pass1!", "New-pass2!")); err != nil || who != name {
		t.Fatalf("login with ChangePassword: %q, %v", who, err)
	}
	if _, err := login(as("Old-pass1!", "")); errNumber(err) != 18456 {
		t.Errorf("old password after the change: %v; want Msg 18456", err)
	}
	if who, err := login(as("New-pass2!", "")); err != nil || who != name {
		t.Errorf("new password: %q, %v", who, err)
	}
	if _, err := master.ExecContext(ctx, "ALTER LOGIN ["+name+"] WITH PASSWORD = 'Third-pass3!' OLD_PASSWORD = 'wrong'"); errNumber(err) != 15151 {
		t.Errorf("ALTER LOGIN with a wrong OLD_PASSWORD: %v; want Msg 15151", err)
	}
	exec(t, ctx, master, "ALTER LOGIN ["+name+"] WITH PASSWORD = 'Third-pass3!' OLD_PASSWORD = 'New-pass2!'")
	if _, err := login(as("Third-pass3!", "")); err != nil {
		t.Errorf("password set by ALTER LOGIN: %v", err)
	}
	for _, tc := range []struct {
		q    string
		want int32
	}{
		{"CREATE LOGIN [" + name + "] WITH PASSWORD = 'x-Pass1!'", 15025},
		{"CREATE USER u_" + name + " FOR LOGIN no_such_login_" + name, 15007},
		{"DROP USER no_such_user_" + name, 15151},
	} {
		if _, err := master.ExecContext(ctx, tc.q); errNumber(err) != tc.want {
			t.Errorf("%s: %v; want Msg %d", tc.q, err, tc.want)
		}
	}
	// The server ends a session when it reads the closed connection, which
	// may come after Close returns: until then DROP LOGIN is Msg 15434.
	exec(t, ctx, master, "DROP USER "+name)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := master.ExecContext(ctx, "DROP LOGIN ["+name+"]")
		if err == nil {
			break
		}
		if errNumber(err) != 15434 || time.Now().After(deadline) {
			t.Fatalf("DROP LOGIN: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := master.ExecContext(ctx, "DROP LOGIN ["+name+"]"); errNumber(err) != 15151 {
		t.Errorf("DROP LOGIN of a dropped login: %v; want Msg 15151", err)
	}
	if _, err := login(as("Third-pass3!", "")); errNumber(err) != 18456 {
		t.Errorf("login after DROP LOGIN: %v; want Msg 18456", err)
	}
}

// TestConformancePrincipalViews: the idiom of setup scripts, IF NOT EXISTS
// (SELECT ... FROM sys.server_principals / sys.database_principals) CREATE
// LOGIN / CREATE USER, runs once and then finds what it made; sa, the
// fixed roles and the fixed users are listed with their documented
// principal_ids.
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-server-principals-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-sql-logins-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-catalog-views/sys-database-principals-transact-sql
func TestConformancePrincipalViews(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "conf_p_" + hex.EncodeToString(b[:])
	setup := `IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'` + name + `')
    CREATE LOGIN [` + name + `] WITH PASSWORD = N'P-principal1!', CHECK_POLICY = OFF;
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'` + name + `')
    CREATE USER [` + name + `] FOR LOGIN [` + name + `] WITH DEFAULT_SCHEMA = dbo;`
	exec(t, ctx, db, setup)
	exec(t, ctx, db, setup) // the second run finds both and creates nothing
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP USER IF EXISTS ["+name+"]")
		_, _ = db.ExecContext(context.Background(), "DROP LOGIN ["+name+"]")
	})
	var typ, typeDesc, schema string
	var loginSID, userSID []byte
	var policy bool
	if err := db.QueryRowContext(ctx, `SELECT sp.type, sp.type_desc, sp.sid, l.is_policy_checked
FROM sys.server_principals sp JOIN sys.sql_logins l ON l.principal_id = sp.principal_id WHERE sp.name = @p1`, name).
		Scan(&typ, &typeDesc, &loginSID, &policy); err != nil || typ != "S" || typeDesc != "SQL_LOGIN" || len(loginSID) == 0 {
		t.Errorf("login row: %q %q 0x%x %v, %v", typ, typeDesc, loginSID, policy, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT type, default_schema_name, sid FROM sys.database_principals WHERE name = @p1", name).
		Scan(&typ, &schema, &userSID); err != nil || typ != "S" || schema != "dbo" || !bytes.Equal(userSID, loginSID) {
		t.Errorf("user row: %q %q 0x%x (login 0x%x), %v", typ, schema, userSID, loginSID, err)
	}
	for _, tc := range []struct {
		q    string
		args []any
		want int
	}{
		{"SELECT principal_id FROM sys.server_principals WHERE name = @p1", []any{"sa"}, 1},
		{"SELECT principal_id FROM sys.server_principals WHERE name = @p1", []any{"sysadmin"}, 3},
		{"SELECT principal_id FROM sys.database_principals WHERE name = @p1", []any{"dbo"}, 1},
		{"SELECT principal_id FROM sys.database_principals WHERE name = @p1", []any{"db_owner"}, 16384},
		{"SELECT COUNT(*) FROM sys.server_principals WHERE name = @p1", []any{name}, 1},
	} {
		var got int
		if err := db.QueryRowContext(ctx, tc.q, tc.args...).Scan(&got); err != nil || got != tc.want {
			t.Errorf("%s %v = %d, %v; want %d", tc.q, tc.args, got, err, tc.want)
		}
	}
}

package engine

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

// Config tunes an Engine.
type Config struct {
	// SAPassword is the password of the sa login. Empty accepts any password.
	SAPassword string
	// CaptureDelay is how long after commit a change appears in the change
	// tables, as the capture job's polling makes it; 0 captures at commit.
	CaptureDelay time.Duration
	// CleanupRetention is how long change rows are kept before the cleanup
	// job removes them and advances the minimum LSN; 0 keeps them forever
	// (sys.sp_cdc_cleanup_change_table and Engine.Cleanup still work).
	CleanupRetention time.Duration
	// ServerName is @@SERVERNAME; default "MSSQLEMU".
	ServerName string
	// Logins are SQL logins besides sa, with their server and database
	// roles; see Login.
	Logins []Login
	// ProductVersion is SERVERPROPERTY('ProductVersion'); default that of
	// SQL Server 2019 ("15.0.4322.2"). Tests set an older one to see a
	// version refused.
	ProductVersion string
	// AgentStopped reports the SQL Server Agent service as stopped in
	// sys.dm_server_services (the capture and cleanup jobs run under it).
	// The emulator's own capture goes on regardless.
	AgentStopped bool
	Logger       *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Login is a SQL login other than sa. Only role membership is emulated, as
// IS_SRVROLEMEMBER and IS_ROLEMEMBER report it
// (https://learn.microsoft.com/en-us/sql/t-sql/functions/is-rolemember-transact-sql,
// https://learn.microsoft.com/en-us/sql/t-sql/functions/is-srvrolemember-transact-sql):
// statements are not refused for lack of permission.
type Login struct {
	Name, Password string
	// Sysadmin makes the login a member of the sysadmin server role: it
	// enters every database as dbo, a member of every fixed database role.
	Sysadmin bool
	// Roles are the database roles of the login's user, by database name
	// (for example {"shop": {"db_owner"}}); every login is in public.
	Roles map[string][]string

	id      int32     // principal_id in sys.server_principals
	sid     []byte    // the login's security identifier
	created time.Time // create_date
}

// Engine is the emulated server: every database and session.
type Engine struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	dbs      map[string]*Database
	nextDBID int32
	seq      uint64 // LSN counter: commits and operations
	nextSPID int32
	// nextPrincipal is the next login's principal_id: SQL Server numbers
	// logins from 256 up, after the fixed server roles.
	nextPrincipal int32
	nextTxID      uint64
	queue         []captureBatch     // committed changes the capture job has not read yet
	snaps         map[*txn]uint64    // active SNAPSHOT transactions and their start
	sessions      map[int32]*session // open sessions, for the DMVs
	// scanOnly turns the key seek (seek.go) off, for tests that compare
	// it with the scan.
	scanOnly bool

	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

var _ tds.Backend = (*Engine)(nil)

// New starts an engine with the system databases and, when CaptureDelay or
// CleanupRetention is set, its capture and cleanup job. Close stops it.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "MSSQLEMU"
	}
	if cfg.ProductVersion == "" {
		cfg.ProductVersion = "15.0.4322.2"
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger,
		dbs: map[string]*Database{}, nextDBID: 1, seq: 0x1000, nextSPID: 1 << 16,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), snaps: map[*txn]uint64{}, sessions: map[int32]*session{},
	}
	now := cfg.Now()
	// The engine's own copy: CREATE, ALTER and DROP LOGIN change it.
	e.cfg.Logins = append([]Login(nil), cfg.Logins...)
	for i := range e.cfg.Logins {
		e.newPrincipal(&e.cfg.Logins[i], now)
	}
	for _, name := range []string{"master", "tempdb", "model", "msdb"} {
		e.addDatabase(name, now)
	}
	e.wg.Add(1)
	go e.jobs()
	return e
}

// Close stops the background jobs. Sessions already open keep working
// against the in-memory state but nothing is captured afterwards.
func (e *Engine) Close() error {
	e.stopOnce.Do(func() { close(e.stop) })
	e.wg.Wait()
	return nil
}

func (e *Engine) addDatabase(name string, now time.Time) *Database {
	d := newDatabase(e.nextDBID, name, now)
	e.nextDBID++
	e.dbs[strings.ToLower(name)] = d
	return d
}

func (e *Engine) db(name string) *Database { return e.dbs[strings.ToLower(name)] }

func (e *Engine) dbByID(id int32) *Database {
	for _, d := range e.dbs {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (e *Engine) sortedDBs() []*Database {
	out := make([]*Database, 0, len(e.dbs))
	for _, d := range e.dbs {
		out = append(out, d)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// nextSeq allocates the next LSN value. Callers hold e.mu.
func (e *Engine) nextSeq() uint64 {
	e.seq++
	return e.seq
}

// Login checks the sa password and opens a session in the requested (or
// master) database.
func (e *Engine) Login(ctx context.Context, req tds.LoginRequest) (tds.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock() // CREATE/ALTER LOGIN change the logins
	defer e.mu.Unlock()
	if l := e.login(req.User); l != nil {
		if subtle.ConstantTimeCompare([]byte(req.Password), []byte(l.Password)) != 1 {
			return nil, &tds.Message{Number: 18456, Class: 14, State: 1,
				Text: fmt.Sprintf("Login failed for user '%s'.", req.User)}
		}
	} else if e.cfg.SAPassword != "" && (!strings.EqualFold(req.User, "sa") ||
		subtle.ConstantTimeCompare([]byte(req.Password), []byte(e.cfg.SAPassword)) != 1) {
		return nil, &tds.Message{Number: 18456, Class: 14, State: 1,
			Text: fmt.Sprintf("Login failed for user '%s'.", req.User)}
	}
	if req.NewPassword != "" {
		// LOGIN7's ChangePassword: the login, authenticated with its
		// old password, now has the new one (MS-TDS 2.2.6.4).
		e.setPassword(req.User, req.NewPassword)
	}
	dbName := "master"
	if req.Database != "" {
		d := e.db(req.Database)
		if d == nil {
			return nil, &tds.Message{Number: 4060, Class: 11, State: 1,
				Text: fmt.Sprintf("Cannot open database \"%s\" requested by the login. The login failed.", req.Database)}
		}
		dbName = d.Name
	}
	spid := int32(req.SPID)
	if spid == 0 {
		// Sessions opened without the protocol take ids the TDS server
		// does not hand out (it counts from 51 up to 65535).
		spid = e.nextSPID
		e.nextSPID++
	}
	s := newSession(e, spid, dbName, req)
	e.sessions[spid] = s
	return s, nil
}

// login returns the configured login named name, or nil for sa and
// logins the emulator lets in as sa (any name when SAPassword is empty).
func (e *Engine) login(name string) *Login {
	for i := range e.cfg.Logins {
		if strings.EqualFold(e.cfg.Logins[i].Name, name) {
			return &e.cfg.Logins[i]
		}
	}
	return nil
}

// NewSession opens a session without the protocol, for tests and seeding.
func (e *Engine) NewSession(database string) (tds.Session, error) {
	return e.Login(context.Background(), tds.LoginRequest{User: "sa", Password: e.cfg.SAPassword, Database: database})
}

// jobs is the capture and cleanup job: it moves committed changes into the
// change tables once CaptureDelay has passed and applies the retention.
func (e *Engine) jobs() {
	defer e.wg.Done()
	tick := 50 * time.Millisecond
	if e.cfg.CaptureDelay > 0 && e.cfg.CaptureDelay/4 < tick {
		tick = max(e.cfg.CaptureDelay/4, time.Millisecond)
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	lastCleanup := e.cfg.Now()
	for {
		select {
		case <-e.stop:
			return
		case <-e.kick:
		case <-t.C:
		}
		e.mu.Lock()
		now := e.cfg.Now()
		e.captureDue(now, false)
		if e.cfg.CleanupRetention > 0 && now.Sub(lastCleanup) >= min(e.cfg.CleanupRetention, time.Second) {
			lastCleanup = now
			for _, d := range e.dbs {
				e.cleanupRetention(d, now, e.cfg.CleanupRetention)
			}
		}
		e.mu.Unlock()
	}
}

// FlushCapture makes every committed change visible in the change tables
// now, whatever the capture delay (tests use it instead of sleeping).
func (e *Engine) FlushCapture() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.captureDue(e.cfg.Now(), true)
}

// Cleanup removes the change rows of every capture instance of database
// that were committed more than retention ago, keeping the newest such
// transaction's rows, and advances each instance's minimum LSN to it.
func (e *Engine) Cleanup(database string, retention time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.db(database)
	if d == nil {
		return fmt.Errorf("cleanup: database %q does not exist", database)
	}
	e.captureDue(e.cfg.Now(), true)
	e.cleanupRetention(d, e.cfg.Now(), retention)
	return nil
}

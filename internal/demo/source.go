// Package demo creates the reference document's sample database on SQL
// Server (dtstestdata with dbo.customer and dbo.Student), enables CDC on it,
// and drives a live workload of inserts, updates, deletes and key changes
// while the pipeline runs.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Database is the sample database's name, as in the reference document.
const Database = "dtstestdata"

// WithDatabase returns dsn (sqlserver:// form) naming another database.
func WithDatabase(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "sqlserver" {
		return "", fmt.Errorf("MSSQL_DSN must be a sqlserver:// URL for the demo")
	}
	q := u.Query()
	q.Set("database", db)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var schemaSQL = []string{
	`CREATE TABLE dbo.customer (
		id int NOT NULL PRIMARY KEY,
		name nvarchar(100) NOT NULL,
		city nvarchar(50) NULL,
		balance decimal(18,2) NOT NULL,
		updated_at datetime2(3) NOT NULL)`,
	`CREATE TABLE dbo.Student (
		id int NOT NULL PRIMARY KEY,
		name nvarchar(100) NOT NULL,
		age tinyint NULL,
		enrolled date NULL)`,
	// Two shards of one table, as in DTS's merge example
	// (dts********:dtstestdata.testschema.customer1): the same shape and
	// overlapping keys, merged into testschema.customer at the target.
	`CREATE SCHEMA testschema`,
	`CREATE TABLE testschema.customer1 (id int NOT NULL PRIMARY KEY, name nvarchar(100) NOT NULL, city nvarchar(50) NULL, balance decimal(18,2) NOT NULL)`,
	`CREATE TABLE testschema.customer2 (id int NOT NULL PRIMARY KEY, name nvarchar(100) NOT NULL, city nvarchar(50) NULL, balance decimal(18,2) NOT NULL)`,
	`EXEC sys.sp_cdc_enable_db`,
	`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customer', @role_name = NULL`,
	`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Student', @role_name = NULL`,
	`EXEC sys.sp_cdc_enable_table @source_schema = N'testschema', @source_name = N'customer1', @role_name = NULL`,
	`EXEC sys.sp_cdc_enable_table @source_schema = N'testschema', @source_name = N'customer2', @role_name = NULL`,
}

// Shards are the sample's shard tables and MergedTable the target table
// they merge into (see Mapping).
var (
	Shards      = []string{"customer1", "customer2"}
	ShardSchema = "testschema"
	MergedTable = "customer"
)

// Mapping is the consumers' mapping file: the shards merge into
// testschema.customer, told apart by __dts_data_source.
const Mapping = `tables:
  - source: ` + Database + `.testschema.customer?
    target_schema: testschema
    target_table: customer
    merge: true
`

// Setup creates the sample database on the server that master (a pool on
// the master database) reaches, with snapshot isolation allowed, and returns
// a pool on the new database with its tables created and CDC enabled.
func Setup(ctx context.Context, master *sql.DB, dsn string) (*sql.DB, error) {
	var n int
	if err := master.QueryRowContext(ctx, `SELECT COUNT(*) FROM sys.databases WHERE name = @p1`, Database).Scan(&n); err != nil {
		return nil, fmt.Errorf("look for database %s: %w", Database, err)
	}
	if n > 0 {
		return nil, fmt.Errorf("database %s exists already: drop it (DROP DATABASE %s) or run the demo on a fresh stack (make down; make demo)", Database, Database)
	}
	for _, q := range []string{
		`CREATE DATABASE ` + Database,
		`ALTER DATABASE ` + Database + ` SET ALLOW_SNAPSHOT_ISOLATION ON`,
	} {
		if _, err := master.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	dbDSN, err := WithDatabase(dsn, Database)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlserver", dbDSN)
	if err != nil {
		return nil, err
	}
	for _, q := range schemaSQL {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", strings.Fields(q)[0]+" "+strings.Fields(q)[1], err)
		}
	}
	return db, nil
}

var cities = []string{"Hangzhou", "Beijing", "Shanghai", "São Paulo", "Zürich", "Kraków", "東京", "Reykjavík", "Montréal", "Cairo"}
var names = []string{"Ana", "Björn", "Chloé", "Dmitri", "Eun-ji", "Fatima", "Giorgos", "Hana", "Ivan", "José", "李雷", "Zoë 😀"}

// Seed inserts customers, students and the rows of each shard with ids
// 1..n in multi-row INSERTs (the shards' keys overlap on purpose).
func Seed(ctx context.Context, db *sql.DB, customers, students, shards int) error {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for lo := 1; lo <= customers; lo += 500 {
		var b strings.Builder
		b.WriteString("INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES ")
		for id := lo; id < lo+500 && id <= customers; id++ {
			if id > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, N'%s %d', N'%s', %d.%02d, '%s')", id, names[r.IntN(len(names))], id,
				cities[r.IntN(len(cities))], r.IntN(100000), r.IntN(100), base.Add(time.Duration(id)*time.Second+123*time.Millisecond).Format("2006-01-02T15:04:05.000"))
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("seed dbo.customer rows from %d: %w", lo, err)
		}
	}
	for _, shard := range Shards {
		for lo := 1; lo <= shards; lo += 500 {
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO testschema.%s (id, name, city, balance) VALUES ", shard)
			for id := lo; id < lo+500 && id <= shards; id++ {
				if id > lo {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "(%d, N'%s %d', N'%s', %d.%02d)", id, names[r.IntN(len(names))], id, cities[r.IntN(len(cities))], r.IntN(100000), r.IntN(100))
			}
			if _, err := db.ExecContext(ctx, b.String()); err != nil {
				return fmt.Errorf("seed testschema.%s rows from %d: %w", shard, lo, err)
			}
		}
	}
	for lo := 1; lo <= students; lo += 500 {
		var b strings.Builder
		b.WriteString("INSERT INTO dbo.Student (id, name, age, enrolled) VALUES ")
		for id := lo; id < lo+500 && id <= students; id++ {
			if id > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, N'%s', %d, '%s')", id, names[r.IntN(len(names))], 17+r.IntN(10), base.AddDate(0, 0, -r.IntN(2000)).Format("2006-01-02"))
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("seed dbo.Student rows from %d: %w", lo, err)
		}
	}
	return nil
}

// Workload runs random multi-statement transactions against the sample
// tables until ctx ends.
type Workload struct {
	DB          *sql.DB
	NextID      int64 // first free id (above the seeded ones)
	Txns, Stmts atomic.Int64
}

// Run drives the workload until ctx ends. It returns the first error that is
// not caused by ctx ending.
func (w *Workload) Run(ctx context.Context, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	next := &atomic.Int64{}
	next.Store(w.NextID)
	for ctx.Err() == nil {
		if err := w.txn(ctx, r, next); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		w.Txns.Add(1)
	}
	return nil
}

func (w *Workload) txn(ctx context.Context, r *rand.Rand, next *atomic.Int64) error {
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	for i := 0; i < 1+r.IntN(4); i++ {
		hi := next.Load()
		var q string
		var args []any
		switch op := r.IntN(12); {
		case op < 3:
			id := next.Add(1) - 1
			q = `INSERT INTO dbo.customer (id, name, city, balance, updated_at) VALUES (@p1, @p2, @p3, @p4, SYSUTCDATETIME())`
			args = []any{id, fmt.Sprintf("%s %d", names[r.IntN(len(names))], id), cities[r.IntN(len(cities))], fmt.Sprintf("%d.%02d", r.IntN(5000), r.IntN(100))}
		case op < 6:
			q = `UPDATE dbo.customer SET balance = balance + @p1, city = @p2, updated_at = SYSUTCDATETIME() WHERE id = @p3`
			args = []any{fmt.Sprintf("%d.%02d", r.IntN(100), r.IntN(100)), cities[r.IntN(len(cities))], 1 + r.Int64N(hi-1)}
		case op < 7:
			q = `DELETE FROM dbo.customer WHERE id = @p1`
			args = []any{1 + r.Int64N(hi-1)}
		case op < 8:
			q = `UPDATE dbo.Student SET age = age + 1, name = @p1 WHERE id = @p2`
			args = []any{names[r.IntN(len(names))], 1 + r.Int64N(hi-1)}
		case op < 9:
			id := next.Add(1) - 1
			q = `INSERT INTO dbo.Student (id, name, age, enrolled) VALUES (@p1, @p2, @p3, CAST(GETDATE() AS date))`
			args = []any{id, names[r.IntN(len(names))], 18 + r.IntN(8)}
		case op < 11:
			// The shards: the same keys in both, so a merge must keep them apart.
			shard := Shards[r.IntN(len(Shards))]
			if op == 9 {
				q = `UPDATE testschema.` + shard + ` SET balance = balance + @p1, city = @p2 WHERE id = @p3`
				args = []any{fmt.Sprintf("%d.%02d", r.IntN(100), r.IntN(100)), cities[r.IntN(len(cities))], 1 + r.Int64N(hi-1)}
			} else {
				q = `DELETE FROM testschema.` + shard + ` WHERE id = @p1`
				args = []any{1 + r.Int64N(hi-1)}
			}
		default:
			// A primary-key change: the old key must disappear from the target.
			id := next.Add(1) - 1
			q = `UPDATE dbo.Student SET id = @p1 WHERE id = @p2`
			args = []any{id, 1 + r.Int64N(hi-1)}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(q)[0], err)
		}
		w.Stmts.Add(1)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

package targetcheck

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster/pgtest"
	"github.com/mssql2adb/mssql2adb/internal/precheck"
	"github.com/mssql2adb/mssql2adb/internal/route"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func ordersTable() *catalog.Table {
	return &catalog.Table{Database: "shop", Schema: "sales", Name: "Orders", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{{Name: "Id", Ordinal: 1, Type: "int"}, {Name: "Amount", Ordinal: 2, Type: "decimal", Precision: 10, Scale: 2, Nullable: true}}}
}

func orderTable() *catalog.Table {
	t := ordersTable()
	t.Name = "Order"
	return t
}

// target returns the target items' settings over a fresh database, as the
// admin (or as user, created with password "pw", when given).
func target(t *testing.T, rc route.Config, tables []*catalog.Table, user string, setup ...string) Target {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.ForTest(t)
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	for _, stmt := range setup {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	pool := admin
	if user != "" {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.User, cfg.ConnConfig.Password = user, "pw"
		if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
	}
	r, err := route.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return Target{Pool: pool, Dialect: "postgres", MetaSchema: "mssql2adb", Router: r, ExistingTables: "intercept",
		Tables: func(context.Context) ([]*catalog.Table, error) { return tables, nil }}
}

func checkTarget(t *testing.T, tg Target, item string, want precheck.Status, says ...string) {
	t.Helper()
	rep := precheck.Run(context.Background(), tg.Items(), nil)
	res, ok := rep.Find(item)
	if !ok {
		t.Fatalf("no result for %s", item)
	}
	text := res.Detail + " fix: " + res.Fix
	if res.Status != want {
		t.Fatalf("%s: %s (%s), want %s", item, res.Status, text, want)
	}
	for _, s := range says {
		if !strings.Contains(text, s) {
			t.Errorf("%s says %q, want it to say %q", item, text, s)
		}
	}
}

func TestTargetAllPassed(t *testing.T) {
	tg := target(t, route.Config{}, []*catalog.Table{ordersTable()}, "")
	rep := precheck.Run(context.Background(), tg.Items(), nil)
	for _, r := range rep {
		if r.Status != precheck.Passed {
			t.Errorf("%s: %s: %s %s", r.Item, r.Status, r.Detail, r.Fix)
		}
	}
}

func TestTargetConnectionFails(t *testing.T) {
	tg := target(t, route.Config{}, []*catalog.Table{ordersTable()}, "nobody")
	checkTarget(t, tg, TargetConnection, precheck.Failed, `role "nobody" does not exist`, "TARGET_DSN")
	checkTarget(t, tg, TargetTables, precheck.NotChecked, "needs target_connection")
}

func TestTargetPermissions(t *testing.T) {
	// app may log in but not create schemas; sales exists without CREATE
	// for app, and sales.Orders exists without grants.
	tg := target(t, route.Config{}, []*catalog.Table{ordersTable()}, "app",
		"CREATE ROLE app LOGIN PASSWORD 'pw'",
		`CREATE SCHEMA sales`, `GRANT USAGE ON SCHEMA sales TO app`,
		`CREATE TABLE sales."Orders" ("Id" int PRIMARY KEY, "Amount" numeric(10,2), __source_lsn bytea)`)
	checkTarget(t, tg, TargetPermissions, precheck.Failed,
		"user app lacks CREATE on database", "(to create schema mssql2adb)", "USAGE and CREATE on schema sales",
		`SELECT, INSERT, UPDATE, DELETE on "sales"."Orders"`,
		`GRANT CREATE ON DATABASE`, `GRANT USAGE, CREATE ON SCHEMA "sales" TO "app";`, `GRANT SELECT, INSERT, UPDATE, DELETE ON "sales"."Orders" TO "app";`)
}

func TestTargetTableExists(t *testing.T) {
	tg := target(t, route.Config{}, []*catalog.Table{ordersTable()}, "",
		`CREATE SCHEMA sales`, `CREATE TABLE sales."Orders" ("Id" int PRIMARY KEY)`)
	checkTarget(t, tg, TargetTables, precheck.Failed,
		`target table "sales"."Orders" exists and was not created by this program (EXISTING_TABLES=intercept), source shop.sales.Orders`, "set EXISTING_TABLES=use")
	tg.ExistingTables = "use"
	checkTarget(t, tg, TargetTables, precheck.Warning, `will be written into`)
}

func TestTargetTableMissingWithoutSchemaSync(t *testing.T) {
	tg := target(t, route.Config{}, []*catalog.Table{ordersTable()}, "")
	tg.NoSchemaSync = true
	checkTarget(t, tg, TargetTables, precheck.Failed, `missing while SYNC_SCHEMA=off: "sales"."Orders"`)
}

func TestTargetNames(t *testing.T) {
	tg := target(t, route.Config{FoldNames: true}, []*catalog.Table{orderTable()}, "")
	checkTarget(t, tg, TargetNames, precheck.Failed, `target table name "order" is a reserved word`, "TARGET_QUOTE_NAMES=on")
	other := ordersTable()
	other.Database = "shop2"
	checkTarget(t, target(t, route.Config{}, []*catalog.Table{ordersTable(), other}, ""), TargetNames, precheck.Failed,
		`shop.sales.Orders and shop2.sales.Orders: the topic of each carries rows of another source table for the same target table "sales"."Orders"`)
	two := route.Config{File: &route.File{Tables: []route.Rule{{Source: "shop.sales.orders", TargetTable: "all_orders"}, {Source: "shop.sales.order", TargetTable: "all_orders2"}}}}
	checkTarget(t, target(t, two, []*catalog.Table{ordersTable(), orderTable()}, ""), TargetNames, precheck.Passed)
}

func TestTargetMappingEntryMatchesNothing(t *testing.T) {
	rc := route.Config{Include: []string{"shop.sales.*"}, File: &route.File{Tables: []route.Rule{{Source: "shop.sales.orderz", TargetTable: "o"}}}}
	checkTarget(t, target(t, rc, []*catalog.Table{ordersTable()}, ""), MappingEntries, precheck.Warning,
		`entries that match no source table: tables[0] (source "shop.sales.orderz")`)
}

func TestTargetTableSettings(t *testing.T) {
	bad := route.Config{File: &route.File{Tables: []route.Rule{{Source: "shop.sales.orders", DistributionKey: []string{"Amount"}}}}}
	tg := target(t, bad, []*catalog.Table{ordersTable()}, "")
	tg.Dialect = "adbpg"
	checkTarget(t, tg, TableSettings, precheck.Failed, `table shop.sales.Orders: mapping file: distribution_key column "Amount" is not in the primary key (Id)`)
	ok := route.Config{File: &route.File{Tables: []route.Rule{{Source: "shop.sales.orders", TableType: "replicated"}}}}
	checkTarget(t, target(t, ok, []*catalog.Table{ordersTable()}, ""), TableSettings, precheck.Warning, `the postgres dialect has no table types`, `"sales"."Orders"`)
}

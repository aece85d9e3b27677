package source

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestIdentifiersUsersUse captures tables and columns named with spaces,
// dots, dashes, brackets, quotes, reserved words, non-ASCII letters and 128
// characters (SQL Server's limit): discovery, the snapshot and the change
// stream all keep the exact names, and each value stays in its column.
func TestIdentifiersUsersUse(t *testing.T) {
	e := newEnv(t, true)
	long := strings.Repeat("L", 127) + "X"
	e.exec("CREATE SCHEMA [sales.eu]")
	for _, q := range []string{
		"CREATE TABLE dbo.[Order Details] ([Order ID] int NOT NULL PRIMARY KEY, [Product-ID] int NULL, [select] nvarchar(10) NULL)",
		"CREATE TABLE [sales.eu].[a.b] ([x]]y] int NOT NULL PRIMARY KEY, [it's] nvarchar(5) NULL, [\"q\"] int NULL)",
		"CREATE TABLE dbo.[Ünïcode Täble] ([Ключ] int NOT NULL PRIMARY KEY, [名字] nvarchar(20) NULL)",
		"CREATE TABLE dbo.[" + long + "] ([" + long + "] int NOT NULL PRIMARY KEY, v int NULL)",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Order Details', @role_name = NULL",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'sales.eu', @source_name = N'a.b', @role_name = NULL",
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'Ünïcode Täble', @role_name = NULL",
		// A capture instance has at most 100 characters.
		"EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'" + long + "', @role_name = NULL, @capture_instance = N'dbo_long'",
		"INSERT INTO dbo.[Order Details] VALUES (1, 2, N'x')",
		"INSERT INTO [sales.eu].[a.b] ([x]]y], [it's], [\"q\"]) VALUES (1, N'a', 2)",
		"INSERT INTO dbo.[Ünïcode Täble] VALUES (1, N'名')",
		"INSERT INTO dbo.[" + long + "] VALUES (1, 2)",
	} {
		e.exec(q)
	}
	ctx := context.Background()
	tables, _, err := Discover(ctx, e.db, Config{Database: e.name})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range tables {
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
		}
		got = append(got, fmt.Sprintf("[%s].[%s] %q key %q", tb.Schema, tb.Name, cols, tb.PrimaryKey))
	}
	sort.Strings(got)
	want := []string{
		fmt.Sprintf("[dbo].[%s] %q key %q", long, []string{long, "v"}, []string{long}),
		fmt.Sprintf("[dbo].[Order Details] %q key %q", []string{"Order ID", "Product-ID", "select"}, []string{"Order ID"}),
		fmt.Sprintf("[dbo].[Ünïcode Täble] %q key %q", []string{"Ключ", "名字"}, []string{"Ключ"}),
		fmt.Sprintf("[sales.eu].[a.b] %q key %q", []string{"x]y", "it's", `"q"`}, []string{"x]y"}),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("discovered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	ru := startRun(t, NewReader(e.db, Config{Database: e.name, PollInterval: 20 * time.Millisecond}, tables), Position{}, nil)
	ru.waitFor("the snapshot", snapshotDone)
	for _, q := range []string{
		"UPDATE dbo.[Order Details] SET [select] = N'y' WHERE [Order ID] = 1",
		"UPDATE [sales.eu].[a.b] SET [it's] = N'b' WHERE [x]]y] = 1",
		"UPDATE dbo.[Ünïcode Täble] SET [名字] = N'字'",
		"UPDATE dbo.[" + long + "] SET v = 3",
	} {
		e.exec(q)
	}
	ru.waitFor("four updates", func(bs []Batch) bool { return len(events(bs)) >= 8 })
	var evs []string
	for _, ev := range events(ru.batches()) {
		evs = append(evs, fmt.Sprintf("%s [%s].[%s] %v", ev.Op, ev.Table.Schema, ev.Table.Name, ev.After))
	}
	sort.Strings(evs)
	wantEvs := []string{
		"r [dbo].[" + long + "] [1 2]", "r [dbo].[Order Details] [1 2 x]", "r [dbo].[Ünïcode Täble] [1 名]", "r [sales.eu].[a.b] [1 a 2]",
		"u [dbo].[" + long + "] [1 3]", "u [dbo].[Order Details] [1 2 y]", "u [dbo].[Ünïcode Täble] [1 字]", "u [sales.eu].[a.b] [1 b 2]",
	}
	sort.Strings(wantEvs)
	if strings.Join(evs, "\n") != strings.Join(wantEvs, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(evs, "\n"), strings.Join(wantEvs, "\n"))
	}
}

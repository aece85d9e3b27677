package mssqlemu_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
)

// TestAllTypesThroughDriver stores one value of every supported type and
// reads it back with go-mssqldb, as the producer's snapshot does.
func TestAllTypesThroughDriver(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE types"); err != nil {
		t.Fatal(err)
	}
	err := emu.Exec(ctx, "types", `CREATE TABLE dbo.all_types (
	id int PRIMARY KEY, c_bit bit, c_tiny tinyint, c_small smallint, c_big bigint, c_dec decimal(38,10), c_num numeric(5,2),
	c_money money, c_smallmoney smallmoney, c_float float, c_real real, c_char char(4), c_varchar varchar(20), c_nchar nchar(3),
	c_nvarchar nvarchar(20), c_vmax varchar(max), c_nmax nvarchar(max), c_text text, c_ntext ntext, c_binary binary(3),
	c_varbinary varbinary(10), c_vbmax varbinary(max), c_image image, c_guid uniqueidentifier, c_date date, c_time time(3),
	c_datetime datetime, c_dt2 datetime2(7), c_sdt smalldatetime, c_dto datetimeoffset(7), c_xml xml, c_rv rowversion,
	c_hier hierarchyid, c_geo geography, c_geom geometry);
INSERT INTO dbo.all_types (id, c_bit, c_tiny, c_small, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char, c_varchar,
	c_nchar, c_nvarchar, c_vmax, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time, c_datetime,
	c_dt2, c_sdt, c_dto, c_xml, c_hier, c_geo, c_geom)
VALUES (1, 1, 255, -32768, 9223372036854775807, 1234567890123456789012345678.0123456789, -123.45, 922337203685477.5807, -214748.3648,
	1.5e300, 3.25, 'ab', 'café', N'né', N'日本語😀', REPLICATE('x', 9000), N'long', 'text', N'ntext', 0x0102, 0xCAFE, 0x00FF, 0x01,
	'6F9619FF-8B86-D011-B42D-00C04FC964FF', '2024-02-29', '13:14:15.678', '2024-01-02 03:04:05.997', '2024-01-02T03:04:05.1234567',
	'2024-01-02 03:04', '2024-01-02T03:04:05.1234567+05:30', '<r a="1"/>', 0x58, 0xE6100000010C00000000000000000000000000000000, 0x00000000010C00000000000000000000000000000000);`)
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("types"))
	var (
		bit                             bool
		tiny, small, big                int64
		dec, num, money, smallmoney     string
		f                               float64
		r                               float32
		ch, vc, nch, nvc, vmax, nm, txt string
		ntxt, xml                       string
		bin, vb, vbmax, img, rv, hier   []byte
		geo, geom                       []byte
		guid                            mssql.UniqueIdentifier
		date, tm, dtm, dt2, sdt, dto    time.Time
	)
	row := db.QueryRowContext(ctx, `SELECT c_bit, c_tiny, c_small, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char,
		c_varchar, c_nchar, c_nvarchar, c_vmax, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time,
		c_datetime, c_dt2, c_sdt, c_dto, c_xml, c_rv, c_hier, c_geo, c_geom FROM dbo.all_types WHERE id = @id`, sql.Named("id", 1))
	if err := row.Scan(&bit, &tiny, &small, &big, &dec, &num, &money, &smallmoney, &f, &r, &ch, &vc, &nch, &nvc, &vmax, &nm, &txt, &ntxt,
		&bin, &vb, &vbmax, &img, &guid, &date, &tm, &dtm, &dt2, &sdt, &dto, &xml, &rv, &hier, &geo, &geom); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"bit", bit, true}, {"tinyint", tiny, int64(255)}, {"smallint", small, int64(-32768)}, {"bigint", big, int64(9223372036854775807)},
		{"decimal", dec, "1234567890123456789012345678.0123456789"}, {"numeric", num, "-123.45"},
		{"money", money, "922337203685477.5807"}, {"smallmoney", smallmoney, "-214748.3648"}, {"float", f, 1.5e300}, {"real", r, float32(3.25)},
		{"char", ch, "ab  "}, {"varchar", vc, "café"}, {"nchar", nch, "né "}, {"nvarchar", nvc, "日本語😀"}, {"varchar(max)", len(vmax), 9000},
		{"text", txt, "text"}, {"ntext", ntxt, "ntext"}, {"binary", string(bin), "\x01\x02\x00"}, {"varbinary", string(vb), "\xca\xfe"},
		{"guid", guid.String(), "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{"date", date.Format("2006-01-02"), "2024-02-29"}, {"time", tm.Format("15:04:05.000"), "13:14:15.678"},
		{"datetime", dtm.Format("2006-01-02 15:04:05.000"), "2024-01-02 03:04:05.997"},
		{"datetime2", dt2.Format("2006-01-02 15:04:05.0000000"), "2024-01-02 03:04:05.1234567"},
		{"smalldatetime", sdt.Format("2006-01-02 15:04"), "2024-01-02 03:04"},
		{"datetimeoffset", dto.Format("2006-01-02 15:04:05.0000000 -07:00"), "2024-01-02 03:04:05.1234567 +05:30"},
		{"xml", xml, `<r a="1"/>`}, {"rowversion", len(rv), 8}, {"hierarchyid", string(hier), "X"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestSQLVariantThroughDriver: a sql_variant keeps its base type, so the
// driver decodes the value it holds; types a variant cannot hold are
// refused with Msg 206.
func TestSQLVariantThroughDriver(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE v"); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("v"))
	if _, err := db.ExecContext(ctx, `CREATE TABLE dbo.t (id int PRIMARY KEY, x sql_variant);
INSERT INTO dbo.t VALUES (1, 42), (2, N'naïve'), (3, CAST(12.50 AS decimal(5,2))), (4, CAST('2024-02-29' AS date)), (5, NULL)`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT x FROM dbo.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if tm, ok := v.(time.Time); ok {
			v = tm.Format("2006-01-02")
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []any{int64(42), "naïve", "12.50", "2024-02-29", nil}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %#v, want %#v", i+1, got[i], want[i])
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT CAST(x AS int) + 1 FROM dbo.t WHERE id = 1").Scan(&n); err != nil || n != 43 {
		t.Errorf("CAST(variant AS int) + 1 = %d, %v", n, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM dbo.t WHERE x = 42").Scan(&n); err != nil || n != 1 {
		t.Errorf("variant compared with an int: %d rows, %v", n, err)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO dbo.t VALUES (6, CAST(REPLICATE('x', 9000) AS varchar(max)))")
	var me mssql.Error
	if !errors.As(err, &me) || me.Number != 206 {
		t.Errorf("varchar(max) into sql_variant: %v", err)
	}
}

// TestChangeRowsCarryEveryType: the change function returns each captured
// column of an insert exactly as the source table holds it, for every type.
func TestChangeRowsCarryEveryType(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	if err := emu.Exec(ctx, "master", "CREATE DATABASE ct"); err != nil {
		t.Fatal(err)
	}
	const cols = `c_bit, c_tiny, c_small, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char, c_varchar, c_nchar,
	c_nvarchar, c_vmax, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time, c_datetime, c_dt2,
	c_sdt, c_dto, c_xml, c_rv, c_hier, c_geo, c_geom, c_var`
	if err := emu.Exec(ctx, "ct", `CREATE TABLE dbo.all_types (
	id int PRIMARY KEY, c_bit bit, c_tiny tinyint, c_small smallint, c_big bigint, c_dec decimal(38,10), c_num numeric(5,2),
	c_money money, c_smallmoney smallmoney, c_float float, c_real real, c_char char(4), c_varchar varchar(20), c_nchar nchar(3),
	c_nvarchar nvarchar(20), c_vmax varchar(max), c_nmax nvarchar(max), c_text text, c_ntext ntext, c_binary binary(3),
	c_varbinary varbinary(10), c_vbmax varbinary(max), c_image image, c_guid uniqueidentifier, c_date date, c_time time(3),
	c_datetime datetime, c_dt2 datetime2(7), c_sdt smalldatetime, c_dto datetimeoffset(7), c_xml xml, c_rv rowversion,
	c_hier hierarchyid, c_geo geography, c_geom geometry, c_var sql_variant);
EXEC sys.sp_cdc_enable_db;
EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'all_types', @role_name = NULL;
INSERT INTO dbo.all_types (id, c_bit, c_tiny, c_small, c_big, c_dec, c_num, c_money, c_smallmoney, c_float, c_real, c_char, c_varchar,
	c_nchar, c_nvarchar, c_vmax, c_nmax, c_text, c_ntext, c_binary, c_varbinary, c_vbmax, c_image, c_guid, c_date, c_time, c_datetime,
	c_dt2, c_sdt, c_dto, c_xml, c_hier, c_geo, c_geom, c_var)
VALUES (1, 1, 255, -32768, 9223372036854775807, 1234567890123456789012345678.0123456789, -123.45, 922337203685477.5807, -214748.3648,
	1.5e300, 3.25, 'ab', 'café', N'né', N'日本語😀', REPLICATE('x', 9000), N'long', 'text', N'ntext', 0x0102, 0xCAFE, 0x00FF, 0x01,
	'6F9619FF-8B86-D011-B42D-00C04FC964FF', '2024-02-29', '13:14:15.678', '2024-01-02 03:04:05.997', '2024-01-02T03:04:05.1234567',
	'2024-01-02 03:04', '2024-01-02T03:04:05.1234567+05:30', '<r a="1"/>', 0x58, 0xE6100000010C00000000000000000000000000000000, 0x00000000010C00000000000000000000000000000000,
	CAST(N'variant' AS nvarchar(10)));`); err != nil {
		t.Fatal(err)
	}
	db := open(t, emu.DSN("ct"))
	scan := func(q string) []any {
		t.Helper()
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		names, _ := rows.Columns()
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if !rows.Next() {
			t.Fatalf("%s: no row", q)
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		return vals
	}
	src := scan("SELECT " + cols + " FROM dbo.all_types")
	ch := scan(`DECLARE @from binary(10) = sys.fn_cdc_get_min_lsn('dbo_all_types'), @to binary(10) = sys.fn_cdc_get_max_lsn();
SELECT ` + cols + ` FROM cdc.fn_cdc_get_all_changes_dbo_all_types(@from, @to, N'all')`)
	names := strings.Split(strings.Join(strings.Fields(cols), ""), ",")
	for i := range src {
		if fmt.Sprintf("%#v", src[i]) != fmt.Sprintf("%#v", ch[i]) {
			t.Errorf("%s: source %#v, change row %#v", names[i], src[i], ch[i])
		}
	}
	if src[len(src)-1] != "variant" {
		t.Errorf("sql_variant read back as %#v", src[len(src)-1])
	}
}

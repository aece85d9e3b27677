package mssqlemu_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"testing"
)

// TestConformanceSpatial: geometry and geography built from well-known text
// and points, read back with the OGC methods, with the examples of
// Microsoft's method pages, and their binary form ([MS-SSCLRT]: SRID,
// version 1, properties, then the coordinates; latitude first for geography).
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stgeomfromtext-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geography/stgeomfromtext-geography-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geography/point-geography-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stx-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stastext-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/astextzm-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stnumpoints-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stgeometrytype-geometry-data-type
// https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-ssclrt/
func TestConformanceSpatial(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	for _, tc := range []struct{ q, want string }{
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('LINESTRING (100 100, 20 180, 180 180)', 0); SELECT @g.ToString();", "LINESTRING (100 100, 20 180, 180 180)"},
		{"DECLARE @g geography; SET @g = geography::STGeomFromText('LINESTRING(-122.360 47.656, -122.343 47.656)', 4326); SELECT @g.ToString();", "LINESTRING (-122.36 47.656, -122.343 47.656)"},
		{"DECLARE @g geography; SET @g = geography::Point(47.65100, -122.34900, 4326); SELECT @g.ToString();", "POINT (-122.349 47.651)"},
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('POINT(3 8)', 0); SELECT CAST(@g.STX AS varchar(10));", "3"},
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('LINESTRING(0 0, 0 1, 1 0)', 0); SELECT @g.STAsText();", "LINESTRING (0 0, 0 1, 1 0)"},
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('POINT(1 2 3 4)', 0); SELECT @g.AsTextZM() + ' / ' + @g.STAsText();", "POINT (1 2 3 4) / POINT (1 2)"},
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('LINESTRING(0 0, 2 2, 1 0)', 0); SELECT CAST(@g.STNumPoints() AS varchar(10));", "3"},
		{"DECLARE @g geometry; SET @g = geometry::STGeomFromText('POLYGON((0 0, 3 0, 3 3, 0 3, 0 0))', 0); SELECT @g.STGeometryType();", "Polygon"},
		{"SELECT geometry::STGeomFromText('POLYGON((0 0, 3 0, 3 3, 0 3, 0 0),(2 2, 2 1, 1 1, 1 2, 2 2))', 0).STStartPoint().ToString()", "POINT (0 0)"},
	} {
		var got string
		if err := db.QueryRowContext(ctx, tc.q).Scan(&got); err != nil || got != tc.want {
			t.Errorf("%s\n= %q, %v; want %q", tc.q, got, err, tc.want)
		}
	}
	// Binary form: a single point is SRID, 01, 0C (valid, single point), x, y.
	for _, tc := range []struct{ q, want string }{
		{"SELECT CAST(geometry::STGeomFromText('POINT(3 8)', 0) AS varbinary(max))", "00000000010c00000000000008400000000000002040"},
		{"SELECT CAST(geography::Point(47.651, -122.349, 4326) AS varbinary(max))", "e6100000010c17d9cef753d347407593180456965ec0"},
	} {
		var b []byte
		if err := db.QueryRowContext(ctx, tc.q).Scan(&b); err != nil || hex.EncodeToString(b) != tc.want {
			t.Errorf("%s = %x, %v; want %s", tc.q, b, err, tc.want)
		}
	}
	// Columns: WKT converts implicitly (Parse, SRID 0 and 4326), methods
	// and properties on the column, and the binary form converts back.
	exec(t, ctx, db, "CREATE TABLE dbo.places (id int PRIMARY KEY, shape geometry, spot geography)")
	exec(t, ctx, db, `INSERT dbo.places VALUES (1, 'POLYGON((0 0, 3 0, 3 3, 0 3, 0 0))', 'POINT(-122.349 47.651)'),
		(2, geometry::Point(5, 6, 0), geography::Point(10, 20, 4326)), (3, NULL, NULL)`)
	rows, err := db.QueryContext(ctx, `SELECT p.id, shape.STAsText(), shape.STSrid, p.shape.STNumPoints(), spot.Lat, spot.Long, spot.STSrid,
		CAST(CAST(shape AS varbinary(max)) AS geometry).ToString() FROM dbo.places AS p ORDER BY p.id`)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rows.Close()
	type row struct {
		id        int
		text      sql.NullString
		srid, n   sql.NullInt64
		lat, long sql.NullFloat64
		spotSRID  sql.NullInt64
		back      sql.NullString
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.text, &r.srid, &r.n, &r.lat, &r.long, &r.spotSRID, &r.back); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil || len(got) != 3 {
		t.Fatalf("%d rows, %v", len(got), err)
	}
	if r := got[0]; r.text.String != "POLYGON ((0 0, 3 0, 3 3, 0 3, 0 0))" || r.srid.Int64 != 0 || r.n.Int64 != 5 ||
		r.lat.Float64 != 47.651 || r.long.Float64 != -122.349 || r.spotSRID.Int64 != 4326 || r.back.String != r.text.String {
		t.Errorf("row 1: %+v", r)
	}
	if r := got[1]; r.text.String != "POINT (5 6)" || r.lat.Float64 != 10 || r.long.Float64 != 20 {
		t.Errorf("row 2: %+v", r)
	}
	if r := got[2]; r.text.Valid || r.srid.Valid || r.lat.Valid {
		t.Errorf("row 3 (NULLs): %+v", r)
	}
	// Not well-known text: Msg 6522 (System.FormatException).
	var b []byte
	if err := db.QueryRowContext(ctx, "SELECT geometry::STGeomFromText('POINT(1)', 0)").Scan(&b); errNumber(err) != 6522 {
		t.Errorf("POINT(1): %v; want Msg 6522", err)
	}
	if !bytes.Equal(b, nil) {
		t.Errorf("POINT(1) gave 0x%x", b)
	}
	// Bytes that are no instance are refused when converted, as SQL Server
	// deserializes them (Msg 6522, 24210); an instance's bytes convert.
	for _, tc := range []struct {
		q    string
		want int32
	}{
		{"SELECT CAST(0x000000000101 AS geometry)", 6522},
		{"SELECT CAST(0xE6100000010C0000000000000000 AS geography)", 6522},
		{"SELECT CAST(0x00000000010C00000000000000000000000000000000 AS geometry).STAsText()", 0},
		{"SELECT CAST(0xE6100000010C00000000000000000000000000000000 AS geography).STAsText()", 0},
	} {
		var out any
		if err := db.QueryRowContext(ctx, tc.q).Scan(&out); errNumber(err) != tc.want {
			t.Errorf("%s: %v; want Msg %d (0: none)", tc.q, err, tc.want)
		}
	}
}

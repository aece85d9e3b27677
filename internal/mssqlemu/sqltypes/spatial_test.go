package sqltypes

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// spatialBytes builds a binary form from int32 (int), byte and float64 values.
func spatialBytes(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch x := p.(type) {
		case int:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(x)))
		case byte:
			b = append(b, x)
		case float64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}

// TestSpatialSpecExamples: the examples of [MS-SSCLRT] section 3
// (Structure Examples) read to the shapes they describe, and the shapes
// written back to the same bytes: an empty point, a point, and a
// geometry collection of a point, a line string and a polygon with a hole.
// https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-ssclrt/
func TestSpatialSpecExamples(t *testing.T) {
	for _, tc := range []struct {
		name string
		bin  []byte
		srid int32
		wkt  string
	}{
		{"empty point", spatialBytes(0, byte(1), byte(4), 0, 0, 1, -1, -1, byte(1)), 0, "POINT EMPTY"},
		{"point", spatialBytes(4326, byte(1), byte(0x0C), 5.0, 10.0), 4326, "POINT (5 10)"},
		{"collection", spatialBytes(4326, byte(1), byte(4),
			13, 0.0, 4.0, 2.0, 4.0, 3.0, 5.0, 0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 2.0, 1.0, 1.0,
			4, byte(1), 0, byte(1), 1, byte(2), 3, byte(0), 8,
			4, -1, 0, byte(7), 0, 0, byte(1), 0, 1, byte(2), 0, 2, byte(3)), 4326,
			"GEOMETRYCOLLECTION (POINT (0 4), LINESTRING (2 4, 3 5), POLYGON ((0 0, 0 3, 3 3, 3 0, 0 0), (1 1, 2 1, 2 2, 1 2, 1 1)))"},
	} {
		sp, err := DeserializeSpatial(tc.bin, false)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := sp.Shape.WKT(true); got != tc.wkt || sp.SRID != tc.srid {
			t.Errorf("%s: %q SRID %d; want %q SRID %d", tc.name, got, sp.SRID, tc.wkt, tc.srid)
		}
		back, err := ParseWKT(tc.wkt, tc.srid, false)
		if err != nil {
			t.Errorf("%s: parse %q: %v", tc.name, tc.wkt, err)
			continue
		}
		if got := back.Serialize(); !bytes.Equal(got, tc.bin) {
			t.Errorf("%s: serialized\n%x\nwant\n%x", tc.name, got, tc.bin)
		}
	}
	// The spec's line string with Z values (the third one NaN).
	line := spatialBytes(4326, byte(1), byte(5), 3, 0.0, 1.0, 3.0, 2.0, 4.0, 5.0, 1.0, 2.0, math.NaN(), 1, byte(1), 0, 1, -1, 0, byte(2))
	sp, err := DeserializeSpatial(line, false)
	if err != nil || sp.Shape.Type != ShapeLineString || len(sp.Shape.Points()) != 3 || sp.Shape.Points()[1].Z != 2 || sp.Shape.WKT(false) != "LINESTRING (0 1, 3 2, 4 5)" {
		t.Errorf("line string with Z: %+v, %v", sp, err)
	}
}

// TestSpatialWKT: well-known text in the forms STGeomFromText accepts,
// written back as STAsText (without Z and M) and ToString (with them) do;
// a geography keeps latitude first in its binary form; and the errors of
// invalid input.
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/stgeomfromtext-geometry-data-type
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geography/point-geography-data-type
func TestSpatialWKT(t *testing.T) {
	for _, tc := range []struct{ in, text, zm string }{
		{"LINESTRING (100 100, 20 180, 180 180)", "LINESTRING (100 100, 20 180, 180 180)", ""},
		{"linestring(-122.360 47.656, -122.343 47.656 )", "LINESTRING (-122.36 47.656, -122.343 47.656)", ""},
		{"POLYGON((0 0, 3 0, 3 3, 0 3, 0 0),(2 2, 2 1, 1 1, 1 2, 2 2))", "POLYGON ((0 0, 3 0, 3 3, 0 3, 0 0), (2 2, 2 1, 1 1, 1 2, 2 2))", ""},
		{"MULTIPOINT((3 4), (5 6))", "MULTIPOINT ((3 4), (5 6))", ""},
		{"MULTIPOINT(3 4, 5 6)", "MULTIPOINT ((3 4), (5 6))", ""},
		{"MULTILINESTRING((0 2, 1 1), (1 0, 1 1))", "MULTILINESTRING ((0 2, 1 1), (1 0, 1 1))", ""},
		{"GEOMETRYCOLLECTION(POINT(4 6), LINESTRING EMPTY)", "GEOMETRYCOLLECTION (POINT (4 6), LINESTRING EMPTY)", ""},
		{"POINT(1 2 3 4)", "POINT (1 2)", "POINT (1 2 3 4)"},
		{"POINT(1 2 NULL 4)", "POINT (1 2)", "POINT (1 2 NULL 4)"},
		{"POINT EMPTY", "POINT EMPTY", ""},
		{"POINT(0.00001 1E+20)", "POINT (1E-05 1E+20)", ""},
	} {
		sp, err := ParseWKT(tc.in, 0, false)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		zm := tc.zm
		if zm == "" {
			zm = tc.text
		}
		if got := sp.Shape.WKT(false); got != tc.text {
			t.Errorf("STAsText of %s = %q; want %q", tc.in, got, tc.text)
		}
		if got := sp.Shape.WKT(true); got != zm {
			t.Errorf("ToString of %s = %q; want %q", tc.in, got, zm)
		}
		back, err := DeserializeSpatial(sp.Serialize(), false)
		if err != nil || back.Shape.WKT(true) != zm {
			t.Errorf("%s: binary round trip gives %v, %v", tc.in, back, err)
		}
	}
	g, err := ParseWKT("POINT(-122.34900 47.65100)", 4326, true)
	if err != nil {
		t.Fatal(err)
	}
	want := spatialBytes(4326, byte(1), byte(0x0C), 47.651, -122.349)
	if got := g.Serialize(); !bytes.Equal(got, want) {
		t.Errorf("geography point: %x; want latitude first: %x", got, want)
	}
	for _, tc := range []struct {
		in        string
		geography bool
		code      string
	}{
		{"POINT(1)", false, "24141"},
		{"SQUARE(1 2)", false, "24114"},
		{"POLYGON((0 0, 1 0, 1 1, 0 1))", false, "24119"},
		{"POLYGON((0 0, 1 0, 0 0))", false, "24118"},
		{"LINESTRING(1 1)", false, "24117"},
		{"POINT(1 2) x", false, "24142"},
		{"POINT(10 95)", true, "24201"},
	} {
		srid := int32(0)
		if tc.geography {
			srid = 4326
		}
		_, err := ParseWKT(tc.in, srid, tc.geography)
		if e, ok := err.(*Error); !ok || e.Number != 6522 || !bytes.Contains([]byte(e.Text), []byte(tc.code)) {
			t.Errorf("%s: %v; want Msg 6522 with %s", tc.in, err, tc.code)
		}
	}
	if _, err := ParseWKT("POINT(1 2)", 0, true); err == nil {
		t.Error("geography with SRID 0 accepted")
	}
}

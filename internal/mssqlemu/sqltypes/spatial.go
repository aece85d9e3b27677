package sqltypes

// geometry and geography: well-known text (WKT) in and out, and the binary
// form SQL Server stores and sends over TDS, as [MS-SSCLRT] describes its
// GEOGRAPHY and GEOMETRY structures
// (https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-ssclrt/):
//
//	SRID (int32) | version 0x01 | properties (HasZ 0x01, HasM 0x02, IsValid 0x04,
//	IsSinglePoint 0x08, IsSingleLineSegment 0x10) | [point count (int32)]
//	points (two float64 each: x y for geometry, latitude longitude for
//	geography) | [Z values] | [M values] | [figure count, figures (attribute
//	byte: 0 interior ring, 1 stroke, 2 exterior ring; first point int32)]
//	[shape count, shapes (parent int32, first figure int32, OGC type byte)]
//
// A single point or a single line segment leaves the counts, figures and
// shapes out. Only the types of version 1 are read and written: points,
// line strings, polygons, their multi- forms and collections (no circular
// arcs, no FullGlobe).

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// OGC type numbers of the shapes ([MS-SSCLRT] SHAPE structure).
const (
	ShapePoint              = 1
	ShapeLineString         = 2
	ShapePolygon            = 3
	ShapeMultiPoint         = 4
	ShapeMultiLineString    = 5
	ShapeMultiPolygon       = 6
	ShapeGeometryCollection = 7
)

var shapeNames = map[int]string{
	ShapePoint: "POINT", ShapeLineString: "LINESTRING", ShapePolygon: "POLYGON",
	ShapeMultiPoint: "MULTIPOINT", ShapeMultiLineString: "MULTILINESTRING",
	ShapeMultiPolygon: "MULTIPOLYGON", ShapeGeometryCollection: "GEOMETRYCOLLECTION",
}

// ShapeLabel is the WKT label of a shape type (POINT, LINESTRING ...).
func ShapeLabel(t int) string { return shapeNames[t] }

// ShapeName is the OGC name of a shape type, as STGeometryType() gives it
// (Point, LineString ...).
func ShapeName(t int) string {
	switch t {
	case ShapeLineString:
		return "LineString"
	case ShapeMultiPoint:
		return "MultiPoint"
	case ShapeMultiLineString:
		return "MultiLineString"
	case ShapeMultiPolygon:
		return "MultiPolygon"
	case ShapeGeometryCollection:
		return "GeometryCollection"
	}
	n := shapeNames[t]
	return n[:1] + strings.ToLower(n[1:])
}

// SpatialPoint is a vertex: X and Y (for geography, X is the longitude and
// Y the latitude, as WKT writes them); Z and M are NaN when absent.
type SpatialPoint struct{ X, Y, Z, M float64 }

// Shape is a geometry or geography instance in logical form. A point has
// one figure of one vertex, a line string one figure, a polygon one figure
// per ring (the exterior first); the multi- types and collections have
// Children. An empty shape has neither.
type Shape struct {
	Type     int
	Figures  [][]SpatialPoint
	Children []*Shape
}

// Spatial is an instance with its spatial reference id.
type Spatial struct {
	SRID      int32
	Geography bool
	Shape     *Shape
}

// spatialName is the type's name in SQL Server's messages.
func spatialName(geography bool) string {
	if geography {
		return "geography"
	}
	return "geometry"
}

// ErrSpatial is Msg 6522, the .NET exception SQL Server's spatial types raise.
func ErrSpatial(geography bool, exception string, code int, format string, args ...any) *Error {
	return errf(6522, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"%s\": %s: %d: %s",
		spatialName(geography), exception, code, fmt.Sprintf(format, args...))
}

// wktLexer splits well-known text into words, numbers and punctuation.
type wktLexer struct {
	s         string
	at        int
	geography bool
}

func (l *wktLexer) skip() {
	for l.at < len(l.s) && (l.s[l.at] == ' ' || l.s[l.at] == '\t' || l.s[l.at] == '\r' || l.s[l.at] == '\n') {
		l.at++
	}
}

func (l *wktLexer) peek() string {
	l.skip()
	if l.at >= len(l.s) {
		return ""
	}
	c := l.s[l.at]
	if c == '(' || c == ')' || c == ',' {
		return string(c)
	}
	end := l.at
	for end < len(l.s) && !strings.ContainsRune(" \t\r\n(),", rune(l.s[end])) {
		end++
	}
	return l.s[l.at:end]
}

func (l *wktLexer) next() string {
	t := l.peek()
	l.at += len(t)
	return t
}

func (l *wktLexer) expect(want string) error {
	pos := l.at
	if got := l.next(); got != want {
		return ErrSpatial(l.geography, "System.FormatException", 24142, "Expected \"%s\" at position %d. The input has \"%s\".", want, pos+1, got)
	}
	return nil
}

func (l *wktLexer) number() (float64, error) {
	pos := l.at
	t := l.next()
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, ErrSpatial(l.geography, "System.FormatException", 24141, "A number is expected at position %d of the input. The input has %s.", pos+1, t)
	}
	return f, nil
}

// point reads "x y [z [m]]"; z may be NULL when only m is given.
func (l *wktLexer) point() (SpatialPoint, error) {
	p := SpatialPoint{Z: math.NaN(), M: math.NaN()}
	var err error
	if p.X, err = l.number(); err != nil {
		return p, err
	}
	if p.Y, err = l.number(); err != nil {
		return p, err
	}
	for _, dst := range []*float64{&p.Z, &p.M} {
		t := l.peek()
		if t == ")" || t == "," || t == "" {
			break
		}
		if strings.EqualFold(t, "NULL") {
			l.next()
			continue
		}
		if *dst, err = l.number(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// points reads "(p, p, ...)".
func (l *wktLexer) points() ([]SpatialPoint, error) {
	if err := l.expect("("); err != nil {
		return nil, err
	}
	var out []SpatialPoint
	for {
		p, err := l.point()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		if l.peek() != "," {
			return out, l.expect(")")
		}
		l.next()
	}
}

// empty reads EMPTY if it comes next.
func (l *wktLexer) empty() bool {
	if strings.EqualFold(l.peek(), "EMPTY") {
		l.next()
		return true
	}
	return false
}

// list reads "(item, item, ...)".
func (l *wktLexer) list(item func() error) error {
	if err := l.expect("("); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if l.peek() != "," {
			return l.expect(")")
		}
		l.next()
	}
}

// body reads a shape of type t after its label (or untagged, inside a
// multi- type): EMPTY or its parenthesized coordinates.
func (l *wktLexer) body(t int) (*Shape, error) {
	s := &Shape{Type: t}
	if l.empty() {
		return s, nil
	}
	switch t {
	case ShapePoint:
		pts, err := l.points()
		if err == nil && len(pts) != 1 {
			err = ErrSpatial(l.geography, "System.FormatException", 24142, "Expected \")\" at position %d. The input has \",\".", l.at+1)
		}
		s.Figures = [][]SpatialPoint{pts}
		return s, err
	case ShapeLineString:
		pts, err := l.points()
		s.Figures = [][]SpatialPoint{pts}
		if err == nil && len(pts) < 2 {
			err = ErrSpatial(l.geography, "System.FormatException", 24117, "The LineString input is not valid because it does not have enough distinct points. A LineString must have at least two distinct points.")
		}
		return s, err
	case ShapePolygon:
		err := l.list(func() error {
			ring, err := l.points()
			if err == nil {
				err = l.checkRing(ring, len(s.Figures) == 0)
			}
			s.Figures = append(s.Figures, ring)
			return err
		})
		return s, err
	case ShapeMultiPoint, ShapeMultiLineString, ShapeMultiPolygon:
		child := t - 3
		err := l.list(func() error {
			var c *Shape
			var err error
			if child == ShapePoint && l.peek() != "(" && !strings.EqualFold(l.peek(), "EMPTY") {
				// MULTIPOINT (1 2, 3 4): points without their parentheses.
				var p SpatialPoint
				p, err = l.point()
				c = &Shape{Type: ShapePoint, Figures: [][]SpatialPoint{{p}}}
			} else {
				c, err = l.body(child)
			}
			s.Children = append(s.Children, c)
			return err
		})
		return s, err
	default: // GEOMETRYCOLLECTION
		err := l.list(func() error {
			c, err := l.shape()
			s.Children = append(s.Children, c)
			return err
		})
		return s, err
	}
}

// shape reads one tagged shape.
func (l *wktLexer) shape() (*Shape, error) {
	pos := l.at
	label := strings.ToUpper(l.next())
	for t, n := range shapeNames {
		if n == label {
			return l.body(t)
		}
	}
	return nil, ErrSpatial(l.geography, "System.FormatException", 24114, "The label %s in the input well-known text (WKT) is not valid. Valid labels are POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION, CIRCULARSTRING, COMPOUNDCURVE, CURVEPOLYGON and FULLGLOBE (geography Data Type only).", strings.TrimSpace(l.s[pos:l.at]))
}

// checkRing refuses a polygon ring that is not closed or has fewer than
// four points, as STGeomFromText does (24119, 24118).
func (l *wktLexer) checkRing(ring []SpatialPoint, exterior bool) error {
	which := "exterior"
	if !exterior {
		which = "interior"
	}
	if len(ring) < 4 {
		return ErrSpatial(l.geography, "System.FormatException", 24118, "The Polygon input is not valid because the %s ring does not have enough points. Each ring of a polygon must contain at least four points.", which)
	}
	a, b := ring[0], ring[len(ring)-1]
	if a.X != b.X || a.Y != b.Y {
		return ErrSpatial(l.geography, "System.FormatException", 24119, "The Polygon input is not valid because the start and end points of the %s ring are not the same. Each ring of a polygon must have the same start and end points.", which)
	}
	return nil
}

// ParseWKT reads well-known text as geometry::STGeomFromText(text, srid) or
// geography::STGeomFromText(text, srid) does.
func ParseWKT(text string, srid int32, geography bool) (*Spatial, error) {
	l := &wktLexer{s: text, geography: geography}
	s, err := l.shape()
	if err != nil {
		return nil, err
	}
	if rest := l.peek(); rest != "" {
		return nil, ErrSpatial(geography, "System.FormatException", 24142, "Expected \"end of input\" at position %d. The input has \"%s\".", l.at+1, rest)
	}
	sp := &Spatial{SRID: srid, Geography: geography, Shape: s}
	return sp, sp.Check()
}

// Check applies the limits of the SRID and, for geography, of latitudes.
func (sp *Spatial) Check() error {
	if sp.Geography {
		// SQL Server's geographic SRIDs (sys.spatial_reference_systems)
		// lie in 4120-4999, with 104001 for the unit sphere.
		if (sp.SRID < 4120 || sp.SRID > 4999) && sp.SRID != 104001 {
			return ErrSpatial(true, "System.FormatException", 24204, "The spatial reference identifier (SRID) is not valid. The specified SRID must match one of the supported SRIDs displayed in the sys.spatial_reference_systems catalog view.")
		}
		var bad error
		sp.Shape.each(func(p SpatialPoint) {
			if bad == nil && (p.Y < -90 || p.Y > 90) {
				bad = ErrSpatial(true, "System.FormatException", 24201, "Latitude values must be between -90 and 90 degrees.")
			}
		})
		return bad
	}
	if sp.SRID < 0 || sp.SRID > 999999 {
		return ErrSpatial(false, "System.ArgumentException", 24111, "The well-known text (WKT) input is valid, but the SRID %d is not valid. SRID must be between 0 and 999999.", sp.SRID)
	}
	return nil
}

// each calls f for every vertex, in order.
func (s *Shape) each(f func(SpatialPoint)) {
	for _, fig := range s.Figures {
		for _, p := range fig {
			f(p)
		}
	}
	for _, c := range s.Children {
		c.each(f)
	}
}

// Points are the vertices in order.
func (s *Shape) Points() []SpatialPoint {
	var out []SpatialPoint
	s.each(func(p SpatialPoint) { out = append(out, p) })
	return out
}

// IsEmpty reports whether the shape has no points.
func (s *Shape) IsEmpty() bool { return len(s.Points()) == 0 }

// hasZM reports whether any vertex has a Z or an M value.
func (s *Shape) hasZM() (z, m bool) {
	s.each(func(p SpatialPoint) {
		z = z || !math.IsNaN(p.Z)
		m = m || !math.IsNaN(p.M)
	})
	return z, m
}

// formatCoord writes a coordinate as .NET's round-trip format does: the
// shortest exact decimal, with an exponent only for very large or small
// magnitudes.
func formatCoord(f float64) string {
	a := math.Abs(f)
	if a == 0 || a >= 1e-4 && a < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'E', -1, 64)
}

// WKT is the well-known text: STAsText() without Z and M, ToString() and
// AsTextZM() with them.
func (s *Shape) WKT(zm bool) string {
	var b strings.Builder
	s.writeWKT(&b, zm, true)
	return b.String()
}

func (s *Shape) writeWKT(b *strings.Builder, zm, tagged bool) {
	if tagged {
		b.WriteString(shapeNames[s.Type])
		b.WriteByte(' ')
	}
	if s.IsEmpty() && len(s.Children) == 0 {
		b.WriteString("EMPTY")
		return
	}
	z, m := s.hasZM()
	writePoints := func(pts []SpatialPoint) {
		b.WriteByte('(')
		for i, p := range pts {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatCoord(p.X) + " " + formatCoord(p.Y))
			if zm && (z || m) {
				switch {
				case !math.IsNaN(p.Z):
					b.WriteString(" " + formatCoord(p.Z))
				case m:
					b.WriteString(" NULL")
				}
				if m && !math.IsNaN(p.M) {
					b.WriteString(" " + formatCoord(p.M))
				}
			}
		}
		b.WriteByte(')')
	}
	switch s.Type {
	case ShapePoint, ShapeLineString:
		writePoints(s.Figures[0])
	case ShapePolygon:
		b.WriteByte('(')
		for i, ring := range s.Figures {
			if i > 0 {
				b.WriteString(", ")
			}
			writePoints(ring)
		}
		b.WriteByte(')')
	default:
		b.WriteByte('(')
		for i, c := range s.Children {
			if i > 0 {
				b.WriteString(", ")
			}
			c.writeWKT(b, zm, s.Type == ShapeGeometryCollection)
		}
		b.WriteByte(')')
	}
}

// Serialize gives the binary form.
func (sp *Spatial) Serialize() []byte {
	var pts []SpatialPoint
	type figure struct {
		attr byte
		off  int32
	}
	type shape struct {
		parent, fig int32
		typ         byte
	}
	var figs []figure
	var shapes []shape
	var walk func(s *Shape, parent int32)
	walk = func(s *Shape, parent int32) {
		me := int32(len(shapes))
		first := int32(len(figs))
		if s.IsEmpty() {
			first = -1
		}
		shapes = append(shapes, shape{parent, first, byte(s.Type)})
		for i, f := range s.Figures {
			attr := byte(1) // stroke: a point or a line
			if s.Type == ShapePolygon {
				attr = 0 // interior ring
				if i == 0 {
					attr = 2 // exterior ring
				}
			}
			figs = append(figs, figure{attr, int32(len(pts))})
			pts = append(pts, f...)
		}
		for _, c := range s.Children {
			walk(c, me)
		}
	}
	walk(sp.Shape, -1)
	z, m := sp.Shape.hasZM()
	props := byte(0x04) // valid: see Valid
	if !sp.Shape.Valid() {
		props = 0
	}
	if z {
		props |= 0x01
	}
	if m {
		props |= 0x02
	}
	single := false
	switch {
	case sp.Shape.Type == ShapePoint && len(pts) == 1:
		props |= 0x08
		single = true
	case sp.Shape.Type == ShapeLineString && len(pts) == 2:
		props |= 0x10
		single = true
	}
	w := make([]byte, 0, 6+16*len(pts))
	w = binary.LittleEndian.AppendUint32(w, uint32(sp.SRID))
	w = append(w, 0x01, props)
	f64 := func(f float64) { w = binary.LittleEndian.AppendUint64(w, math.Float64bits(f)) }
	i32 := func(n int32) { w = binary.LittleEndian.AppendUint32(w, uint32(n)) }
	if !single {
		i32(int32(len(pts)))
	}
	for _, p := range pts {
		if sp.Geography {
			f64(p.Y) // latitude first
			f64(p.X)
		} else {
			f64(p.X)
			f64(p.Y)
		}
	}
	if z {
		for _, p := range pts {
			f64(p.Z)
		}
	}
	if m {
		for _, p := range pts {
			f64(p.M)
		}
	}
	if single {
		return w
	}
	i32(int32(len(figs)))
	for _, f := range figs {
		w = append(w, f.attr)
		i32(f.off)
	}
	i32(int32(len(shapes)))
	for _, s := range shapes {
		i32(s.parent)
		i32(s.fig)
		w = append(w, s.typ)
	}
	return w
}

// Valid is what STIsValid() reports for the shapes the emulator checks: a
// line string needs two distinct points. Polygons are taken as valid once
// their rings are closed (ParseWKT checks that); self-intersections are not
// looked for.
func (s *Shape) Valid() bool {
	switch s.Type {
	case ShapeLineString:
		if len(s.Figures) == 1 {
			pts := s.Figures[0]
			for _, p := range pts[1:] {
				if p.X != pts[0].X || p.Y != pts[0].Y {
					return true
				}
			}
			return false
		}
	}
	for _, c := range s.Children {
		if !c.Valid() {
			return false
		}
	}
	return true
}

// DeserializeSpatial reads the binary form.
func DeserializeSpatial(b []byte, geography bool) (*Spatial, error) {
	bad := func() (*Spatial, error) {
		return nil, ErrSpatial(geography, "System.FormatException", 24210, "The binary input is not a valid %s instance of version 1.", spatialName(geography))
	}
	if len(b) < 6 || b[4] != 0x01 {
		return bad()
	}
	sp := &Spatial{SRID: int32(binary.LittleEndian.Uint32(b)), Geography: geography}
	props := b[5]
	at := 6
	i32 := func() (int32, bool) {
		if at+4 > len(b) {
			return 0, false
		}
		at += 4
		return int32(binary.LittleEndian.Uint32(b[at-4:])), true
	}
	f64 := func() (float64, bool) {
		if at+8 > len(b) {
			return 0, false
		}
		at += 8
		return math.Float64frombits(binary.LittleEndian.Uint64(b[at-8:])), true
	}
	n := int32(1)
	switch {
	case props&0x08 != 0:
	case props&0x10 != 0:
		n = 2
	default:
		var ok bool
		if n, ok = i32(); !ok || n < 0 || int(n) > len(b)/16 {
			return bad()
		}
	}
	pts := make([]SpatialPoint, n)
	for i := range pts {
		a, ok1 := f64()
		c, ok2 := f64()
		if !ok1 || !ok2 {
			return bad()
		}
		pts[i] = SpatialPoint{X: a, Y: c, Z: math.NaN(), M: math.NaN()}
		if geography {
			pts[i].X, pts[i].Y = c, a
		}
	}
	for _, flag := range []byte{0x01, 0x02} {
		if props&flag == 0 {
			continue
		}
		for i := range pts {
			v, ok := f64()
			if !ok {
				return bad()
			}
			if flag == 0x01 {
				pts[i].Z = v
			} else {
				pts[i].M = v
			}
		}
	}
	switch {
	case props&0x08 != 0:
		sp.Shape = &Shape{Type: ShapePoint, Figures: [][]SpatialPoint{pts}}
	case props&0x10 != 0:
		sp.Shape = &Shape{Type: ShapeLineString, Figures: [][]SpatialPoint{pts}}
	default:
		nf, ok := i32()
		if !ok || nf < 0 || int(nf) > len(b)/5 {
			return bad()
		}
		figOff := make([]int32, nf)
		for i := range figOff {
			if at >= len(b) {
				return bad()
			}
			at++ // attribute: the shape's type says what the figure is
			if figOff[i], ok = i32(); !ok || figOff[i] < 0 || figOff[i] > n {
				return bad()
			}
		}
		ns, ok := i32()
		if !ok || ns < 1 || int(ns) > len(b)/9 {
			return bad()
		}
		shapes := make([]*Shape, ns)
		parents := make([]int32, ns)
		firsts := make([]int32, ns)
		for i := range shapes {
			p, ok1 := i32()
			f, ok2 := i32()
			if !ok1 || !ok2 || at >= len(b) || p >= int32(i) || (i > 0 && p < 0) || f >= nf {
				return bad()
			}
			typ := int(b[at])
			at++
			if shapeNames[typ] == "" {
				return bad()
			}
			shapes[i], parents[i], firsts[i] = &Shape{Type: typ}, p, f
		}
		// A shape's own figures run to the next shape's first figure.
		for i, s := range shapes {
			if firsts[i] < 0 || s.Type >= ShapeMultiPoint {
				continue
			}
			end := nf
			for j := i + 1; j < len(shapes); j++ {
				if firsts[j] >= 0 {
					end = firsts[j]
					break
				}
			}
			for f := firsts[i]; f < end; f++ {
				stop := n
				if f+1 < nf {
					stop = figOff[f+1]
				}
				if figOff[f] > stop {
					return bad()
				}
				s.Figures = append(s.Figures, pts[figOff[f]:stop])
			}
		}
		for i := 1; i < len(shapes); i++ {
			shapes[parents[i]].Children = append(shapes[parents[i]].Children, shapes[i])
		}
		sp.Shape = shapes[0]
	}
	if at != len(b) {
		return bad()
	}
	return sp, sp.Check()
}

// spatialFromString is CAST(text AS geometry/geography): Parse, with SRID 0
// for geometry and 4326 for geography.
func spatialFromString(s string, geography bool) ([]byte, error) {
	srid := int32(0)
	if geography {
		srid = 4326
	}
	sp, err := ParseWKT(s, srid, geography)
	if err != nil {
		return nil, err
	}
	return sp.Serialize(), nil
}

// toSpatial converts WKT (a string) or the binary form to geometry or geography.
func toSpatial(v any, from, to Type) (any, error) {
	geography := to.ID == Geography
	switch x := v.(type) {
	case string:
		return spatialFromString(x, geography)
	case []byte:
		if from.ID == to.ID {
			return x, nil
		}
		if from.ID == Geometry || from.ID == Geography {
			break
		}
		// SQL Server refuses bytes that are not an instance (Msg 6522).
		if _, err := DeserializeSpatial(x, geography); err != nil {
			return nil, err
		}
		return x, nil
	}
	return nil, errf(529, "Explicit conversion from data type %s to %s is not allowed.", srcName(from), to.ID.Name())
}

// spatialString is CAST(g AS nvarchar): ToString(), the WKT with Z and M.
func spatialString(b []byte, geography bool) (string, error) {
	sp, err := DeserializeSpatial(b, geography)
	if err != nil {
		return "", err
	}
	return sp.Shape.WKT(true), nil
}

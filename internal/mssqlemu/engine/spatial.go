package engine

// Methods of geometry and geography (OGC and extended methods):
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/ogc-methods-on-geometry-instances
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geography/ogc-methods-on-geography-instances
// Values stay in their binary form ([MS-SSCLRT]); a method reads it.

import (
	"encoding/binary"
	"math"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// spatialStatics are the static methods that read well-known text, with
// the shape type each accepts (0: any).
var spatialStatics = map[string]int{
	"STGeomFromText": 0, "Parse": 0, "STPointFromText": sqltypes.ShapePoint, "STLineFromText": sqltypes.ShapeLineString,
	"STPolyFromText": sqltypes.ShapePolygon, "STMPointFromText": sqltypes.ShapeMultiPoint,
	"STMLineFromText": sqltypes.ShapeMultiLineString, "STMPolyFromText": sqltypes.ShapeMultiPolygon,
	"STGeomCollFromText": sqltypes.ShapeGeometryCollection,
}

// spatialProperties are read without parentheses (@g.STX).
var spatialProperties = map[string]bool{"STSrid": true, "STX": true, "STY": true, "Lat": true, "Long": true, "Z": true, "M": true}

func spatialMethod(f *tsql.FuncCall, id sqltypes.TypeID, recv any, args []any, types []sqltypes.Type) (any, sqltypes.Type, error) {
	geography := id == sqltypes.Geography
	self := sqltypes.Type{ID: id}
	method := f.Name.Object
	for _, a := range args {
		if a == nil {
			return nil, self, nil
		}
	}
	if f.Receiver == nil {
		return spatialStatic(f, id, args, types)
	}
	rt, known := spatialResult(method, self)
	if !known || spatialProperties[method] != f.Property ||
		geography && (method == "STX" || method == "STY") || !geography && (method == "Lat" || method == "Long") {
		return nil, sqltypes.Type{}, errNoMethod(id, method)
	}
	if recv == nil {
		return nil, rt, nil
	}
	float := sqltypes.FloatType
	sp, err := sqltypes.DeserializeSpatial(recv.([]byte), geography)
	if err != nil {
		return nil, self, err
	}
	shape := sp.Shape
	pts := shape.Points()
	// sub is a part of the instance as an instance of the same type.
	sub := func(s *sqltypes.Shape) (any, sqltypes.Type, error) {
		return (&sqltypes.Spatial{SRID: sp.SRID, Geography: geography, Shape: s}).Serialize(), self, nil
	}
	point := func(p sqltypes.SpatialPoint) *sqltypes.Shape {
		return &sqltypes.Shape{Type: sqltypes.ShapePoint, Figures: [][]sqltypes.SpatialPoint{{p}}}
	}
	coord := func(ok bool, v float64) (any, sqltypes.Type, error) {
		if !ok || math.IsNaN(v) {
			return nil, float, nil
		}
		return v, float, nil
	}
	isPoint := shape.Type == sqltypes.ShapePoint && len(pts) == 1
	nArg := func(n int) error { return methodArgc(f, id, n) }
	want := 0
	switch method {
	case "STPointN", "STGeometryN":
		want = 1
	}
	if !f.Property {
		if err := nArg(want); err != nil {
			return nil, self, err
		}
	}
	switch method {
	case "STSrid":
		return int64(sp.SRID), sqltypes.IntType, nil
	case "STX", "STY":
		if method == "STX" {
			return coord(isPoint, firstOr(pts).X)
		}
		return coord(isPoint, firstOr(pts).Y)
	case "Lat", "Long":
		if method == "Lat" {
			return coord(isPoint, firstOr(pts).Y)
		}
		return coord(isPoint, firstOr(pts).X)
	case "Z":
		return coord(isPoint, firstOr(pts).Z)
	case "M":
		return coord(isPoint, firstOr(pts).M)
	case "STAsText":
		return shape.WKT(false), sqltypes.NVarCharType(sqltypes.Max), nil
	case "AsTextZM", "ToString":
		return shape.WKT(true), sqltypes.NVarCharType(sqltypes.Max), nil
	case "STGeometryType":
		return sqltypes.ShapeName(shape.Type), sqltypes.NVarCharType(4000), nil
	case "STNumPoints":
		return int64(len(pts)), sqltypes.IntType, nil
	case "STIsEmpty":
		return shape.IsEmpty(), sqltypes.BitType, nil
	case "STIsValid":
		return shape.Valid(), sqltypes.BitType, nil
	case "STNumGeometries":
		switch {
		case shape.Type >= sqltypes.ShapeMultiPoint:
			return int64(len(shape.Children)), sqltypes.IntType, nil
		case shape.IsEmpty():
			return int64(0), sqltypes.IntType, nil
		}
		return int64(1), sqltypes.IntType, nil
	case "STGeometryN":
		nv, err := sqltypes.Convert(args[0], types[0], sqltypes.IntType, -1)
		if err != nil {
			return nil, self, err
		}
		n := nv.(int64)
		if shape.Type < sqltypes.ShapeMultiPoint {
			if n == 1 && !shape.IsEmpty() {
				return recv, self, nil
			}
			return nil, self, nil
		}
		if n < 1 || n > int64(len(shape.Children)) {
			return nil, self, nil
		}
		return sub(shape.Children[n-1])
	case "STPointN":
		nv, err := sqltypes.Convert(args[0], types[0], sqltypes.IntType, -1)
		if err != nil {
			return nil, self, err
		}
		n := nv.(int64)
		if n < 1 || n > int64(len(pts)) {
			return nil, self, nil
		}
		return sub(point(pts[n-1]))
	case "STStartPoint", "STEndPoint":
		if len(pts) == 0 {
			return nil, self, nil
		}
		p := pts[0]
		if method == "STEndPoint" {
			p = pts[len(pts)-1]
		}
		return sub(point(p))
	case "STAsBinary":
		return wkb(shape, nil), sqltypes.VarBinaryType(sqltypes.Max), nil
	}
	return nil, sqltypes.Type{}, errNoMethod(id, method)
}

// spatialResult is the type of what a method or property gives.
func spatialResult(method string, self sqltypes.Type) (sqltypes.Type, bool) {
	switch method {
	case "STSrid", "STNumPoints", "STNumGeometries":
		return sqltypes.IntType, true
	case "STX", "STY", "Lat", "Long", "Z", "M":
		return sqltypes.FloatType, true
	case "STAsText", "AsTextZM", "ToString":
		return sqltypes.NVarCharType(sqltypes.Max), true
	case "STGeometryType":
		return sqltypes.NVarCharType(4000), true
	case "STIsEmpty", "STIsValid":
		return sqltypes.BitType, true
	case "STGeometryN", "STPointN", "STStartPoint", "STEndPoint":
		return self, true
	case "STAsBinary":
		return sqltypes.VarBinaryType(sqltypes.Max), true
	}
	return sqltypes.Type{}, false
}

func firstOr(pts []sqltypes.SpatialPoint) sqltypes.SpatialPoint {
	if len(pts) == 0 {
		return sqltypes.SpatialPoint{X: math.NaN(), Y: math.NaN(), Z: math.NaN(), M: math.NaN()}
	}
	return pts[0]
}

// spatialStatic runs geometry::/geography:: STGeomFromText, Parse, Point
// and the typed ...FromText methods.
func spatialStatic(f *tsql.FuncCall, id sqltypes.TypeID, args []any, types []sqltypes.Type) (any, sqltypes.Type, error) {
	geography := id == sqltypes.Geography
	self := sqltypes.Type{ID: id}
	method := f.Name.Object
	srid := func(i int) (int32, error) {
		v, err := sqltypes.Convert(args[i], types[i], sqltypes.IntType, -1)
		if err != nil {
			return 0, err
		}
		return int32(v.(int64)), nil
	}
	if method == "Point" {
		if err := methodArgc(f, id, 3); err != nil {
			return nil, self, err
		}
		var c [2]float64
		for i := range c {
			v, err := sqltypes.Convert(args[i], types[i], sqltypes.FloatType, -1)
			if err != nil {
				return nil, self, err
			}
			c[i] = v.(float64)
		}
		s, err := srid(2)
		if err != nil {
			return nil, self, err
		}
		// geometry::Point(x, y, srid); geography::Point(lat, long, srid).
		p := sqltypes.SpatialPoint{X: c[0], Y: c[1], Z: math.NaN(), M: math.NaN()}
		if geography {
			p.X, p.Y = c[1], c[0]
		}
		sp := &sqltypes.Spatial{SRID: s, Geography: geography, Shape: &sqltypes.Shape{Type: sqltypes.ShapePoint, Figures: [][]sqltypes.SpatialPoint{{p}}}}
		if err := sp.Check(); err != nil {
			return nil, self, err
		}
		return sp.Serialize(), self, nil
	}
	shapeType, ok := spatialStatics[method]
	if !ok {
		return nil, self, errNoMethod(id, method)
	}
	want := 2
	if method == "Parse" {
		want = 1
	}
	if err := methodArgc(f, id, want); err != nil {
		return nil, self, err
	}
	text, err := sqltypes.ToString(args[0], types[0], -1)
	if err != nil {
		return nil, self, err
	}
	s := int32(0)
	if geography {
		s = 4326
	}
	if want == 2 {
		if s, err = srid(1); err != nil {
			return nil, self, err
		}
	}
	sp, err := sqltypes.ParseWKT(text, s, geography)
	if err != nil {
		return nil, self, err
	}
	if shapeType != 0 && sp.Shape.Type != shapeType {
		return nil, self, sqltypes.ErrSpatial(geography, "System.FormatException", 24142, "Expected \"%s\" at position 1. The input has \"%s\".",
			sqltypes.ShapeLabel(shapeType), sqltypes.ShapeLabel(sp.Shape.Type))
	}
	return sp.Serialize(), self, nil
}

// wkb appends the OGC well-known binary of s (STAsBinary: little-endian,
// two dimensions; a geography writes longitude then latitude).
func wkb(s *sqltypes.Shape, b []byte) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Type))
	u32 := func(n int) { b = binary.LittleEndian.AppendUint32(b, uint32(n)) }
	pt := func(p sqltypes.SpatialPoint) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.X))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Y))
	}
	switch s.Type {
	case sqltypes.ShapePoint:
		p := firstOr(s.Points())
		pt(p)
	case sqltypes.ShapeLineString:
		pts := s.Points()
		u32(len(pts))
		for _, p := range pts {
			pt(p)
		}
	case sqltypes.ShapePolygon:
		u32(len(s.Figures))
		for _, ring := range s.Figures {
			u32(len(ring))
			for _, p := range ring {
				pt(p)
			}
		}
	default:
		u32(len(s.Children))
		for _, c := range s.Children {
			b = wkb(c, b)
		}
	}
	return b
}

// columnProperty reads g.STX, t.g.Lat and the like: a property of a
// geometry or geography column, which the parser took for a column of a
// table g. ok is false when x is not one.
func (ev *evaluator) columnProperty(x *tsql.ColumnRef, rc *rowCtx) (v any, t sqltypes.Type, ok bool, err error) {
	if !spatialProperties[x.Column] {
		return nil, sqltypes.Type{}, false, nil
	}
	recv := &tsql.ColumnRef{Pos: x.Pos, Column: x.Table.Object, Table: tsql.ObjectName{Pos: x.Pos, Object: x.Table.Schema, Schema: x.Table.Database}}
	_, rt, cerr := ev.column(recv, rc)
	if cerr != nil || (rt.ID != sqltypes.Geometry && rt.ID != sqltypes.Geography) {
		return nil, sqltypes.Type{}, false, nil
	}
	v, t, err = ev.clrCall(&tsql.FuncCall{Pos: x.Pos, Name: tsql.ObjectName{Pos: x.Pos, Object: x.Column}, Receiver: recv, Property: true}, rc)
	return v, t, true, err
}

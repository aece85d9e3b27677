package avro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

const testTopic = "srv1.Sales-DB.dbo.AllTypes"

// roundTripCase is a row to encode and the row Decode must return (they
// differ where the codec rounds to the microsecond or normalises a GUID).
type roundTripCase struct {
	name     string
	in, want event.Row
}

func bigBlob() []byte {
	b := make([]byte, 5<<20)
	for i := range b {
		b[i] = byte(i * 31)
	}
	return b
}

// allTypesCases returns rows of allTypesTable with edge values.
func allTypesCases() []roundTripCase {
	kolkata := time.FixedZone("", 5*3600+1800)
	plus14 := time.FixedZone("", 14*3600)
	minus12 := time.FixedZone("", -12*3600)
	utc0 := time.FixedZone("", 0)
	blob := bigBlob()

	maxRow := event.Row{
		int64(1), true, int64(255), int64(math.MaxInt16), int64(math.MaxInt32), int64(math.MaxInt64),
		rat("99999999999999.9999"), rat("99999999999999999999999999999999999999"), rat("0.99999999999999999999999999999999999999"),
		rat("-12345678.91"), rat("922337203685477.5807"), rat("214748.3647"),
		math.MaxFloat64, float32(math.MaxFloat32),
		"abc       ", "varchar ascii", "ünï       ", "𝄞 non-BMP 😀 and 中文", strings.Repeat("x", 100000), "", "text", "ntext 😀", "<a b=\"1\">x</a>",
		[]byte{0, 0, 0, 0}, []byte{0, 1, 0, 2, 0}, blob, []byte{0xff, 0},
		"6F9619FF-8B86-D011-B42D-00C04FC964FF",
		wall(9999, 12, 31, 0, 0, 0, 0),
		clock(23, 59, 59, 0), clock(23, 59, 59, 999_000_000), clock(23, 59, 59, 999_999_900),
		wall(9999, 12, 31, 23, 59, 59, 997_000_000), wall(2079, 6, 6, 23, 59, 0, 0),
		wall(9999, 12, 31, 23, 59, 59, 999_999_900), wall(2024, 2, 29, 12, 0, 0, 123_000_000),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_900, plus14), time.Date(2024, 1, 1, 0, 0, 0, 0, minus12),
		wall(2024, 7, 1, 0, 0, 0, 0), "名字",
	}
	maxWant := append(event.Row{}, maxRow...)
	maxWant[31] = clock(23, 59, 59, 999_999_000)              // .9999999 would round to 24:00:00: clamped
	maxWant[34] = wall(9999, 12, 31, 23, 59, 59, 999_999_000) // would round to year 10000: clamped

	minRow := event.Row{
		int64(-2), false, int64(0), int64(math.MinInt16), int64(math.MinInt32), int64(math.MinInt64),
		rat("-99999999999999.9999"), rat("-99999999999999999999999999999999999999"), rat("-0.00000000000000000000000000000000000001"),
		rat("0"), rat("-922337203685477.5808"), rat("-214748.3648"),
		math.SmallestNonzeroFloat64, float32(math.SmallestNonzeroFloat32),
		"", "", "", "", "", "nvmax", "", "", "",
		[]byte{}, []byte{}, []byte{}, []byte{},
		"00000000-0000-0000-0000-000000000000",
		wall(1, 1, 1, 0, 0, 0, 0),
		clock(0, 0, 0, 0), clock(0, 0, 0, 0), clock(12, 34, 56, 123_456_500),
		wall(1753, 1, 1, 0, 0, 0, 3_333_333), wall(1900, 1, 1, 0, 0, 0, 0),
		wall(1, 1, 1, 0, 0, 0, 100), wall(1, 1, 1, 0, 0, 0, 0),
		time.Date(1, 1, 1, 0, 0, 0, 0, minus12), time.Date(2024, 5, 1, 10, 20, 30, 0, utc0),
		wall(1, 1, 1, 0, 0, 0, 0), "",
	}
	minWant := append(event.Row{}, minRow...)
	minWant[31] = clock(12, 34, 56, 123_457_000) // .1234565 → .123457
	minWant[32] = wall(1753, 1, 1, 0, 0, 0, 3_333_000)
	minWant[34] = wall(1, 1, 1, 0, 0, 0, 0) // 100 ns rounds to 0 µs

	otherRow := event.Row{
		int64(3), nil, nil, nil, nil, nil,
		rat("-0.0001"), rat("1"), nil,
		nil, rat("-0.0001"), rat("0"),
		-math.MaxFloat64, float32(-math.SmallestNonzeroFloat32),
		nil, nil, nil, nil, nil, "only nvmax is NOT NULL", nil, nil, nil,
		nil, nil, nil, nil,
		"6f9619ff-8b86-d011-b42d-00c04fc964ff",
		wall(1970, 1, 1, 0, 0, 0, 0),
		clock(0, 0, 0, 499), nil, clock(0, 0, 0, 500),
		wall(2000, 1, 1, 0, 0, 0, 6_666_667), nil,
		wall(1969, 12, 31, 23, 59, 59, 999_999_500), nil,
		time.Date(2024, 5, 1, 10, 20, 30, 123_456_700, kolkata), nil,
		nil, nil,
	}
	otherWant := append(event.Row{}, otherRow...)
	otherWant[27] = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
	otherWant[29] = clock(0, 0, 0, 0)
	otherWant[31] = clock(0, 0, 0, 1000)
	otherWant[32] = wall(2000, 1, 1, 0, 0, 0, 6_667_000)
	otherWant[34] = wall(1970, 1, 1, 0, 0, 0, 0) // half up across the epoch

	return []roundTripCase{
		{"max", maxRow, maxWant},
		{"min", minRow, minWant},
		{"nulls and odd values", otherRow, otherWant},
	}
}

func testSource() event.Source {
	change, _ := lsn.Parse("0000002a:000001a8:0003")
	commit, _ := lsn.Parse("0000002a:000001a0:0001")
	return event.Source{
		Version: "1.0.0", Connector: "sqlserver", Name: testPrefix, TsMs: 1700000000123,
		Snapshot: "false", Db: "Sales-DB", Schema: "dbo", Table: "AllTypes",
		ChangeLSN: change, CommitLSN: commit, EventSerialNo: 2, Incarnation: "2026-12-06T07:01:02.123/7",
	}
}

func TestRoundTripAllTypes(t *testing.T) {
	for _, zone := range []string{"UTC", "Asia/Kolkata", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Skipf("no zone data for %s: %v", zone, err)
			}
			saved := time.Local
			time.Local = loc // the codec must not care
			t.Cleanup(func() { time.Local = saved })
			roundTripAllTypes(t)
		})
	}
}

func roundTripAllTypes(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	enc := NewCodec(cl, testPrefix)
	dec := NewCodec(cl, testPrefix) // a separate codec: schemas come from the registry
	tbl := allTypesTable()
	for _, tc := range allTypesCases() {
		for _, op := range []event.Op{event.OpRead, event.OpCreate, event.OpUpdate, event.OpDelete} {
			e := &event.Event{Table: tbl, Op: op, Source: testSource(), TsMs: 1700000000999}
			var wantBefore, wantAfter event.Row
			switch op {
			case event.OpUpdate:
				e.Before, e.After, wantBefore, wantAfter = tc.in, tc.in, tc.want, tc.want
			case event.OpDelete:
				e.Before, wantBefore = tc.in, tc.want
			default:
				e.After, wantAfter = tc.in, tc.want
			}
			key, value, err := enc.Encode(ctx, testTopic, e)
			if err != nil {
				t.Fatalf("%s %s: encode: %v", tc.name, op, err)
			}
			if key[0] != 0 || value[0] != 0 {
				t.Fatalf("no magic byte")
			}
			got, err := dec.Decode(ctx, testTopic, key, value)
			if err != nil {
				t.Fatalf("%s %s: decode: %v", tc.name, op, err)
			}
			if got.Op != op || got.TsMs != e.TsMs || got.Source != e.Source {
				t.Errorf("%s %s: got op %s ts %d source %+v", tc.name, op, got.Op, got.TsMs, got.Source)
			}
			diffRows(t, tc.name+" "+op.String()+" before", tbl, got.Before, wantBefore)
			diffRows(t, tc.name+" "+op.String()+" after", tbl, got.After, wantAfter)
			if len(tbl.Columns) != len(got.Table.Columns) || got.Table.QualifiedName() != tbl.QualifiedName() {
				t.Errorf("decoded table %s with %d columns", got.Table.QualifiedName(), len(got.Table.Columns))
			}
			for _, r := range []event.Row{got.Before, got.After} {
				for i, v := range r {
					tm, ok := v.(time.Time)
					switch {
					case !ok:
					case tbl.Columns[i].Type != "datetimeoffset" && tm.Location() != time.UTC:
						t.Errorf("column %s: time in %s, want UTC", tbl.Columns[i].Name, tm.Location())
					case tbl.Columns[i].Type == "datetimeoffset" && tm.Location() == time.Local && time.Local != time.UTC:
						t.Errorf("column %s: datetimeoffset in time.Local, want a fixed zone", tbl.Columns[i].Name)
					}
				}
			}
		}
	}
}

func TestSchemaIDsCachedAndStable(t *testing.T) {
	ctx := context.Background()
	_, cl, requests := newRegistry(t)
	tbl := allTypesTable()
	row := allTypesCases()[0].in
	c := NewCodec(cl, testPrefix)
	k1, v1, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpCreate, After: row})
	if err != nil {
		t.Fatal(err)
	}
	n := requests.Load()
	if n != 2 {
		t.Errorf("first encode made %d registry requests, want 2 (key and value)", n)
	}
	for range 3 {
		if _, _, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpCreate, After: row}); err != nil {
			t.Fatal(err)
		}
	}
	if requests.Load() != n {
		t.Errorf("later encodes asked the registry again")
	}
	// A restarted producer (new Codec, new Table value) gets the same ids.
	k2, v2, err := NewCodec(cl, testPrefix).Encode(ctx, testTopic, &event.Event{Table: allTypesTable(), Op: event.OpCreate, After: row})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1[:5], k2[:5]) || !bytes.Equal(v1[:5], v2[:5]) {
		t.Errorf("schema ids changed across restarts: %x/%x vs %x/%x", k1[:5], v1[:5], k2[:5], v2[:5])
	}
	dec := NewCodec(cl, testPrefix)
	before := requests.Load()
	for range 3 {
		if _, err := dec.Decode(ctx, testTopic, k1, v1); err != nil {
			t.Fatal(err)
		}
	}
	if got := requests.Load() - before; got != 1 {
		t.Errorf("three decodes made %d registry requests, want 1", got)
	}
}

func TestUnchangedSurvives(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	tbl := allTypesTable()
	after := append(event.Row{}, allTypesCases()[0].in...)
	for _, name := range []string{"vmax", "nvmax", "txt", "img", "x"} {
		after[tbl.ColumnIndex(name)] = event.Unchanged
	}
	before := append(event.Row{}, after...)
	e := &event.Event{Table: tbl, Op: event.OpUpdate, Before: before, After: after, Source: testSource()}
	key, value, err := NewCodec(cl, testPrefix).Encode(ctx, testTopic, e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewCodec(cl, testPrefix).Decode(ctx, testTopic, key, value)
	if err != nil {
		t.Fatal(err)
	}
	want := append(event.Row{}, allTypesCases()[0].want...)
	wantBefore := append(event.Row{}, want...)
	for _, name := range []string{"vmax", "nvmax", "txt", "img", "x"} {
		want[tbl.ColumnIndex(name)] = event.Unchanged
		wantBefore[tbl.ColumnIndex(name)] = nil
	}
	diffRows(t, "after", tbl, got.After, want)
	diffRows(t, "before", tbl, got.Before, wantBefore)
}

func TestTombstone(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	tbl := compositeKeyTable()
	row := event.Row{int64(7), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("1.5"), "note"}
	enc := NewCodec(cl, testPrefix)
	key, _, err := enc.Encode(ctx, "t", &event.Event{Table: tbl, Op: event.OpDelete, Before: row})
	if err != nil {
		t.Fatal(err)
	}
	key2, err := enc.EncodeKey(ctx, "t", tbl, event.Row{"6F9619FF-8B86-D011-B42D-00C04FC964FF", int64(7)})
	if err != nil || !bytes.Equal(key, key2) {
		t.Fatalf("EncodeKey gives %x (%v), Encode's key is %x", key2, err, key)
	}
	// A fresh consumer whose first record is the tombstone.
	got, err := NewCodec(cl, testPrefix).Decode(ctx, "t", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Op != event.OpDelete || got.After != nil {
		t.Fatalf("tombstone decoded to op %s after %v", got.Op, got.After)
	}
	diffRows(t, "before", tbl, got.Before, event.Row{int64(7), "6F9619FF-8B86-D011-B42D-00C04FC964FF", nil, nil})
}

func TestEncodeRefuses(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	c := NewCodec(cl, testPrefix)
	tbl := allTypesTable()
	set := func(col string, v any) event.Row {
		r := append(event.Row{}, allTypesCases()[2].in...)
		r[tbl.ColumnIndex(col)] = v
		return r
	}
	tests := []struct {
		name string
		row  event.Row
		want []string
	}{
		{"decimal too many places", set("d", rat("1.00005")), []string{"AllTypes", `"d"`, "decimal(18,4)", "1.00005", "refusing to round"}},
		{"decimal(38,38) too many places", set("dfrac", rat("0.000000000000000000000000000000000000001")), []string{`"dfrac"`, "refusing to round"}},
		{"decimal too many digits", set("n", rat("123456789.5")), []string{`"n"`, "123456789.5", "more than 10 digits"}},
		{"money too many places", set("m", rat("0.00001")), []string{`"m"`, "refusing to round"}},
		{"repeating fraction", set("d", rat("1/3")), []string{"1/3", "refusing to round"}},
		{"tinyint range", set("ti", int64(256)), []string{`"ti"`, "out of the range"}},
		{"int range", set("i", int64(math.MaxInt32+1)), []string{`"i"`, "out of the range"}},
		{"wrong Go type", set("i", 5), []string{`"i"`, "want a int64, got a int"}},
		{"null in not null", set("id", nil), []string{`"id"`, "NULL in a NOT NULL column"}},
		{"unchanged non-LOB", set("vc", event.Unchanged), []string{`"vc"`, "only large-value columns"}},
		{"bad guid", set("g", "not-a-guid"), []string{`"g"`, "not a GUID"}},
		{"time of day too large", set("t7", 24*time.Hour), []string{`"t7"`, "outside"}},
		{"date with clock", set("dt", wall(2024, 1, 1, 1, 0, 0, 0)), []string{`"dt"`, "time of day"}},
		{"invalid utf-8", set("vc", "\xff"), []string{`"vc"`, "UTF-8"}},
		{"short row", event.Row{int64(1)}, []string{"1 values for 40 columns"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpCreate, After: tc.row})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	tbl := compositeKeyTable()
	row := event.Row{int64(7), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("1.5"), "note"}
	key, value, err := NewCodec(cl, testPrefix).Encode(ctx, "t", &event.Event{Table: tbl, Op: event.OpCreate, After: row})
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func([]byte) []byte) []byte { return f(append([]byte{}, value...)) }
	tests := []struct {
		name      string
		value     []byte
		want      string
		malformed bool
	}{
		{"bad magic", with(func(b []byte) []byte { b[0] = 1; return b }), "not the Schema Registry magic byte", true},
		{"short", []byte{0, 0, 1}, "shorter than the 5-byte", true},
		// The registry knows the topic's subject, so an id it does not
		// know is the record's fault; see TestUnknownSchemaIDOfAnUnknownSubject.
		{"unknown id", with(func(b []byte) []byte { b[4] = 99; return b }), "schema id 99", true},
		{"truncated", value[:len(value)-3], "truncated", true},
		{"trailing bytes", append(append([]byte{}, value...), 0), "bytes left", true},
		{"bad union branch", with(func(b []byte) []byte { b[5] = 9; return b }), "union branch", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCodec(cl, testPrefix).Decode(ctx, "t", key, tc.value)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "decode t ") {
				t.Errorf("error %q lacks %q or the topic", err, tc.want)
			}
			if errors.Is(err, ErrMalformed) != tc.malformed {
				t.Errorf("errors.Is(err, ErrMalformed) = %v, want %v", !tc.malformed, tc.malformed)
			}
		})
	}
}

func TestConform(t *testing.T) {
	old := compositeKeyTable()
	cur := compositeKeyTable()
	cur.Columns = append(cur.Columns, catalog.Column{Name: "added", Ordinal: 5, Type: "int", Nullable: true})
	e := &event.Event{Table: old, Op: event.OpCreate, After: event.Row{int64(1), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("2"), nil}}
	got, err := Conform(e, cur)
	if err != nil {
		t.Fatal(err)
	}
	diffRows(t, "after", cur, got.After, event.Row{int64(1), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("2"), nil, nil})
	if _, err := Conform(&event.Event{Table: cur, After: make(event.Row, 5)}, old); err == nil || !strings.Contains(err.Error(), `"added" is not in the table`) {
		t.Errorf("dropping a column: %v", err)
	}
	changed := compositeKeyTable()
	changed.Columns[2].Scale = 4
	if _, err := Conform(e, changed); err == nil || !strings.Contains(err.Error(), "decimal(9,3) in the event and decimal(9,4)") {
		t.Errorf("changing a type: %v", err)
	}
}

func TestNilSliceIsNull(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	tbl := compositeKeyTable()
	tbl.Columns[3] = catalog.Column{Name: "blob", Ordinal: 4, Type: "varbinary", Length: 10, Nullable: true}
	c := NewCodec(cl, testPrefix)
	for _, tc := range []struct {
		in   []byte
		want any
	}{{nil, nil}, {[]byte{}, []byte{}}, {[]byte{0}, []byte{0}}} {
		row := event.Row{int64(1), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("1"), tc.in}
		k, v, err := c.Encode(ctx, "t", &event.Event{Table: tbl, Op: event.OpCreate, After: row})
		if err != nil {
			t.Fatal(err)
		}
		e, err := c.Decode(ctx, "t", k, v)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.After[3]; !sameValue(got, tc.want) {
			t.Errorf("%#v decoded as %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	enc, dec := NewCodec(cl, testPrefix), NewCodec(cl, testPrefix)
	tbl := compositeKeyTable()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			var err error
			for i := range 50 {
				row := event.Row{int64(g*100 + i), "6F9619FF-8B86-D011-B42D-00C04FC964FF", rat("1.5"), "n"}
				var k, v []byte
				if k, v, err = enc.Encode(ctx, "t", &event.Event{Table: tbl, Op: event.OpCreate, After: row}); err != nil {
					break
				}
				var e *event.Event
				if e, err = dec.Decode(ctx, "t", k, v); err != nil {
					break
				}
				if e.After[0] != row[0] {
					err = fmt.Errorf("decoded %v, want %v", e.After[0], row[0])
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	ctx := context.Background()
	_, cl, _ := newRegistry(b)
	c := NewCodec(cl, testPrefix)
	tbl := allTypesTable()
	row := append(event.Row{}, allTypesCases()[1].in...)
	e := &event.Event{Table: tbl, Op: event.OpCreate, After: row, Source: testSource()}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.Encode(ctx, testTopic, e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	ctx := context.Background()
	_, cl, _ := newRegistry(b)
	c := NewCodec(cl, testPrefix)
	tbl := allTypesTable()
	row := append(event.Row{}, allTypesCases()[1].in...)
	k, v, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpCreate, After: row, Source: testSource()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := c.Decode(ctx, testTopic, k, v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUnknownSchemaIDOfAnUnknownSubject: when the registry knows neither
// the id nor the topic's subject, the consumer most likely reads another
// registry than the producer's; that is no fault of the record.
func TestUnknownSchemaIDOfAnUnknownSubject(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	_, err := NewCodec(cl, testPrefix).Decode(ctx, "never.registered", nil, []byte{0, 0, 0, 0, 99, 2})
	if err == nil || errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "is SCHEMA_REGISTRY_URL the registry the producer writes to?") {
		t.Fatalf("got %v, want an error that is not ErrMalformed and asks about SCHEMA_REGISTRY_URL", err)
	}
}

// TestDecodeAllocatesOnlyTheEvent: decoding an event allocates the event,
// its row and its boxed values, and nothing for the envelope (op, ts_ms,
// the source block's strings, numbers and LSNs), which is read once per
// record, millions of times: hamba's generic decoder there cost an
// allocation or more per field.
func TestDecodeAllocatesOnlyTheEvent(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	c := NewCodec(cl, testPrefix)
	tbl := &catalog.Table{Database: "Sales-DB", Schema: "dbo", Name: "One", PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{{Name: "Id", Ordinal: 1, Type: "bigint"}}}
	k, v, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpUpdate, Before: event.Row{int64(1000)}, After: event.Row{int64(1000)}, Source: testSource()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(ctx, testTopic, k, v); err != nil {
		t.Fatal(err)
	}
	// The event, its two rows and their boxed int64s: 8 before.
	if n := testing.AllocsPerRun(100, func() { _, _ = c.Decode(ctx, testTopic, k, v) }); n > 5 {
		t.Errorf("Decode allocates %v times per event, want at most 5", n)
	}
	// Events of one transaction, each with its own change LSN, as a
	// stream is: the LSN's text is not kept, nor are the other strings
	// remembered again.
	src := testSource()
	src.ChangeLSN[9]++
	k2, v2, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpUpdate, Before: event.Row{int64(1000)}, After: event.Row{int64(1000)}, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = c.Decode(ctx, testTopic, k, v)
		_, _ = c.Decode(ctx, testTopic, k2, v2)
	}); n > 10 {
		t.Errorf("Decode allocates %v times per event when the change LSN changes, want at most 5", n/2)
	}
}

package source

import (
	"database/sql/driver"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestConvert(t *testing.T) {
	nyc := time.FixedZone("EST", -5*3600)
	plus530 := time.FixedZone("", 5*3600+1800)
	tests := []struct {
		name string
		col  catalog.Column
		in   any
		want any
	}{
		{"null", catalog.Column{Type: "int"}, nil, nil},
		{"bit", catalog.Column{Type: "bit"}, true, true},
		{"tinyint", catalog.Column{Type: "tinyint"}, int64(255), int64(255)},
		{"bigint", catalog.Column{Type: "bigint"}, int64(-9223372036854775808), int64(-9223372036854775808)},
		{"decimal", catalog.Column{Type: "decimal", Precision: 38, Scale: 10}, []byte("12345678901234567890.0123456789"),
			mustRat("12345678901234567890.0123456789")},
		{"decimal negative", catalog.Column{Type: "numeric", Precision: 5, Scale: 2}, []byte("-0.01"), mustRat("-0.01")},
		{"money", catalog.Column{Type: "money"}, []byte("922337203685477.5807"), mustRat("922337203685477.5807")},
		{"smallmoney", catalog.Column{Type: "smallmoney"}, []byte("-214748.3648"), mustRat("-214748.3648")},
		{"float", catalog.Column{Type: "float"}, 1.5e300, 1.5e300},
		{"real", catalog.Column{Type: "real"}, float64(float32(3.14)), float32(3.14)},
		{"nvarchar", catalog.Column{Type: "nvarchar"}, "héllo 世界", "héllo 世界"},
		{"ntext", catalog.Column{Type: "ntext"}, "long", "long"},
		{"xml", catalog.Column{Type: "xml"}, "<a/>", "<a/>"},
		{"varbinary", catalog.Column{Type: "varbinary"}, []byte{0, 1, 0xff}, []byte{0, 1, 0xff}},
		{"guid mixed-endian bytes", catalog.Column{Type: "uniqueidentifier"},
			[]byte{0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9, 0x64, 0xFF},
			"6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{"date", catalog.Column{Type: "date"}, time.Date(2024, 2, 29, 0, 0, 0, 0, nyc),
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"time 100ns", catalog.Column{Type: "time", Scale: 7}, time.Date(1, 1, 1, 23, 59, 59, 999999900, time.UTC),
			23*time.Hour + 59*time.Minute + 59*time.Second + 999999900},
		{"datetime2 wall clock in a driver zone", catalog.Column{Type: "datetime2", Scale: 7},
			time.Date(2024, 3, 10, 2, 30, 0, 1234500, nyc), time.Date(2024, 3, 10, 2, 30, 0, 1234500, time.UTC)},
		{"datetime", catalog.Column{Type: "datetime"}, time.Date(1753, 1, 1, 0, 0, 0, 3333333, time.UTC),
			time.Date(1753, 1, 1, 0, 0, 0, 3333333, time.UTC)},
		{"smalldatetime", catalog.Column{Type: "smalldatetime"}, time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC),
			time.Date(2079, 6, 6, 23, 59, 0, 0, time.UTC)},
		{"datetimeoffset", catalog.Column{Type: "datetimeoffset", Scale: 7}, time.Date(2024, 1, 2, 3, 4, 5, 600, plus530),
			time.Date(2024, 1, 2, 3, 4, 5, 600, plus530)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.col.Name = "c"
			got, err := convert(&tt.col, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			assertValue(t, got, tt.want)
		})
	}
}

func assertValue(t *testing.T, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case *big.Rat:
		g, ok := got.(*big.Rat)
		if !ok || g.Cmp(w) != 0 {
			t.Errorf("got %v (%T), want %v", got, got, w.RatString())
		}
	case []byte:
		g, ok := got.([]byte)
		if !ok || string(g) != string(w) {
			t.Errorf("got %v (%T), want %v", got, got, w)
		}
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) {
			t.Fatalf("got %v (%T), want %v", got, got, w)
		}
		gn, go_ := g.Zone()
		wn, wo := w.Zone()
		if go_ != wo || (w.Location() == time.UTC) != (g.Location() == time.UTC) {
			t.Errorf("zone: got %s%+d, want %s%+d", gn, go_, wn, wo)
		}
	default:
		if got != want {
			t.Errorf("got %#v (%T), want %#v (%T)", got, got, want, want)
		}
	}
}

func mustRat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

func TestConvertRefusesUnexpected(t *testing.T) {
	tests := []struct {
		col catalog.Column
		in  any
	}{
		{catalog.Column{Name: "c", Type: "int"}, "12"},
		{catalog.Column{Name: "c", Type: "decimal", Precision: 5, Scale: 2}, 1.5},
		{catalog.Column{Name: "c", Type: "decimal", Precision: 5, Scale: 2}, []byte("1.2.3")},
		{catalog.Column{Name: "c", Type: "uniqueidentifier"}, []byte{1, 2, 3}},
		{catalog.Column{Name: "c", Type: "geography"}, []byte{1}},
	}
	for _, tt := range tests {
		if got, err := convert(&tt.col, tt.in); err == nil {
			t.Errorf("convert(%s, %#v) = %v, want an error", tt.col.Type, tt.in, got)
		} else if !strings.Contains(err.Error(), "column c") {
			t.Errorf("error %q does not name the column", err)
		}
	}
}

func TestKeyTextRoundTrip(t *testing.T) {
	plus1 := time.FixedZone("", 3600)
	tests := []struct {
		col catalog.Column
		v   any
	}{
		{catalog.Column{Type: "int"}, int64(-42)},
		{catalog.Column{Type: "bit"}, true},
		{catalog.Column{Type: "decimal", Precision: 10, Scale: 3}, mustRat("-12.345")},
		{catalog.Column{Type: "float"}, 0.1},
		{catalog.Column{Type: "real"}, float32(0.1)},
		{catalog.Column{Type: "nvarchar"}, "a,b\"c"},
		{catalog.Column{Type: "varbinary"}, []byte{0, 0xab}},
		{catalog.Column{Type: "uniqueidentifier"}, "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{catalog.Column{Type: "time"}, 5*time.Hour + 100},
		{catalog.Column{Type: "date"}, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{catalog.Column{Type: "datetime2"}, time.Date(2020, 1, 1, 1, 2, 3, 4500, time.UTC)},
		{catalog.Column{Type: "datetimeoffset"}, time.Date(2020, 1, 1, 1, 2, 3, 4500, plus1)},
	}
	for _, tt := range tests {
		t.Run(tt.col.Type, func(t *testing.T) {
			tt.col.Name = "k"
			s, err := keyText(&tt.col, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			back, err := keyValue(&tt.col, s)
			if err != nil {
				t.Fatal(err)
			}
			assertValue(t, back, tt.v)
			if _, err := keyParam(&tt.col, back); err != nil {
				t.Errorf("keyParam: %v", err)
			}
		})
	}
}

func TestKeyParamTypes(t *testing.T) {
	dec := catalog.Column{Name: "k", Type: "decimal", Precision: 10, Scale: 3}
	p, err := keyParam(&dec, mustRat("1.5"))
	if err != nil || p != "1.500" {
		t.Errorf("decimal param = %#v, %v; want \"1.500\"", p, err)
	}
	guid := catalog.Column{Name: "k", Type: "uniqueidentifier"}
	p, err = keyParam(&guid, "6F9619FF-8B86-D011-B42D-00C04FC964FF")
	if err != nil {
		t.Fatal(err)
	}
	dv, err := p.(driver.Valuer).Value()
	if err != nil {
		t.Fatal(err)
	}
	// The parameter goes back to SQL Server in its storage byte order.
	if got := hex.EncodeToString(dv.([]byte)); got != "ff19966f868b11d0b42d00c04fc964ff" {
		t.Errorf("guid param bytes %s", got)
	}
}

// TestParseDecimalMatchesSetString: the int64 reading of decimal text
// gives what big.Rat's SetString gives, refusals included.
func TestParseDecimalMatchesSetString(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "+3", "1234.25", "-1234.25", " 12.50 ", "0.000001", ".5", "1.", "",
		"-", ".", "1e5", "abc", "1.2.3", "123456789012345678", "-999999999999999999.9", "1234567890123456789",
		"99999999999999999999999999999999999999", "-0.00000000000000000000000000000000000001", "00012.3400"} {
		want, wantOK := new(big.Rat).SetString(strings.TrimSpace(s))
		got, ok := parseDecimal(s)
		if ok != wantOK || (ok && got.Cmp(want) != 0) {
			t.Errorf("parseDecimal(%q) = %v, %v; SetString gives %v, %v", s, got, ok, want, wantOK)
		}
	}
}

// TestGUIDStringMatchesTheDriver: the uniqueidentifier text is the one
// go-mssqldb's UniqueIdentifier gives.
func TestGUIDStringMatchesTheDriver(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		var u mssql.UniqueIdentifier
		if err := u.Scan(b); err != nil {
			t.Fatal(err)
		}
		if got := guidString(b); got != u.String() {
			t.Errorf("guidString(% x) = %s, want %s", b, got, u.String())
		}
	}
}

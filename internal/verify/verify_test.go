package verify

import (
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

func TestCanonicalAgreesAcrossDrivers(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name         string
		source, tgt  any
		wantSameText bool
	}{
		{"decimal vs numeric", big.NewRat(12345, 100), pgtype.Numeric{Int: big.NewInt(12345), Exp: -2, Valid: true}, true},
		{"decimal differs", big.NewRat(12345, 100), pgtype.Numeric{Int: big.NewInt(12346), Exp: -2, Valid: true}, false},
		{"int widths", int64(7), int16(7), true},
		{"uuid", "6F9619FF-8B86-D011-B42D-00C04FC964FF", [16]byte{0x6f, 0x96, 0x19, 0xff, 0x8b, 0x86, 0xd0, 0x11, 0xb4, 0x2d, 0, 0xc0, 0x4f, 0xc9, 0x64, 0xff}, true},
		{"same instant, other zones", time.Date(2024, 1, 1, 5, 30, 0, 0, ist), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"100ns digit rounds to the microsecond", time.Date(2024, 1, 1, 0, 0, 0, 1500, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 2000, time.UTC), true},
		{"time of day", 90 * time.Second, pgtype.Time{Microseconds: 90_000_000, Valid: true}, true},
		{"null vs empty string", nil, "", false},
	}
	for _, tt := range tests {
		a, err1 := Canonical(tt.source)
		b, err2 := Canonical(tt.tgt)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", tt.name, err1, err2)
		}
		if (a == b) != tt.wantSameText {
			t.Errorf("%s: %q vs %q, want equal=%v", tt.name, a, b, tt.wantSameText)
		}
	}
}

func TestCompareFindsMissingExtraAndDifferent(t *testing.T) {
	src, tgt := NewSide(), NewSide()
	for _, r := range [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "c"}} {
		if err := src.Add(r, []int{0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][]any{{int32(1), "a"}, {int32(2), "B"}, {int32(4), "d"}} {
		if err := tgt.Add(r, []int{0}); err != nil {
			t.Fatal(err)
		}
	}
	d := Compare(src, tgt, 10)
	if d.Equal() || len(d.Missing) != 1 || d.Missing[0] != "3" || len(d.Extra) != 1 || d.Extra[0] != "4" || len(d.Different) != 1 || d.Different[0] != "2" {
		t.Fatalf("diff = %+v", d)
	}
	if src.Checksum() == tgt.Checksum() {
		t.Fatal("different content, same checksum")
	}
	same := NewSide()
	for _, r := range [][]any{{int64(3), "c"}, {int64(1), "a"}, {int64(2), "b"}} {
		_ = same.Add(r, []int{0})
	}
	if same.Checksum() != src.Checksum() || !Compare(src, same, 10).Equal() {
		t.Fatal("row order changed the checksum")
	}
	if err := same.Add([]any{int64(1), "z"}, []int{0}); err == nil {
		t.Fatal("duplicate key accepted")
	}
}

func TestAsTargetMatchesTheTargetType(t *testing.T) {
	tick := time.Date(2024, 1, 2, 3, 4, 5, 3333333, time.UTC) // datetime's .003
	tests := []struct {
		name        string
		col         catalog.Column
		source, tgt any
		wantSame    bool
	}{
		{"datetime tick vs timestamp(3)", catalog.Column{Type: "datetime"}, tick, time.Date(2024, 1, 2, 3, 4, 5, 3e6, time.UTC), true},
		{"datetime2 keeps microseconds", catalog.Column{Type: "datetime2", Scale: 7}, tick, time.Date(2024, 1, 2, 3, 4, 5, 3e6, time.UTC), false},
		{"time(7) does not round to midnight", catalog.Column{Type: "time", Scale: 7}, 24*time.Hour - 100*time.Nanosecond,
			pgtype.Time{Microseconds: 86_399_999_999, Valid: true}, true},
		{"datetime2(7) does not round to year 10000", catalog.Column{Type: "datetime2", Scale: 7},
			time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), true},
		{"nchar padded by code units vs characters", catalog.Column{Type: "nchar", Length: 4}, "😀  ", "😀   ", true},
		{"varchar keeps trailing blanks", catalog.Column{Type: "varchar", Length: 4}, "a ", "a", false},
	}
	for _, tt := range tests {
		a, err1 := Canonical(AsTarget(tt.col, tt.source))
		b, err2 := Canonical(AsTarget(tt.col, tt.tgt))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", tt.name, err1, err2)
		}
		if (a == b) != tt.wantSame {
			t.Errorf("%s: %q vs %q, want equal=%v", tt.name, a, b, tt.wantSame)
		}
	}
}

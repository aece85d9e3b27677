package event

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

func TestResnapshot(t *testing.T) {
	const db1, db2 = "2026-01-01T00:00:00.000/5", "2026-02-01T00:00:00.000/5"
	at := func(s string) lsn.LSN {
		l, err := lsn.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	early, late := TableIncarnation(db1, at("0000002a:00000010:0003")), TableIncarnation(db1, at("0000002b:00000001:0001"))
	if TableIncarnation(db1, lsn.Zero) != db1 {
		t.Errorf("TableIncarnation without a new snapshot = %q, want the database's %q", TableIncarnation(db1, lsn.Zero), db1)
	}
	id := func(table, inc string) Identity {
		return Identity{Name: "shop", Database: "shop", Schema: "dbo", Table: table, Incarnation: inc}
	}
	for _, tc := range []struct {
		name string
		a, b Identity
		want bool
	}{
		{"first new snapshot", id("t", db1), id("t", early), true},
		{"second new snapshot", id("t", early), id("t", late), true},
		{"an older snapshot is no new one", id("t", late), id("t", early), false},
		{"same snapshot", id("t", early), id("t", early), false},
		{"another life of the database", id("t", db1), id("t", db2), false},
		{"a new snapshot in another life of the database", id("t", db1), id("t", TableIncarnation(db2, at("00000001:00000001:0001"))), false},
		{"another table", id("t", db1), id("u", early), false},
		{"recorded without an incarnation", id("t", ""), id("t", early), false},
	} {
		if got := tc.a.Resnapshot(tc.b); got != tc.want {
			t.Errorf("%s: %s.Resnapshot(%s) = %v, want %v", tc.name, tc.a, tc.b, got, tc.want)
		}
	}
}

package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

func TestCheckPosition(t *testing.T) {
	at := func(s string) lsn.LSN {
		l, err := lsn.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	const cur = "2026-12-06T07:00:00.000/7"
	max := at("00000030:00000010:0001")
	for _, tc := range []struct {
		name  string
		pos   Position
		stale string // a substring of the error, empty when the position holds
	}{
		{"fresh start", Position{}, ""},
		{"same life", Position{Incarnation: cur, Stream: StreamPosition{CommitLSN: at("00000020:00000010:0001")}}, ""},
		{"older version, LSN within", Position{Snapshot: SnapshotPosition{LSN: at("00000030:00000010:0001")}}, ""},
		{"another life", Position{Incarnation: "2026-01-01T00:00:00.000/7"}, "dropped and recreated, or restored"},
		{"older version, LSN beyond", Position{Stream: StreamPosition{CommitLSN: at("00000031:00000000:0001")}}, "beyond the database's highest LSN"},
		{"same life, snapshot LSN beyond", Position{Incarnation: cur, Snapshot: SnapshotPosition{LSN: at("00000040:00000000:0001")}}, "beyond the database's highest LSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPosition(tc.pos, "sales", cur, max)
			if tc.stale == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrStalePosition) || !strings.Contains(err.Error(), tc.stale) || !strings.Contains(err.Error(), "STALE_POSITION=resnapshot") {
				t.Fatalf("want a stale-position error saying %q and the way out, got %v", tc.stale, err)
			}
		})
	}
}

func TestPositionKeepsItsIncarnation(t *testing.T) {
	p := Position{Incarnation: "2026-12-06T07:00:00.000/7"}
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var q Position
	if err := q.UnmarshalJSON(b); err != nil || q.Incarnation != p.Incarnation {
		t.Fatalf("round trip of %s: %+v, %v", b, q, err)
	}
}

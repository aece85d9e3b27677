package source

import (
	"math/big"
	"testing"
	"time"
)

func TestFillText(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{true, "true"},
		{int64(-42), "-42"},
		{big.NewRat(3, 2), "1.5"},
		{big.NewRat(30, 1), "30"},
		{float64(0.25), "0.25"},
		{"it's", "it's"},
		{[]byte{0x0a, 0xff}, `\x0aff`},
		{time.Date(2024, 3, 1, 10, 11, 12, 123456000, time.UTC), "2024-03-01T10:11:12.123456Z"},
		{time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 5*3600+1800)), "2024-03-01T10:00:00+05:30"},
		{13*time.Hour + 14*time.Minute + 15*time.Second + 123457*time.Microsecond, "13:14:15.123457"},
	} {
		got, err := FillText(tc.v)
		if err != nil || got != tc.want {
			t.Errorf("FillText(%v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	if _, err := FillText(struct{}{}); err == nil {
		t.Error("FillText of an unknown type: no error")
	}
}

func TestConstantDefault(t *testing.T) {
	for def, want := range map[string]string{
		"((0))":       "0",
		"((-1.5))":    "-1.5",
		"(N'it''s')":  "N'it''s'",
		"('abc')":     "'abc'",
		"(0x0A)":      "0x0A",
		"(getdate())": "",
		"((1)+(2))":   "",
		"(newid())":   "",
		"(N'a'+N'b')": "",
	} {
		m := constantDefault.FindStringSubmatch(def)
		got := ""
		if m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: constant %q, want %q", def, got, want)
		}
	}
}

func TestNextInstanceName(t *testing.T) {
	taken := map[string]bool{"dbo_t": true, "dbo_t_v2": true, "dbo_u_v3": true, "dbo_u_v4": true}
	for cur, want := range map[string]string{
		"dbo_t":    "dbo_t_v3",
		"dbo_t_v2": "dbo_t_v3",
		"dbo_u_v3": "dbo_u_v5",
		"sales_x":  "sales_x_v2",
	} {
		if got := nextInstanceName(cur, taken); got != want {
			t.Errorf("after %s: %s, want %s", cur, got, want)
		}
	}
}

package lsn

import "testing"

func TestParseAndFormat(t *testing.T) {
	tests := []struct {
		in       string
		debezium string
		hex      string
		wantErr  bool
	}{
		{in: "0000002a:000001a8:0003", debezium: "0000002a:000001a8:0003", hex: "0x0000002A000001A80003"},
		{in: "0x0000002A000001A80003", debezium: "0000002a:000001a8:0003", hex: "0x0000002A000001A80003"},
		{in: "2a:1a8:3", debezium: "0000002a:000001a8:0003", hex: "0x0000002A000001A80003"},
		{in: "00000000000000000000", debezium: "00000000:00000000:0000", hex: "0x00000000000000000000"},
		{in: "0x00", wantErr: true},
		{in: "zz:1:1", wantErr: true},
		{in: "1:2:33333", wantErr: true},
	}
	for _, tt := range tests {
		l, err := Parse(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", tt.in, l)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := l.String(); got != tt.debezium {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.debezium)
		}
		if got := l.Hex(); got != tt.hex {
			t.Errorf("Parse(%q).Hex() = %q, want %q", tt.in, got, tt.hex)
		}
	}
}

func TestCompareFollowsLogOrder(t *testing.T) {
	a, _ := Parse("0000002a:000001a8:0003")
	b, _ := Parse("0000002a:000001a8:0004")
	c, _ := Parse("0000002b:00000000:0000")
	if a.Compare(b) >= 0 || b.Compare(c) >= 0 || c.Compare(a) <= 0 || a.Compare(a) != 0 {
		t.Fatalf("compare does not follow log order: %v %v %v", a, b, c)
	}
	if _, err := FromBytes([]byte{1, 2}); err == nil {
		t.Fatal("FromBytes accepted 2 bytes")
	}
}

// TestParseAllocatesNothing: every change event the consumer decodes
// carries two LSNs in the Debezium form.
func TestParseAllocatesNothing(t *testing.T) {
	for _, s := range []string{"0000002a:000001a8:0003", "0x0000002A000001A80003"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = Parse(s) }); n != 0 {
			t.Errorf("Parse(%q) allocates %v times", s, n)
		}
		b := []byte(s)
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseBytes(b) }); n != 0 {
			t.Errorf("ParseBytes(%q) allocates %v times", s, n)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts reads back the same
// from both forms it writes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0000002a:000001a8:0003", "0x0000002A000001A80003", "2a:1a8:3", "::", "0x", "ffffffff:ffffffff:ffff", "FFFFFFFF:0000000g:0003", "0000002a:000001a8:000G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if fast, ok := parseDebezium(s); ok {
			if slow, err := parseAny(s); err != nil || slow != fast {
				t.Fatalf("parseDebezium(%q) = %v, but parseAny = %v, %v", s, fast, slow, err)
			}
		}
		if lb, errb := ParseBytes([]byte(s)); lb != l || (err == nil) != (errb == nil) {
			t.Fatalf("ParseBytes(%q) = %v, %v; Parse = %v, %v", s, lb, errb, l, err)
		}
		if err != nil {
			return
		}
		for _, form := range []string{l.String(), l.Hex()} {
			if back, err := Parse(form); err != nil || back != l {
				t.Fatalf("Parse(%q) = %v; its form %q reads back as %v, %v", s, l, form, back, err)
			}
		}
	})
}

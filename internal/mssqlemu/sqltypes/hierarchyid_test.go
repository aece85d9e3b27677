package sqltypes

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestHierarchyIDBinary: the two worked examples of [MS-SSCLRT] 3.2
// "HIERARCHYID Structure" (/1/ is 01011000; /1/-2.18/ is 01011001 11111011
// 00000101 01000000), the root as zero bytes, and a label at each end of
// every range of the structure's table, each read back to its logical form.
// https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-ssclrt/eed8aa55-6eb3-4962-acd4-633e3cfe9242
func TestHierarchyIDBinary(t *testing.T) {
	for _, tc := range []struct {
		text, hex string
	}{
		{"/", ""},
		{"/1/", "58"},
		{"/1/-2.18/", "59fb0540"},
		{"/0/", "48"},
		{"/3/", "78"},
		{"/1/2/3/", "5b5e"},
		{"/1.1/", "62c0"},
	} {
		b, err := HierarchyIDFromString(tc.text)
		if err != nil || hex.EncodeToString(b) != tc.hex {
			t.Errorf("CAST('%s' AS hierarchyid) = 0x%x, %v; want 0x%s", tc.text, b, err, tc.hex)
			continue
		}
		if s, err := HierarchyIDString(b); err != nil || s != tc.text {
			t.Errorf("ToString(0x%x) = %q, %v; want %q", b, s, err, tc.text)
		}
	}
	for _, p := range hidPatterns {
		for _, n := range []int64{p.min, p.max} {
			h := HierarchyPath{{n}, {7, n}}
			b, err := h.Encode()
			if err != nil {
				t.Errorf("encode %s: %v", h, err)
				continue
			}
			back, err := DecodeHierarchyID(b)
			if err != nil || back.String() != h.String() {
				t.Errorf("round trip of %s: %s, %v", h, back, err)
			}
		}
	}
}

// TestHierarchyIDOrder: "given two hierarchyid values a and b, a<b means a
// comes before b in a depth-first traversal of the tree", and comparing the
// binary forms as bytes gives that order.
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/hierarchyid-data-type-method-reference
func TestHierarchyIDOrder(t *testing.T) {
	depthFirst := []string{"/", "/-5/", "/-1/", "/0/", "/1/", "/1/1/", "/1/1/-3/", "/1/2/", "/1.1/", "/1.2/", "/2/", "/20/", "/100/", "/5000/"}
	var prev []byte
	for i, s := range depthFirst {
		b, err := HierarchyIDFromString(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if i > 0 && bytes.Compare(prev, b) >= 0 {
			t.Errorf("%s (0x%x) does not sort after %s (0x%x)", s, b, depthFirst[i-1], prev)
		}
		prev = b
	}
}

// TestHierarchyIDInvalid: strings that are not a node fail with Msg 6522
// (FormatException 24001), bytes that are not one with 6522 (24000).
func TestHierarchyIDInvalid(t *testing.T) {
	for _, s := range []string{"", "1/", "/1", "/a/", "/1//", "/1..2/"} {
		var e *Error
		if _, err := HierarchyIDFromString(s); err == nil {
			t.Errorf("CAST('%s' AS hierarchyid) succeeded", s)
		} else if e, _ = err.(*Error); e == nil || e.Number != 6522 {
			t.Errorf("CAST('%s' AS hierarchyid): %v; want Msg 6522", s, err)
		}
	}
	for _, b := range [][]byte{{0xff}, {0x59}, {0x00, 0x01}} {
		if _, err := DecodeHierarchyID(b); err == nil {
			t.Errorf("0x%x read as a hierarchyid", b)
		}
	}
}

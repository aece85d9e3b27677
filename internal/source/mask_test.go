package source

import "testing"

func TestBitSet(t *testing.T) {
	// 0x01 0x82: the last byte holds ordinals 1..8, the one before 9..16.
	mask := []byte{0x01, 0x82}
	tests := []struct {
		ord  int
		want bool
	}{
		{0, false}, {1, false}, {2, true}, {3, false}, {8, true},
		{9, true}, {10, false}, {16, false}, {17, false}, {-1, false},
	}
	for _, tt := range tests {
		if got := bitSet(mask, tt.ord); got != tt.want {
			t.Errorf("bitSet(%x, %d) = %v, want %v", mask, tt.ord, got, tt.want)
		}
	}
	if bitSet(nil, 1) {
		t.Error("bitSet(nil, 1) = true, want false")
	}
}

func TestConvertRowUnchangedLOB(t *testing.T) {
	ts := testTable()
	// Columns: id (ord 1), name nvarchar (2), notes ntext (3), pic image (4).
	// Mask 0x0A sets ordinals 2 and 4: notes did not change, pic did.
	rc := &rawChange{op: 4, mask: []byte{0x0A}, vals: []any{int64(1), "n", nil, []byte{7}}}
	row, err := convertRow(ts, rc, true)
	if err != nil {
		t.Fatal(err)
	}
	if !isUnchanged(row[2]) {
		t.Errorf("notes = %#v, want event.Unchanged", row[2])
	}
	if b, ok := row[3].([]byte); !ok || len(b) != 1 || b[0] != 7 {
		t.Errorf("pic = %#v, want [7]", row[3])
	}
	// The same row as an insert keeps the NULL.
	row, err = convertRow(ts, rc, false)
	if err != nil {
		t.Fatal(err)
	}
	if row[2] != nil {
		t.Errorf("notes in an insert = %#v, want nil", row[2])
	}
}

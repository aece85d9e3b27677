package event

import (
	"bytes"
	"math/big"
	"reflect"
	"time"
)

// Equal reports whether r and o hold the same values, compared by type:
// decimals by value, bytes by content, times by instant and offset (a
// datetimeoffset written with another offset is another value).
func (r Row) Equal(o Row) bool {
	if len(r) != len(o) {
		return false
	}
	for i := range r {
		if !sameValue(r[i], o[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch a := a.(type) {
	case *big.Rat:
		b, ok := b.(*big.Rat)
		return ok && (a == b || a != nil && b != nil && a.Cmp(b) == 0)
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case time.Time:
		b, ok := b.(time.Time)
		if !ok || !a.Equal(b) {
			return false
		}
		_, oa := a.Zone()
		_, ob := b.Zone()
		return oa == ob
	}
	if a == nil || b == nil || !reflect.TypeOf(a).Comparable() {
		return reflect.DeepEqual(a, b)
	}
	return a == b
}

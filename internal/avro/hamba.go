package avro

import (
	"errors"
	"fmt"
	"io"

	havro "github.com/hamba/avro/v2"
)

// The envelope's fields that are not a row, a string or a long (a
// non-null unchanged list, a writer's op of another type) are decoded by
// hamba into typed Go values (see envplan.go for the others). Its
// limits bound what a corrupt length or count can make it allocate: no
// string or bytes value longer than maxEnvelopeBytes, no array longer than
// maxEnvelopeItems (unchanged lists at most a table's columns, 30,000 for a
// wide table). Without them hamba allocates whatever length a record
// claims before finding that the record is shorter.
const (
	maxEnvelopeBytes = 1 << 20
	maxEnvelopeItems = 1 << 15
)

var envelopeAPI = havro.Config{MaxByteSliceSize: maxEnvelopeBytes, MaxSliceAllocSize: maxEnvelopeItems}.Freeze()

// recordTail lets hamba read the record from an offset on, one byte at a
// time (hamba's buffer is one byte), so that it never reads past the value
// it decodes and n counts exactly what it took.
type recordTail struct {
	b []byte
	n int
}

func (t *recordTail) Read(p []byte) (int, error) {
	if t.n >= len(t.b) {
		return 0, io.EOF
	}
	k := copy(p, t.b[t.n:])
	t.n += k
	return k, nil
}

// readVal decodes one value of schema s at the reader's offset into v (a
// pointer to a Go value of a type hamba maps s to). It is for the rare
// fields the codec does not read by hand: the reader itself is not handed
// to hamba, so that it stays off the heap in the usual path.
func readVal(r *reader, s havro.Schema, v any) error {
	t := &recordTail{b: r.b[r.off:]}
	h := havro.NewReader(t, 1, havro.WithReaderConfig(envelopeAPI))
	start := r.off
	h.ReadVal(s, v)
	r.off += t.n
	switch err := h.Error; {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("at byte %d: %w", start, errTruncated)
	default:
		return fmt.Errorf("at byte %d: %w", start, err)
	}
}

// readLong decodes a long or a ["null", "long"] (null gives 0).
func readLong(r *reader, s havro.Schema) (int64, error) {
	if _, ok := deref(s).(*havro.UnionSchema); ok {
		var v *int64
		if err := readVal(r, s, &v); err != nil || v == nil {
			return 0, err
		}
		return *v, nil
	}
	var v int64
	return v, readVal(r, s, &v)
}

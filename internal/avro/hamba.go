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

// Read lets hamba read from the record at the reader's offset. hamba's
// reader is given a one-byte buffer, so that it never reads ahead of the
// value it decodes and r.off stays the record's position.
func (r *reader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// readVal decodes one value of schema s at the reader's offset into v (a
// pointer to a Go value of a type hamba maps s to).
func readVal(r *reader, s havro.Schema, v any) error {
	if r.h == nil {
		r.h = havro.NewReader(r, 1, havro.WithReaderConfig(envelopeAPI))
	}
	r.h.Error = nil
	start := r.off
	r.h.ReadVal(s, v)
	switch err := r.h.Error; {
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


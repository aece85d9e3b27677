package avro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	havro "github.com/hamba/avro/v2"
)

// The Avro binary encoding of the rows, written by hand rather than through
// hamba's reflection codec: the codec controls every conversion (no time
// zone, no rounding of decimals), allocates little, and a malformed record
// yields an error, never a panic or a huge allocation: every length and
// count is checked against the bytes the record has left. The envelope's
// other fields are hamba's (hamba.go).

// writer appends Avro binary values to a byte slice.
type writer struct{ b []byte }

func (w *writer) long(v int64)     { w.b = binary.AppendUvarint(w.b, uint64(v<<1)^uint64(v>>63)) }
func (w *writer) unionIndex(i int) { w.long(int64(i)) }
func (w *writer) null()            {}

func (w *writer) boolean(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) bytes(b []byte) {
	w.long(int64(len(b)))
	w.b = append(w.b, b...)
}

func (w *writer) str(s string) {
	w.long(int64(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) float(f float32) { w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(f)) }
func (w *writer) double(f float64) {
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f))
}

// errTruncated is returned when a record ends in the middle of a value.
var errTruncated = errors.New("record is truncated")

// reader reads Avro binary values from a byte slice.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) long() (int64, error) {
	var u uint64
	for shift := uint(0); ; shift += 7 {
		if r.off >= len(r.b) {
			return 0, fmt.Errorf("at byte %d: %w", r.off, errTruncated)
		}
		c := r.b[r.off]
		r.off++
		if shift == 63 && c > 1 {
			return 0, fmt.Errorf("at byte %d: variable-length integer overflows 64 bits", r.off-1)
		}
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *reader) int() (int32, error) {
	v, err := r.long()
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("at byte %d: int value %d is out of range", r.off, v)
	}
	return int32(v), nil
}

func (r *reader) boolean() (bool, error) {
	if r.off >= len(r.b) {
		return false, fmt.Errorf("at byte %d: %w", r.off, errTruncated)
	}
	c := r.b[r.off]
	r.off++
	if c > 1 {
		return false, fmt.Errorf("at byte %d: boolean byte is %d, want 0 or 1", r.off-1, c)
	}
	return c == 1, nil
}

// bytes returns a slice of the record itself; copy it to keep it.
func (r *reader) bytes() ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("at byte %d: negative length %d", r.off, n)
	}
	if n > int64(r.remaining()) {
		return nil, fmt.Errorf("at byte %d: length %d runs past the end (%d bytes left): %w", r.off, n, r.remaining(), errTruncated)
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) str() (string, error) {
	b, err := r.bytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("at byte %d: string is not valid UTF-8", r.off-len(b))
	}
	return string(b), nil
}

func (r *reader) fixed(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, fmt.Errorf("at byte %d: %d bytes wanted, %d left: %w", r.off, n, r.remaining(), errTruncated)
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}

func (r *reader) float() (float32, error) {
	b, err := r.fixed(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
}

func (r *reader) double() (float64, error) {
	b, err := r.fixed(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// unionIndex reads a union branch index and checks it against n branches.
func (r *reader) unionIndex(n int) (int, error) {
	v, err := r.long()
	if err != nil {
		return 0, err
	}
	if v < 0 || v >= int64(n) {
		return 0, fmt.Errorf("at byte %d: union branch %d does not exist (%d branches)", r.off, v, n)
	}
	return int(v), nil
}

// maxDepth bounds the nesting skip follows, against recursive schemas.
const maxDepth = 32

// skip reads past one value of schema s: the envelope's transaction block
// and fields a later writer adds. It stays here rather than in hamba: hamba's
// skip decoders trust an array or map block's item count, so a corrupt
// count of 2^62 items of an empty type (null, an empty record) loops for
// ever; readBlocks refuses a count larger than the bytes left.
func skip(r *reader, s havro.Schema, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("schema nests deeper than %d levels", maxDepth)
	}
	var err error
	switch s := deref(s).(type) {
	case *havro.NullSchema:
	case *havro.PrimitiveSchema:
		switch s.Type() {
		case havro.Boolean:
			_, err = r.boolean()
		case havro.Int, havro.Long:
			_, err = r.long()
		case havro.Float:
			_, err = r.fixed(4)
		case havro.Double:
			_, err = r.fixed(8)
		case havro.String, havro.Bytes:
			_, err = r.bytes()
		default:
			err = fmt.Errorf("cannot read Avro type %s", s.Type())
		}
	case *havro.FixedSchema:
		_, err = r.fixed(s.Size())
	case *havro.EnumSchema:
		_, err = r.unionIndex(len(s.Symbols()))
	case *havro.UnionSchema:
		var i int
		if i, err = r.unionIndex(len(s.Types())); err == nil {
			err = skip(r, s.Types()[i], depth+1)
		}
	case *havro.RecordSchema:
		for _, f := range s.Fields() {
			if err := skip(r, f.Type(), depth+1); err != nil {
				return fmt.Errorf("field %s: %w", f.Name(), err)
			}
		}
	case *havro.ArraySchema:
		err = readBlocks(r, func() error { return skip(r, s.Items(), depth+1) })
	case *havro.MapSchema:
		err = readBlocks(r, func() error {
			if _, err := r.bytes(); err != nil {
				return err
			}
			return skip(r, s.Values(), depth+1)
		})
	default:
		err = fmt.Errorf("cannot read Avro type %s", s.Type())
	}
	return err
}

// readBlocks reads the blocks of an array or a map, calling item per item.
func readBlocks(r *reader, item func() error) error {
	for {
		n, err := r.long()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < 0 { // a negative count is followed by the block's byte size
			if n = -n; n < 0 {
				return fmt.Errorf("at byte %d: impossible block count", r.off)
			}
			if _, err := r.long(); err != nil {
				return err
			}
		}
		// Every item takes at least one byte in the schemas we read; a larger
		// count can only come from a corrupt record.
		if n > int64(r.remaining()) {
			return fmt.Errorf("at byte %d: block of %d items runs past the end: %w", r.off, n, errTruncated)
		}
		for range n {
			if err := item(); err != nil {
				return err
			}
		}
	}
}

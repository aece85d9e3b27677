package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// errShort is reported when a client message ends before a field it announces.
var errShort = errors.New("message ends before the field it announces")

// rbuf reads little-endian fields from a client message. The first error
// sticks; callers check err once after a group of reads, so arbitrary bytes
// never cause a panic.
type rbuf struct {
	b   []byte
	off int
	err error
}

func (r *rbuf) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *rbuf) remaining() int { return len(r.b) - r.off }

func (r *rbuf) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.remaining() {
		r.fail(fmt.Errorf("at offset %d: want %d bytes: %w", r.off, n, errShort))
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *rbuf) u8() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *rbuf) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *rbuf) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *rbuf) u64() uint64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// bVarChar reads a B_VARCHAR: a character count byte and UTF-16LE text.
func (r *rbuf) bVarChar() string {
	n := int(r.u8())
	return decodeUTF16(r.bytes(2 * n))
}

// usVarChar reads a US_VARCHAR: a uint16 character count and UTF-16LE text.
func (r *rbuf) usVarChar() string {
	n := int(r.u16())
	return decodeUTF16(r.bytes(2 * n))
}

// bVarByte reads a B_VARBYTE.
func (r *rbuf) bVarByte() []byte {
	n := int(r.u8())
	return r.bytes(n)
}

// decodeUTF16 decodes UTF-16LE; an odd trailing byte is ignored and unpaired
// surrogates become U+FFFD.
func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// encodeUTF16 encodes s as UTF-16LE, characters outside the BMP as surrogate pairs.
func encodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// wbuf builds server tokens.
type wbuf struct {
	b []byte
}

func (w *wbuf) u8(v byte)      { w.b = append(w.b, v) }
func (w *wbuf) u16(v uint16)   { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *wbuf) u32(v uint32)   { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *wbuf) u64(v uint64)   { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *wbuf) raw(v []byte)   { w.b = append(w.b, v...) }
func (w *wbuf) u16BE(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }

// bVarChar writes a B_VARCHAR, truncating to 255 UTF-16 code units.
func (w *wbuf) bVarChar(s string) {
	u := encodeUTF16(s)
	if len(u) > 2*255 {
		u = u[:2*255]
	}
	w.u8(byte(len(u) / 2))
	w.raw(u)
}

// usVarChar writes a US_VARCHAR, truncating to 65535 UTF-16 code units.
func (w *wbuf) usVarChar(s string) {
	u := encodeUTF16(s)
	if len(u) > 2*65535 {
		u = u[:2*65535]
	}
	w.u16(uint16(len(u) / 2))
	w.raw(u)
}

// bVarByte writes a B_VARBYTE.
func (w *wbuf) bVarByte(v []byte) {
	w.u8(byte(len(v)))
	w.raw(v)
}

// patchU16 overwrites a uint16 written earlier at off.
func (w *wbuf) patchU16(off int, v uint16) {
	binary.LittleEndian.PutUint16(w.b[off:], v)
}

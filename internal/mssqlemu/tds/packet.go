package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Packet types (MS-TDS 2.2.3.1.1).
const (
	packetSQLBatch  byte = 1
	packetRPC       byte = 3
	packetReply     byte = 4
	packetAttention byte = 6
	packetBulkLoad  byte = 7
	packetTransMgr  byte = 14
	packetLogin7    byte = 16
	packetSSPI      byte = 17
	packetPrelogin  byte = 18
)

// Packet status bits.
const (
	statusEOM             byte = 0x01
	statusIgnore          byte = 0x02
	statusResetConn       byte = 0x08
	statusResetConnNoTran byte = 0x10
)

const (
	headerLen = 8
	// preloginPacketSize is the packet size used before LOGIN7 negotiates one.
	preloginPacketSize = 4096
	minPacketSize      = 512
	maxPacketSize      = 32767
	// maxEncryptedPacketSize is the largest packet SQL Server allows on an
	// encrypted session; larger requests are answered with this size.
	maxEncryptedPacketSize = 16383
)

// errMessageTooLarge is returned when a client message exceeds Config.MaxMessageSize.
var errMessageTooLarge = errors.New("tds: client message exceeds the maximum message size")

// message is one client request: the payloads of its packets concatenated.
type message struct {
	typ    byte
	status byte // status of the first packet (reset-connection bits)
	data   []byte
}

// readPacket reads one packet and returns its header fields and payload.
func readPacket(r io.Reader, hdr *[headerLen]byte) (typ, status byte, payload []byte, err error) {
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, nil, err
	}
	size := int(binary.BigEndian.Uint16(hdr[2:4]))
	if size < headerLen || size > maxPacketSize+1 {
		return 0, 0, nil, fmt.Errorf("tds: packet length %d out of range", size)
	}
	payload = make([]byte, size-headerLen)
	if _, err = io.ReadFull(r, payload); err != nil {
		return 0, 0, nil, fmt.Errorf("tds: read packet payload: %w", io.ErrUnexpectedEOF)
	}
	return hdr[0], hdr[1], payload, nil
}

// readMessage reads packets until one carries EOM. The first packet is read
// from first, the following ones from rest: after a login-only TLS exchange
// the client sends only its first packet through TLS.
func readMessage(first, rest io.Reader, maxSize int) (message, error) {
	var hdr [headerLen]byte
	var m message
	r := first
	for i := 0; ; i++ {
		typ, status, payload, err := readPacket(r, &hdr)
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return message{}, err
		}
		if i == 0 {
			m.typ, m.status = typ, status
		} else if typ != m.typ {
			return message{}, fmt.Errorf("tds: packet type %d inside a message of type %d", typ, m.typ)
		}
		if len(m.data)+len(payload) > maxSize {
			return message{}, errMessageTooLarge
		}
		m.data = append(m.data, payload...)
		if status&statusEOM != 0 {
			if status&statusIgnore != 0 {
				// The client asks us to discard this message; read the next.
				m = message{}
				i = -1
				r = rest
				continue
			}
			return m, nil
		}
		r = rest
	}
}

// packetWriter splits a message into packets of the negotiated size.
type packetWriter struct {
	w    io.Writer
	size int
	spid uint16
	typ  byte
	seq  byte
	buf  []byte // current packet, header included
	err  error
}

func newPacketWriter(w io.Writer, size int) *packetWriter {
	return &packetWriter{w: w, size: size}
}

// begin starts a new message of the given packet type.
func (p *packetWriter) begin(typ byte) {
	p.typ = typ
	p.seq = 1
	p.buf = append(p.buf[:0], make([]byte, headerLen)...)
}

// Write appends message bytes, sending full packets when more data follows.
func (p *packetWriter) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n := len(b)
	for len(b) > 0 {
		if len(p.buf) == p.size {
			if err := p.flush(0); err != nil {
				return n - len(b), err
			}
		}
		k := min(p.size-len(p.buf), len(b))
		p.buf = append(p.buf, b[:k]...)
		b = b[k:]
	}
	return n, nil
}

// end sends the last packet of the message, with EOM set.
func (p *packetWriter) end() error {
	if p.err != nil {
		return p.err
	}
	return p.flush(statusEOM)
}

func (p *packetWriter) flush(status byte) error {
	h := p.buf[:headerLen]
	h[0] = p.typ
	h[1] = status
	binary.BigEndian.PutUint16(h[2:4], uint16(len(p.buf)))
	binary.BigEndian.PutUint16(h[4:6], p.spid)
	h[6] = p.seq
	h[7] = 0
	if _, err := p.w.Write(p.buf); err != nil {
		p.err = fmt.Errorf("tds: write packet: %w", err)
		return p.err
	}
	p.seq++
	p.buf = p.buf[:headerLen]
	return nil
}

package tds

import (
	"encoding/binary"
	"fmt"
)

// login7 is the decoded LOGIN7 record (MS-TDS 2.2.6.4).
type login7 struct {
	TDSVersion     uint32
	PacketSize     uint32
	ClientPID      uint32
	OptionFlags1   byte
	OptionFlags2   byte
	TypeFlags      byte
	OptionFlags3   byte
	ClientLCID     uint32
	HostName       string
	UserName       string
	Password       string
	ChangePassword string // set when OptionFlags3 has fChangePassword
	AppName        string
	ServerName     string
	CltIntName     string
	Language       string
	Database       string
	SSPI           []byte
	Features       map[byte][]byte // FeatureExt blocks by feature id
}

const (
	login7FixedLen  = 94
	fChangePassword = 0x01 // OptionFlags3
	fExtension      = 0x10 // OptionFlags3
	fIntSecurity    = 0x80 // OptionFlags2
)

// parseLogin7 decodes a LOGIN7 message. It never panics on malformed input.
func parseLogin7(data []byte) (*login7, error) {
	if len(data) < login7FixedLen {
		return nil, fmt.Errorf("login7: record of %d bytes is shorter than the %d-byte fixed part", len(data), login7FixedLen)
	}
	r := &rbuf{b: data}
	total := int(r.u32())
	if total > len(data) || total < login7FixedLen {
		return nil, fmt.Errorf("login7: declared length %d does not match the %d bytes received", total, len(data))
	}
	data = data[:total]
	r.b = data
	l := &login7{}
	l.TDSVersion = binary.BigEndian.Uint32(r.bytes(4))
	l.PacketSize = r.u32()
	r.u32() // client program version
	l.ClientPID = r.u32()
	r.u32() // connection id
	l.OptionFlags1 = r.u8()
	l.OptionFlags2 = r.u8()
	l.TypeFlags = r.u8()
	l.OptionFlags3 = r.u8()
	r.u32() // client time zone
	l.ClientLCID = r.u32()

	// Offset/length pairs; lengths are in characters for strings.
	type span struct{ off, n int }
	next := func() span { return span{int(r.u16()), int(r.u16())} }
	host, user, pass, app, server, ext, intName, lang, db := next(), next(), next(), next(), next(), next(), next(), next(), next()
	r.bytes(6)                                    // client MAC address
	sspi, _, changePass := next(), next(), next() // SSPI, AtchDBFile, ChangePassword
	sspiLong := r.u32()
	if r.err != nil {
		return nil, fmt.Errorf("login7: %w", r.err)
	}
	str := func(name string, s span) (string, error) {
		end := s.off + 2*s.n
		if s.n == 0 {
			return "", nil
		}
		if end > len(data) {
			return "", fmt.Errorf("login7: %s (offset %d, %d characters) lies outside the %d-byte record", name, s.off, s.n, len(data))
		}
		return decodeUTF16(data[s.off:end]), nil
	}
	var err error
	fields := []struct {
		name string
		sp   span
		dst  *string
	}{
		{"HostName", host, &l.HostName}, {"UserName", user, &l.UserName}, {"AppName", app, &l.AppName},
		{"ServerName", server, &l.ServerName}, {"CltIntName", intName, &l.CltIntName},
		{"Language", lang, &l.Language}, {"Database", db, &l.Database},
	}
	for _, f := range fields {
		if *f.dst, err = str(f.name, f.sp); err != nil {
			return nil, err
		}
	}
	if pass.n > 0 {
		end := pass.off + 2*pass.n
		if pass.off < 0 || end > len(data) {
			return nil, fmt.Errorf("login7: password field lies outside the %d-byte record", len(data))
		}
		l.Password = decodeUTF16(deobfuscatePassword(data[pass.off:end]))
	}
	if l.OptionFlags3&fChangePassword != 0 && changePass.n > 0 {
		end := changePass.off + 2*changePass.n
		if end > len(data) {
			return nil, fmt.Errorf("login7: ChangePassword field lies outside the %d-byte record", len(data))
		}
		l.ChangePassword = decodeUTF16(deobfuscatePassword(data[changePass.off:end]))
	}
	if sspi.n > 0 || sspiLong > 0 {
		n := sspi.n
		if n == 0xFFFF && sspiLong > 0 {
			n = int(sspiLong)
		}
		if sspi.off+n > len(data) {
			return nil, fmt.Errorf("login7: SSPI data lies outside the %d-byte record", len(data))
		}
		l.SSPI = data[sspi.off : sspi.off+n]
	}
	if l.OptionFlags3&fExtension != 0 && ext.n >= 4 {
		if ext.off+4 > len(data) {
			return nil, fmt.Errorf("login7: extension pointer lies outside the %d-byte record", len(data))
		}
		featOff := int(binary.LittleEndian.Uint32(data[ext.off:]))
		if l.Features, err = parseFeatureExt(data, featOff); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// parseFeatureExt reads the FeatureExt list at off: id, uint32 length, data, … 0xFF.
func parseFeatureExt(data []byte, off int) (map[byte][]byte, error) {
	if off < 0 || off >= len(data) {
		return nil, fmt.Errorf("login7: FeatureExt offset %d outside the %d-byte record", off, len(data))
	}
	r := &rbuf{b: data, off: off}
	feats := make(map[byte][]byte)
	for {
		id := r.u8()
		if r.err != nil {
			return nil, fmt.Errorf("login7: FeatureExt list has no terminator: %w", r.err)
		}
		if id == 0xFF {
			return feats, nil
		}
		n := r.u32()
		if int64(n) > int64(r.remaining()) {
			return nil, fmt.Errorf("login7: feature %#x announces %d bytes, %d remain", id, n, r.remaining())
		}
		feats[id] = r.bytes(int(n))
	}
}

// deobfuscatePassword reverses LOGIN7's password scrambling: each byte was
// nibble-swapped and then XORed with 0xA5.
func deobfuscatePassword(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		c ^= 0xA5
		out[i] = c<<4 | c>>4
	}
	return out
}

// negotiatedPacketSize clamps the client's requested packet size to the range
// TDS allows; 0 asks for the server default.
func negotiatedPacketSize(requested uint32) int {
	switch {
	case requested == 0:
		return preloginPacketSize
	case requested < minPacketSize:
		return minPacketSize
	case requested > maxPacketSize:
		return maxPacketSize
	}
	return int(requested)
}

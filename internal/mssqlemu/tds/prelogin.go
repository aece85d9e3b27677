package tds

import (
	"encoding/binary"
	"fmt"
)

// PRELOGIN option tokens (MS-TDS 2.2.6.5).
const (
	preloginVersion    byte = 0x00
	preloginEncryption byte = 0x01
	preloginInstOpt    byte = 0x02
	preloginThreadID   byte = 0x03
	preloginMARS       byte = 0x04
	preloginTraceID    byte = 0x05
	preloginFedAuth    byte = 0x06
	preloginNonce      byte = 0x07
	preloginTerminator byte = 0xFF
)

// Encryption negotiation values.
const (
	encryptOff    byte = 0
	encryptOn     byte = 1
	encryptNotSup byte = 2
	encryptReq    byte = 3
	encryptStrict byte = 4
)

// parsePrelogin reads the client's PRELOGIN options into a map.
func parsePrelogin(data []byte) (map[byte][]byte, error) {
	opts := make(map[byte][]byte)
	for i := 0; ; i += 5 {
		if i >= len(data) {
			return nil, fmt.Errorf("prelogin: option list has no terminator")
		}
		tok := data[i]
		if tok == preloginTerminator {
			return opts, nil
		}
		if i+5 > len(data) {
			return nil, fmt.Errorf("prelogin: option %#x header truncated", tok)
		}
		off := int(binary.BigEndian.Uint16(data[i+1:]))
		n := int(binary.BigEndian.Uint16(data[i+3:]))
		if off+n > len(data) {
			return nil, fmt.Errorf("prelogin: option %#x data (offset %d, length %d) beyond the %d-byte message", tok, off, n, len(data))
		}
		opts[tok] = data[off : off+n]
	}
}

// negotiateEncryption answers the client's ENCRYPTION option as SQL Server
// does when it has a certificate: off stays off (only LOGIN7 is encrypted),
// on or required turns encryption on, not-supported gets no TLS at all
// unless the server forces encryption.
func negotiateEncryption(client byte, force bool) byte {
	switch client {
	case encryptOff:
		if force {
			return encryptReq
		}
		return encryptOff
	case encryptNotSup:
		if force {
			return encryptReq
		}
		return encryptNotSup
	default:
		return encryptOn
	}
}

// The version reported in PRELOGIN and LOGINACK: SQL Server 2022 (16.0.4218).
const (
	versionMajor = 16
	versionMinor = 0
	versionBuild = 4218
)

// buildPreloginResponse encodes the server's PRELOGIN answer.
func buildPreloginResponse(encrypt byte, fedAuthAsked bool) []byte {
	type opt struct {
		tok  byte
		data []byte
	}
	opts := []opt{
		{preloginVersion, []byte{versionMajor, versionMinor, versionBuild >> 8, versionBuild & 0xFF, 0, 0}},
		{preloginEncryption, []byte{encrypt}},
		{preloginInstOpt, []byte{0}},
		{preloginThreadID, nil},
		{preloginMARS, []byte{0}},
	}
	if fedAuthAsked {
		opts = append(opts, opt{preloginFedAuth, []byte{0}})
	}
	off := len(opts)*5 + 1
	var w wbuf
	for _, o := range opts {
		w.u8(o.tok)
		w.u16BE(uint16(off))
		w.u16BE(uint16(len(o.data)))
		off += len(o.data)
	}
	w.u8(preloginTerminator)
	for _, o := range opts {
		w.raw(o.data)
	}
	return w.b
}

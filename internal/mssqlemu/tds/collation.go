package tds

import (
	"encoding/binary"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// DefaultCollation is SQL Server's default server collation.
func DefaultCollation() sqltypes.Collation {
	return sqltypes.Collation{Name: "SQL_Latin1_General_CP1_CI_AS", LCID: 0x0409, SortID: 52, CodePage: 1252}
}

// Collation flag bits inside the 32-bit LCID/flags/version word (MS-TDS 2.2.5.1.2).
const (
	collIgnoreCase   = 1 << 20
	collIgnoreAccent = 1 << 21
	collIgnoreWidth  = 1 << 22
	collIgnoreKana   = 1 << 23
	collBinary       = 1 << 24
	collBinary2      = 1 << 25
	collUTF8         = 1 << 26
)

func isZeroCollation(c sqltypes.Collation) bool {
	return c.Name == "" && c.LCID == 0 && c.SortID == 0 && c.CodePage == 0
}

// collationBytes encodes a collation as the 5 bytes TDS carries. Flags come
// from the LCID when it already holds them, else from the collation name.
func collationBytes(c sqltypes.Collation) [5]byte {
	if isZeroCollation(c) {
		c = DefaultCollation()
	}
	info := c.LCID
	if info&^0xFFFFF == 0 {
		info |= collationFlagsFromName(c.Name)
	}
	var b [5]byte
	binary.LittleEndian.PutUint32(b[:4], info)
	b[4] = c.SortID
	return b
}

func collationFlagsFromName(name string) uint32 {
	n := strings.ToUpper(name) + "_"
	var f uint32
	switch {
	case strings.Contains(n, "_BIN2_"):
		f |= collBinary2
	case strings.Contains(n, "_BIN_"):
		f |= collBinary
	default:
		if strings.Contains(n, "_CI_") {
			f |= collIgnoreCase
		}
		if strings.Contains(n, "_AI_") {
			f |= collIgnoreAccent
		}
		if !strings.Contains(n, "_WS_") {
			f |= collIgnoreWidth
		}
		if !strings.Contains(n, "_KS_") {
			f |= collIgnoreKana
		}
	}
	if strings.Contains(n, "_UTF8_") {
		f |= collUTF8
	}
	switch {
	case strings.Contains(n, "_100_"):
		f |= 1 << 28
	case strings.Contains(n, "_140_"):
		f |= 2 << 28
	case strings.Contains(n, "_160_"):
		f |= 3 << 28
	}
	return f
}

// collationFromBytes decodes 5 collation bytes sent by a client. A zero
// collation means the server default, as SQL Server reads it.
func collationFromBytes(b []byte, def sqltypes.Collation) sqltypes.Collation {
	if len(b) < 5 {
		return def
	}
	info := binary.LittleEndian.Uint32(b)
	sortID := b[4]
	if info == 0 && sortID == 0 {
		return def
	}
	c := sqltypes.Collation{LCID: info, SortID: sortID}
	c.CodePage = codePageFor(info, sortID)
	if c.LCID&0xFFFFF == def.LCID&0xFFFFF && sortID == def.SortID {
		c.Name = def.Name
	}
	return c
}

// codePageFor finds the code page of a collation from its sort id or locale.
func codePageFor(info uint32, sortID byte) int {
	if info&collUTF8 != 0 {
		return 65001
	}
	if sortID != 0 {
		switch {
		case sortID >= 30 && sortID <= 34:
			return 437
		case sortID >= 40 && sortID <= 61:
			if sortID < 50 {
				return 850
			}
			return 1252
		case sortID >= 80 && sortID <= 96:
			return 1250
		case sortID >= 104 && sortID <= 108:
			return 1251
		case sortID >= 112 && sortID <= 124:
			return 1253
		case sortID >= 128 && sortID <= 130:
			return 1254
		case sortID >= 136 && sortID <= 138:
			return 1255
		case sortID >= 144 && sortID <= 146:
			return 1256
		case sortID >= 152 && sortID <= 160:
			return 1257
		}
		return 1252
	}
	switch lcid := info & 0xFFFF; lcid {
	case 0x0411:
		return 932
	case 0x0804, 0x1004:
		return 936
	case 0x0412:
		return 949
	case 0x0404, 0x0c04, 0x1404:
		return 950
	case 0x041e:
		return 874
	case 0x0419, 0x0422, 0x0423, 0x0402, 0x042f, 0x0c1a, 0x0444, 0x0440, 0x0843:
		return 1251
	case 0x0405, 0x0415, 0x040e, 0x0418, 0x041a, 0x041b, 0x0424, 0x041c, 0x081a, 0x141a:
		return 1250
	case 0x0408:
		return 1253
	case 0x041f, 0x042c:
		return 1254
	case 0x040d:
		return 1255
	case 0x0401, 0x0429, 0x0420:
		return 1256
	case 0x0425, 0x0426, 0x0427:
		return 1257
	case 0x042a:
		return 1258
	}
	return 1252
}

// collationCodePage is the code page of non-Unicode data in collation c.
func collationCodePage(c sqltypes.Collation) int {
	if isZeroCollation(c) {
		return 1252
	}
	if c.CodePage != 0 {
		return c.CodePage
	}
	return codePageFor(c.LCID|collationFlagsFromName(c.Name), c.SortID)
}

// encodeCodePage converts UTF-8 text to the code page; characters the code
// page cannot represent become '?', as SQL Server converts them.
func encodeCodePage(s string, cp int) ([]byte, error) { return sqltypes.EncodeCodePage(s, cp) }

// decodeCodePage converts code-page bytes to UTF-8.
func decodeCodePage(b []byte, cp int) (string, error) { return sqltypes.DecodeCodePage(b, cp) }

package sqltypes

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// CodePageEncoding returns the encoding of a Windows code page, as SQL
// Server stores non-Unicode text in it; nil means UTF-8 (code page 65001).
func CodePageEncoding(cp int) (encoding.Encoding, error) {
	switch cp {
	case 0, 1252:
		return charmap.Windows1252, nil
	case 65001:
		return nil, nil
	case 437:
		return charmap.CodePage437, nil
	case 850:
		return charmap.CodePage850, nil
	case 874:
		return charmap.Windows874, nil
	case 1250:
		return charmap.Windows1250, nil
	case 1251:
		return charmap.Windows1251, nil
	case 1253:
		return charmap.Windows1253, nil
	case 1254:
		return charmap.Windows1254, nil
	case 1255:
		return charmap.Windows1255, nil
	case 1256:
		return charmap.Windows1256, nil
	case 1257:
		return charmap.Windows1257, nil
	case 1258:
		return charmap.Windows1258, nil
	case 932:
		return japanese.ShiftJIS, nil
	case 936:
		return simplifiedchinese.GBK, nil
	case 949:
		return korean.EUCKR, nil
	case 950:
		return traditionalchinese.Big5, nil
	}
	return nil, fmt.Errorf("code page %d is not supported", cp)
}

// EncodeCodePage converts UTF-8 text to code page cp; characters the code
// page cannot represent become '?', as SQL Server converts them.
func EncodeCodePage(s string, cp int) ([]byte, error) {
	enc, err := CodePageEncoding(cp)
	if err != nil {
		return nil, err
	}
	if enc == nil {
		return []byte(s), nil
	}
	if cm, ok := enc.(*charmap.Charmap); ok {
		out := make([]byte, 0, len(s))
		for _, r := range s {
			b, ok := cm.EncodeRune(r)
			if !ok {
				b = '?'
			}
			out = append(out, b)
		}
		return out, nil
	}
	if out, err := enc.NewEncoder().Bytes([]byte(s)); err == nil {
		return out, nil
	}
	out := make([]byte, 0, len(s))
	e := enc.NewEncoder()
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		n := utf8.EncodeRune(buf[:], r)
		b, err := e.Bytes(buf[:n])
		if err != nil {
			b = []byte{'?'}
		}
		out = append(out, b...)
	}
	return out, nil
}

// DecodeCodePage converts code-page bytes to UTF-8.
func DecodeCodePage(b []byte, cp int) (string, error) {
	enc, err := CodePageEncoding(cp)
	if err != nil {
		return "", err
	}
	if enc == nil {
		return string(b), nil
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("decode code page %d: %w", cp, err)
	}
	return string(out), nil
}

// codePage is c's code page, 1252 when unset.
func (c Collation) codePage() int {
	if c.CodePage == 0 {
		return 1252
	}
	return c.CodePage
}

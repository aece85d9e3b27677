package avro

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonObj is a JSON object whose keys keep their order, so that a generated
// schema is byte-identical every time (Go maps have no order).
type jsonObj []jsonKV

type jsonKV struct {
	key string
	val any
}

// rawJSON is JSON text inserted as is (it must already be compact).
type rawJSON string

// writeJSON writes v compactly. It knows the few types schemas are built from.
func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case jsonObj:
		b.WriteByte('{')
		for i, kv := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, kv.key)
			b.WriteByte(':')
			writeJSON(b, kv.val)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, e)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case rawJSON:
		b.WriteString(string(v))
	default:
		// Only reachable through a programming error in this package.
		writeJSONString(b, fmt.Sprintf("unsupported %T", v))
	}
}

// writeJSONString writes s as a JSON string, escaping only what JSON
// requires, so non-ASCII names stay readable.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

package tsql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tWord            // unquoted identifier or keyword
	tQuoted          // [name] or "name"
	tVar             // @name
	tGlobal          // @@name
	tString          // 'text'
	tNString         // N'text'
	tBinary          // 0x...
	tNumber          // 1, 1.5, 1e3, $1.5
	tOp              // punctuation and operators
)

// maxIdentLen is SQL Server's limit on identifier length (sysname).
const maxIdentLen = 128

// token is one lexical token. Strings point into the batch text except
// where unescaping or upper-casing needed a copy.
type token struct {
	kind     tokKind
	reserved bool       // a tWord that is a T-SQL reserved keyword
	num      NumberKind // for tNumber
	val      string     // identifier name, string contents, number text, operator
	upper    string     // tWord: upper-case val
	at       tokPos
}

// tokPos is a compact Pos; tokens are many, so they stay small.
type tokPos struct{ off, line, col int32 }

func packPos(p Pos) tokPos {
	return tokPos{off: int32(p.Offset), line: int32(p.Line), col: int32(p.Col)}
}

func (t *token) pos() Pos {
	return Pos{Line: int(t.at.line), Col: int(t.at.col), Offset: int(t.at.off)}
}

// near is the text SQL Server quotes in "Incorrect syntax near '...'".
func (t *token) near() string {
	switch t.kind {
	case tNumber:
		if t.num == MoneyNumber {
			return "$" + t.val
		}
	}
	return t.val
}

// binValue decodes a tBinary token's 0x digits; an odd count gets a
// leading zero, as SQL Server reads 0xABC as 0x0ABC.
func (t *token) binValue() []byte {
	digits := t.val[2:]
	out := make([]byte, (len(digits)+1)/2)
	j := len(out) - 1
	for i := len(digits); i > 0; i -= 2 {
		lo := unhex(digits[i-1])
		var hi byte
		if i >= 2 {
			hi = unhex(digits[i-2])
		}
		out[j] = hi<<4 | lo
		j--
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// lexer turns a batch into tokens.
type lexer struct {
	src  string
	off  int
	line int
	bol  int // offset of the current line's first byte
	toks []token
}

// lex tokenizes the whole batch. The last token is always tEOF.
func lex(src string) ([]token, error) {
	lx := &lexer{src: src, line: 1, toks: make([]token, 0, len(src)/6+16)}
	for {
		if err := lx.skipSpace(); err != nil {
			return nil, err
		}
		if lx.off >= len(lx.src) {
			lx.toks = append(lx.toks, token{kind: tEOF, at: packPos(lx.pos())})
			return lx.toks, nil
		}
		if err := lx.scan(); err != nil {
			return nil, err
		}
	}
}

func (lx *lexer) pos() Pos {
	return Pos{Line: lx.line, Col: lx.off - lx.bol + 1, Offset: lx.off}
}

// advance moves over n bytes, counting lines.
func (lx *lexer) advance(n int) {
	end := lx.off + n
	for ; lx.off < end; lx.off++ {
		if lx.src[lx.off] == '\n' {
			lx.line++
			lx.bol = lx.off + 1
		}
	}
}

// skipSpace skips white space and comments; /* */ comments nest.
func (lx *lexer) skipSpace() error {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			lx.advance(1)
		case c == '-' && strings.HasPrefix(lx.src[lx.off:], "--"):
			nl := strings.IndexByte(lx.src[lx.off:], '\n')
			if nl < 0 {
				lx.off = len(lx.src)
			} else {
				lx.advance(nl + 1)
			}
		case c == '/' && strings.HasPrefix(lx.src[lx.off:], "/*"):
			if err := lx.skipBlockComment(); err != nil {
				return err
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(lx.src[lx.off:])
			if !unicode.IsSpace(r) {
				return nil
			}
			lx.advance(n)
		default:
			return nil
		}
	}
	return nil
}

func (lx *lexer) skipBlockComment() error {
	depth := 0
	for lx.off < len(lx.src) {
		switch {
		case strings.HasPrefix(lx.src[lx.off:], "/*"):
			depth++
			lx.advance(2)
		case strings.HasPrefix(lx.src[lx.off:], "*/"):
			depth--
			lx.advance(2)
			if depth == 0 {
				return nil
			}
		default:
			lx.advance(1)
		}
	}
	return newError(MsgMissingEndComment, lx.pos(), "Missing end comment mark '*/'.")
}

func isIdentStart(r rune) bool {
	return r == '_' || r == '#' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return r == '_' || r == '#' || r == '@' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// identEnd returns the offset just past the identifier characters starting at off.
func (lx *lexer) identEnd(off int) int {
	for off < len(lx.src) {
		c := lx.src[off]
		if c < utf8.RuneSelf {
			if c == '_' || c == '#' || c == '@' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
				off++
				continue
			}
			return off
		}
		r, n := utf8.DecodeRuneInString(lx.src[off:])
		if !isIdentPart(r) {
			return off
		}
		off += n
	}
	return off
}

// scan reads one token at lx.off.
func (lx *lexer) scan() error {
	p := lx.pos()
	s := lx.src[lx.off:]
	c := s[0]
	switch {
	case (c == 'N' || c == 'n') && len(s) > 1 && s[1] == '\'':
		lx.advance(1)
		return lx.scanString(p, tNString)
	case c == '\'':
		return lx.scanString(p, tString)
	case c == '[':
		return lx.scanDelimited(p, ']')
	case c == '"':
		return lx.scanDelimited(p, '"')
	case c == '0' && len(s) > 1 && (s[1] == 'x' || s[1] == 'X'):
		return lx.scanBinary(p)
	case c >= '0' && c <= '9', c == '.' && len(s) > 1 && s[1] >= '0' && s[1] <= '9':
		return lx.scanNumber(p, 0)
	case c == '$' && len(s) > 1 && (s[1] >= '0' && s[1] <= '9' || s[1] == '.'):
		return lx.scanNumber(p, 1)
	case c == '@':
		kind := tVar
		start := 1
		if len(s) > 1 && s[1] == '@' {
			kind, start = tGlobal, 2
		}
		end := lx.identEnd(lx.off+start) - lx.off
		name := s[:end]
		if kind == tGlobal {
			name = strings.ToUpper(name)
		}
		if err := checkIdentLen(p, s[:end]); err != nil {
			return err
		}
		lx.toks = append(lx.toks, token{kind: kind, val: name, at: packPos(p)})
		lx.advance(end)
		return nil
	}
	if c >= utf8.RuneSelf || isIdentStart(rune(c)) {
		r, _ := utf8.DecodeRuneInString(s)
		if isIdentStart(r) {
			end := lx.identEnd(lx.off) - lx.off
			word := s[:end]
			if err := checkIdentLen(p, word); err != nil {
				return err
			}
			up := upperASCII(word)
			lx.toks = append(lx.toks, token{kind: tWord, val: word, upper: up, reserved: isReserved(up), at: packPos(p)})
			lx.advance(end)
			return nil
		}
	}
	return lx.scanOp(p)
}

func checkIdentLen(p Pos, word string) error {
	if utf8.RuneCountInString(word) > maxIdentLen {
		return newError(MsgIdentifierTooLong, p,
			"The identifier that starts with '"+truncRunes(word, maxIdentLen)+"' is too long. Maximum length is 128.")
	}
	return nil
}

func truncRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// upperASCII upper-cases s, returning s itself when nothing changes.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToUpper(s)
		}
		if c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// scanString reads a quoted string starting at the opening quote.
func (lx *lexer) scanString(p Pos, kind tokKind) error {
	s := lx.src[lx.off+1:]
	var b strings.Builder
	escaped := false
	i := 0
	for {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			text := s
			if escaped {
				text = strings.ReplaceAll(s, "''", "'")
			}
			lx.advance(len(lx.src) - lx.off)
			return unclosedQuote(lx.pos(), text)
		}
		i += j
		if i+1 < len(s) && s[i+1] == '\'' {
			if !escaped {
				escaped = true
				b.Grow(len(s))
			}
			i += 2
			continue
		}
		break
	}
	val := s[:i]
	if escaped {
		b.WriteString(strings.ReplaceAll(val, "''", "'"))
		val = b.String()
	}
	lx.toks = append(lx.toks, token{kind: kind, val: val, at: packPos(p)})
	lx.advance(i + 2)
	return nil
}

// scanDelimited reads [name] (where ]] escapes ]) or "name" (where "" escapes ").
func (lx *lexer) scanDelimited(p Pos, closer byte) error {
	s := lx.src[lx.off+1:]
	i := 0
	escaped := false
	for {
		j := strings.IndexByte(s[i:], closer)
		if j < 0 {
			lx.advance(len(lx.src) - lx.off)
			return unclosedQuote(lx.pos(), s)
		}
		i += j
		if i+1 < len(s) && s[i+1] == closer {
			escaped = true
			i += 2
			continue
		}
		break
	}
	val := s[:i]
	if escaped {
		val = strings.ReplaceAll(val, string([]byte{closer, closer}), string([]byte{closer}))
	}
	if err := checkIdentLen(p, val); err != nil {
		return err
	}
	if val == "" {
		e := newError(MsgEmptyName, p, "An object or column name is missing or empty. For SELECT INTO statements, verify each column has a name. "+
			"For other statements, look for empty alias names. Aliases defined as \"\" or [] are not allowed. Change the alias to a valid name.")
		e.State = 4
		return e
	}
	lx.toks = append(lx.toks, token{kind: tQuoted, val: val, at: packPos(p)})
	lx.advance(i + 2)
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanBinary reads 0x followed by hex digits.
func (lx *lexer) scanBinary(p Pos) error {
	s := lx.src[lx.off:]
	i := 2
	for i < len(s) && isHex(s[i]) {
		i++
	}
	lx.toks = append(lx.toks, token{kind: tBinary, val: s[:i], at: packPos(p)})
	lx.advance(i)
	return nil
}

// scanNumber reads an integer, decimal, float (with exponent) or, after a
// '$' (skip 1), a money literal.
func (lx *lexer) scanNumber(p Pos, skip int) error {
	s := lx.src[lx.off:]
	i := skip
	kind := IntNumber
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		kind = DecimalNumber
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if skip == 0 && i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		kind = FloatNumber
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		digits := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == digits { // "1e" is 1e0 to SQL Server
			text := s[:i] + "0"
			lx.toks = append(lx.toks, token{kind: tNumber, num: kind, val: text, at: packPos(p)})
			lx.advance(i)
			return nil
		}
	}
	if skip == 1 {
		kind = MoneyNumber
	}
	lx.toks = append(lx.toks, token{kind: tNumber, num: kind, val: s[skip:i], at: packPos(p)})
	lx.advance(i)
	return nil
}

// twoCharOps are the operators of two characters.
func isTwoCharOp(s string) bool {
	switch s {
	case "<>", "!=", "<=", ">=", "!<", "!>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=":
		return true
	}
	return false
}

// scanOp reads punctuation. Any other character becomes a one-character
// token that the parser then refuses with "Incorrect syntax near".
func (lx *lexer) scanOp(p Pos) error {
	s := lx.src[lx.off:]
	if len(s) >= 2 && isTwoCharOp(s[:2]) {
		lx.toks = append(lx.toks, token{kind: tOp, val: s[:2], at: packPos(p)})
		lx.advance(2)
		return nil
	}
	_, n := utf8.DecodeRuneInString(s)
	lx.toks = append(lx.toks, token{kind: tOp, val: s[:n], at: packPos(p)})
	lx.advance(n)
	return nil
}

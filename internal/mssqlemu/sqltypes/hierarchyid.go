package sqltypes

// hierarchyid's logical form (/1/-2.18/) and its binary form, the one SQL
// Server stores, sends over TDS and gives CAST(... AS varbinary), as
// [MS-SSCLRT]'s HIERARCHYID structure describes it
// (https://learn.microsoft.com/en-us/openspecs/sql_server_protocols/ms-ssclrt/):
// each label of a level is a bit field L (which range the integer is in),
// O (its offset in the range, with fixed anti-ambiguity bits) and F (1: the
// level ends here; 0: a "fake" component, the integer minus one is followed
// by a dot), and the whole is padded with zero bits (W) to a byte. The
// encoding keeps depth-first order as byte order, so the emulator compares
// hierarchyid values as bytes, which is what SQL Server's IsByteOrdered CLR
// type does.

import (
	"strconv"
	"strings"
)

// HierarchyPath is a hierarchyid in logical form: one slice of integers
// per level (several when the label is dotted, as in /1.5/). The root is
// the empty path.
type HierarchyPath [][]int64

// hidPattern is one row of [MS-SSCLRT]'s table of label ranges (HIERARCHYID structure): the bits of
// L followed by those of O, 'x' marking the offset's bits (most significant
// first) and '0'/'1' the fixed ones; F follows.
type hidPattern struct {
	min, max int64
	bits     string
}

// hidPatterns are the label ranges, each L prefix distinct so that a
// reader can tell them apart bit by bit.
var hidPatterns = []hidPattern{
	{0, 3, "01xx"},
	{4, 7, "100xx"},
	{8, 15, "101xxx"},
	{16, 79, "110xx0x1xxx"},
	{80, 1103, "1110xxx0xxx0x1xxx"},
	{1104, 5199, "11110xxxxx0xxx0x1xxx"},
	{5200, 4294972495, "111110xxxxxxxxxxxxxxxxxxx0xxxxxx0xxx0x1xxx"},
	{4294972496, 281479271683151, "111111xxxxxxxxxxxxxx0xxxxxxxxxxxxxxxxxxxxx0xxxxxx0xxx0x1xxx"},
	{-8, -1, "00111xxx"},
	{-72, -9, "0010xx0x1xxx"},
	{-4168, -73, "000110xxxxx0xxx0x1xxx"},
	{-4294971464, -4169, "000101xxxxxxxxxxxxxxxxxxx0xxxxxx0xxx0x1xxx"},
	{-281479271682120, -4294971465, "000100xxxxxxxxxxxxxx0xxxxxxxxxxxxxxxxxxxxx0xxxxxx0xxx0x1xxx"},
}

// prefix is the pattern's L field: its bits up to the first offset bit.
func (p hidPattern) prefix() string { return p.bits[:strings.IndexByte(p.bits, 'x')] }

// errHierarchyParse is the error SQL Server's SqlHierarchyId.Parse raises
// (Msg 6522 wrapping System.FormatException 24001).
func errHierarchyParse(s string) *Error {
	return errf(6522, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
		"System.FormatException: 24001: SqlHierarchyId.Parse failed because the input string '%s' is not a valid string representation of a SqlHierarchyId node.", s)
}

// errHierarchyBinary is the error for bytes that are not a hierarchyid
// (Msg 6522 wrapping HierarchyIdException 24000).
func errHierarchyBinary() *Error {
	return errf(6522, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
		"Microsoft.SqlServer.Types.HierarchyIdException: 24000: SqlHierarchyId operation failed because HierarchyId object was constructed from an invalid binary string.")
}

// ParseHierarchyID reads hierarchyid's logical form: "/" for the root, else
// levels each ended by "/", a level being integers separated by dots.
func ParseHierarchyID(s string) (HierarchyPath, error) {
	t := strings.TrimSpace(s)
	if t == "" || t[0] != '/' || t[len(t)-1] != '/' {
		return nil, errHierarchyParse(s)
	}
	path := HierarchyPath{}
	if t == "/" {
		return path, nil
	}
	for _, level := range strings.Split(t[1:len(t)-1], "/") {
		var labels []int64
		for _, c := range strings.Split(level, ".") {
			n, err := strconv.ParseInt(c, 10, 64)
			if err != nil || patternFor(n) == nil {
				return nil, errHierarchyParse(s)
			}
			labels = append(labels, n)
		}
		path = append(path, labels)
	}
	if _, err := path.Encode(); err != nil {
		return nil, errHierarchyParse(s)
	}
	return path, nil
}

func patternFor(n int64) *hidPattern {
	for i := range hidPatterns {
		if n >= hidPatterns[i].min && n <= hidPatterns[i].max {
			return &hidPatterns[i]
		}
	}
	return nil
}

// String is the logical form, as hierarchyid's ToString() gives it.
func (h HierarchyPath) String() string {
	var b strings.Builder
	b.WriteByte('/')
	for _, level := range h {
		for i, n := range level {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteByte('/')
	}
	return b.String()
}

// bitWriter appends bits most significant first.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) bit(b byte) {
	if w.n%8 == 0 {
		w.buf = append(w.buf, 0)
	}
	if b != 0 {
		w.buf[w.n/8] |= 0x80 >> (w.n % 8)
	}
	w.n++
}

// Encode gives the binary form. A hierarchyid holds at most 892 bytes.
func (h HierarchyPath) Encode() ([]byte, error) {
	var w bitWriter
	for _, level := range h {
		for i, n := range level {
			last := i == len(level)-1
			if !last {
				n++ // a fake component stores the integer plus one
			}
			p := patternFor(n)
			if p == nil {
				return nil, errHierarchyParse(h.String())
			}
			off := uint64(n - p.min)
			width := strings.Count(p.bits, "x")
			for _, c := range []byte(p.bits) {
				switch c {
				case 'x':
					width--
					w.bit(byte(off >> uint(width) & 1))
				case '1':
					w.bit(1)
				default:
					w.bit(0)
				}
			}
			if last {
				w.bit(1)
			} else {
				w.bit(0)
			}
		}
	}
	if len(w.buf) > 892 {
		return nil, errHierarchyParse(h.String())
	}
	if w.buf == nil {
		return []byte{}, nil
	}
	return w.buf, nil
}

// DecodeHierarchyID reads the binary form; bytes that are not one fail
// with SQL Server's HierarchyIdException 24000.
func DecodeHierarchyID(b []byte) (HierarchyPath, error) {
	total := len(b) * 8
	at := 0
	bit := func(i int) byte { return b[i/8] >> (7 - i%8) & 1 }
	rest := func() bool { // whether non-padding bits remain
		if total-at >= 8 {
			return true
		}
		for i := at; i < total; i++ {
			if bit(i) != 0 {
				return true
			}
		}
		return false
	}
	path := HierarchyPath{}
	var level []int64
	for rest() {
		var p *hidPattern
		for i := range hidPatterns {
			pre := hidPatterns[i].prefix()
			if at+len(hidPatterns[i].bits)+1 > total {
				continue
			}
			ok := true
			for j := 0; j < len(pre) && ok; j++ {
				ok = bit(at+j) == pre[j]-'0'
			}
			if ok {
				p = &hidPatterns[i]
				break
			}
		}
		if p == nil {
			return nil, errHierarchyBinary()
		}
		var off uint64
		for j, c := range []byte(p.bits) {
			v := bit(at + j)
			switch c {
			case 'x':
				off = off<<1 | uint64(v)
			default:
				if v != c-'0' {
					return nil, errHierarchyBinary()
				}
			}
		}
		at += len(p.bits)
		n := p.min + int64(off)
		if n > p.max {
			return nil, errHierarchyBinary()
		}
		real := bit(at) == 1
		at++
		if !real {
			n--
		}
		level = append(level, n)
		if real {
			path = append(path, level)
			level = nil
		}
	}
	if level != nil {
		return nil, errHierarchyBinary() // ends inside a dotted label
	}
	return path, nil
}

// HierarchyIDFromString is CAST(s AS hierarchyid): the binary form of the
// logical form s.
func HierarchyIDFromString(s string) ([]byte, error) {
	h, err := ParseHierarchyID(s)
	if err != nil {
		return nil, err
	}
	return h.Encode()
}

// HierarchyIDString is CAST(b AS nvarchar) of a hierarchyid: its logical form.
func HierarchyIDString(b []byte) (string, error) {
	h, err := DecodeHierarchyID(b)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

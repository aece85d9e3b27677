package sqltypes

import "fmt"

// Date and time styles of CONVERT, as Microsoft's table gives them:
// https://learn.microsoft.com/en-us/sql/t-sql/functions/cast-and-convert-transact-sql#date-and-time-styles
//
// A style has a date part, a time part or both. A source type renders
// the parts it has: a date shows only the date of a date-and-time style
// and a time only its time (style 121, "the default for time, date,
// datetime2, and datetimeoffset", gives what CAST gives); a style whose
// only part the source lacks fails with Msg 9809. A datetimeoffset keeps
// its offset in the date-and-time styles; 127 shows it in UTC with Z.
// Fractions have the source's scale (3 for datetime, from its 1/300 s
// ticks; zeros for smalldatetime). The Hijri styles 130 and 131 are not
// emulated (Msg 281).

// dtParts are the fields of a value, ready to print.
type dtParts struct {
	y, mo, d, h, mi, s int
	frac               int64 // 100 ns units
	id                 TypeID
	scale              uint8
	ms                 string // datetime milliseconds, from its ticks
	offset             string // +hh:mm of a datetimeoffset
}

// fraction is the fractional seconds after sep, with the source's digits.
func (p dtParts) fraction(sep string) string {
	switch p.id {
	case DateTime:
		return sep + p.ms
	case SmallDateTime:
		return sep + "000"
	}
	if p.scale == 0 {
		return ""
	}
	return sep + fmt.Sprintf("%07d", p.frac)[:p.scale]
}

// iso8601Fraction is the fraction of styles 126 and 127, which leave it
// out when it is zero.
func (p dtParts) iso8601Fraction() string {
	switch p.id {
	case DateTime:
		if p.ms == "000" {
			return ""
		}
	case SmallDateTime:
		return ""
	default:
		if p.frac == 0 {
			return ""
		}
	}
	return p.fraction(".")
}

// styleParts returns style's date part, its time part (either may be
// empty) and what joins them; ok is false for an unknown style.
func styleParts(p dtParts, style int) (date, tod, sep string, ok bool) {
	mon := USEnglish.ShortMonths[p.mo-1]
	yy := fmt.Sprintf("%02d", p.y%100)
	h12, ampm := p.h%12, "AM"
	if h12 == 0 {
		h12 = 12
	}
	if p.h >= 12 {
		ampm = "PM"
	}
	iso := fmt.Sprintf("%04d-%02d-%02d", p.y, p.mo, p.d)
	hms := fmt.Sprintf("%02d:%02d:%02d", p.h, p.mi, p.s)
	sep = " "
	switch style {
	case 0, 100:
		date, tod = fmt.Sprintf("%s %2d %04d", mon, p.d, p.y), fmt.Sprintf("%2d:%02d%s", h12, p.mi, ampm)
	case 9, 109:
		date, tod = fmt.Sprintf("%s %2d %04d", mon, p.d, p.y), fmt.Sprintf("%2d:%02d:%02d%s%s", h12, p.mi, p.s, p.fraction(":"), ampm)
	case 13, 113:
		date, tod = fmt.Sprintf("%02d %s %04d", p.d, mon, p.y), hms+p.fraction(":")
	case 20, 120:
		date, tod = iso, hms
	case 21, 25, 121:
		date, tod = iso, hms+p.fraction(".")
	case 22:
		date, tod = fmt.Sprintf("%02d/%02d/%s", p.mo, p.d, yy), fmt.Sprintf("%2d:%02d:%02d %s", h12, p.mi, p.s, ampm)
	case 126, 127:
		date, tod, sep = iso, hms+p.iso8601Fraction(), "T"
	case 8, 24, 108:
		tod = hms
	case 14, 114:
		tod = hms + p.fraction(":")
	case 23:
		date = iso
	case 1:
		date = fmt.Sprintf("%02d/%02d/%s", p.mo, p.d, yy)
	case 101:
		date = fmt.Sprintf("%02d/%02d/%04d", p.mo, p.d, p.y)
	case 2:
		date = fmt.Sprintf("%s.%02d.%02d", yy, p.mo, p.d)
	case 102:
		date = fmt.Sprintf("%04d.%02d.%02d", p.y, p.mo, p.d)
	case 3:
		date = fmt.Sprintf("%02d/%02d/%s", p.d, p.mo, yy)
	case 103:
		date = fmt.Sprintf("%02d/%02d/%04d", p.d, p.mo, p.y)
	case 4:
		date = fmt.Sprintf("%02d.%02d.%s", p.d, p.mo, yy)
	case 104:
		date = fmt.Sprintf("%02d.%02d.%04d", p.d, p.mo, p.y)
	case 5:
		date = fmt.Sprintf("%02d-%02d-%s", p.d, p.mo, yy)
	case 105:
		date = fmt.Sprintf("%02d-%02d-%04d", p.d, p.mo, p.y)
	case 6:
		date = fmt.Sprintf("%02d %s %s", p.d, mon, yy)
	case 106:
		date = fmt.Sprintf("%02d %s %04d", p.d, mon, p.y)
	case 7:
		date = fmt.Sprintf("%s %02d, %s", mon, p.d, yy)
	case 107:
		date = fmt.Sprintf("%s %02d, %04d", mon, p.d, p.y)
	case 10:
		date = fmt.Sprintf("%02d-%02d-%s", p.mo, p.d, yy)
	case 110:
		date = fmt.Sprintf("%02d-%02d-%04d", p.mo, p.d, p.y)
	case 11:
		date = fmt.Sprintf("%s/%02d/%02d", yy, p.mo, p.d)
	case 111:
		date = fmt.Sprintf("%04d/%02d/%02d", p.y, p.mo, p.d)
	case 12:
		date = fmt.Sprintf("%s%02d%02d", yy, p.mo, p.d)
	case 112:
		date = fmt.Sprintf("%04d%02d%02d", p.y, p.mo, p.d)
	default:
		return "", "", "", false
	}
	return date, tod, sep, true
}

// formatCivil renders c as CONVERT(varchar, value, style) does; style -1
// means CAST (no style). scale is the fractional digits of the source type.
func formatCivil(c civil, id TypeID, scale uint8, style int) (string, error) {
	if style == -1 {
		switch id {
		case Date, Time, DateTime2, DateTimeOffset:
			style = 121
		default:
			style = 0
		}
	}
	if style == 127 && id == DateTimeOffset {
		u := c
		u.ticks -= int64(c.offset) * 60 * ticksPerSecond
		u.normalize()
		u.hasOff = false
		out, err := formatCivil(u, DateTime2, scale, 126)
		return out + "Z", err
	}
	p := dtParts{id: id, scale: scale}
	p.y, p.mo, p.d = c.ymd()
	p.h, p.mi, p.s, p.frac = c.hms()
	if id == DateTime {
		dt, _ := fromCivil(c, Type{ID: DateTime})
		t300 := dt.(DateTimeValue).Ticks % (300 * 86400)
		p.ms = fmt.Sprintf("%03d", (int64(t300%300)*1000+150)/300)
	}
	if id == DateTimeOffset {
		o, sign := c.offset, "+"
		if o < 0 {
			sign, o = "-", -o
		}
		p.offset = fmt.Sprintf("%s%02d:%02d", sign, o/60, o%60)
	}
	date, tod, sep, ok := styleParts(p, style)
	if !ok {
		return "", &Error{Number: 281, State: 1, Text: fmt.Sprintf("%d is not a valid style number when converting from %s to a character string.", style, id.Name())}
	}
	switch id {
	case Date:
		tod = ""
	case Time:
		date = ""
	}
	if date == "" && tod == "" {
		return "", &Error{Number: 9809, State: 1, Text: fmt.Sprintf("The style %d is not supported for conversions from %s to varchar.", style, id.Name())}
	}
	switch {
	case date == "":
		return tod, nil
	case tod == "":
		return date, nil
	}
	out := date + sep + tod
	if id == DateTimeOffset {
		if sep != "T" {
			out += " "
		}
		out += p.offset
	}
	return out, nil
}

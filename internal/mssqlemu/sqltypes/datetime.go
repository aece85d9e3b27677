package sqltypes

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Days from 0001-01-01 to 1900-01-01, the datetime and smalldatetime epoch.
const epoch1900 = 693595

const (
	ticksPerSecond = 10_000_000
	ticksPerDay    = 86400 * ticksPerSecond
)

// civil is the common form of every date/time value during conversion:
// local date and time of day, and the offset when there is one.
type civil struct {
	days   int64 // since 0001-01-01
	ticks  int64 // 100 ns since midnight
	offset int   // minutes east of UTC
	hasOff bool
}

// civilFromDate counts days from 0001-01-01 in the proleptic Gregorian
// calendar (Howard Hinnant's days_from_civil, shifted to year 1).
func civilFromDate(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 306
}

func (c civil) ymd() (int, int, int) {
	t := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(c.days))
	return t.Year(), int(t.Month()), t.Day()
}

func (c civil) hms() (h, m, s int, frac int64) {
	sec := c.ticks / ticksPerSecond
	return int(sec / 3600), int(sec / 60 % 60), int(sec % 60), c.ticks % ticksPerSecond
}

// Time converts to a Go time in the value's own offset (UTC when none).
func (c civil) Time() time.Time {
	loc := time.UTC
	if c.hasOff {
		loc = time.FixedZone("", c.offset*60)
	}
	y, mo, d := c.ymd()
	h, mi, s, f := c.hms()
	return time.Date(y, time.Month(mo), d, h, mi, s, int(f*100), loc)
}

func civilFromTime(t time.Time) civil {
	_, off := t.Zone()
	c := civil{days: civilFromDate(t.Year(), int(t.Month()), t.Day()), offset: off / 60, hasOff: true}
	c.ticks = int64(t.Hour()*3600+t.Minute()*60+t.Second())*ticksPerSecond + int64(t.Nanosecond()/100)
	return c
}

func toCivil(v any) (civil, bool) {
	switch x := v.(type) {
	case DateValue:
		return civil{days: int64(x)}, true
	case TimeValue:
		return civil{ticks: int64(x)}, true
	case DateTimeValue:
		return civil{days: int64(x.Days) + epoch1900, ticks: (int64(x.Ticks)*ticksPerSecond + 150) / 300}, true
	case SmallDateTimeValue:
		return civil{days: int64(x.Days) + epoch1900, ticks: int64(x.Minutes) * 60 * ticksPerSecond}, true
	case DateTime2Value:
		return civil{days: int64(x.Date), ticks: int64(x.Time)}, true
	case DateTimeOffsetValue:
		c := civil{days: int64(x.UTC.Date), ticks: int64(x.UTC.Time) + int64(x.OffsetMinutes)*60*ticksPerSecond, offset: int(x.OffsetMinutes), hasOff: true}
		c.normalize()
		return c, true
	}
	return civil{}, false
}

func (c *civil) normalize() {
	for c.ticks < 0 {
		c.ticks += ticksPerDay
		c.days--
	}
	for c.ticks >= ticksPerDay {
		c.ticks -= ticksPerDay
		c.days++
	}
}

func roundTicks(ticks int64, scale uint8) int64 {
	unit := int64(1)
	for i := scale; i < 7; i++ {
		unit *= 10
	}
	return (ticks + unit/2) / unit * unit
}

var (
	maxDays = civilFromDate(9999, 12, 31)
	// errDateRange and errDateSyntax are reported by Convert as Msg 242 / 241.
	dateTimeMin = civilFromDate(1753, 1, 1)
	smallMax    = civilFromDate(2079, 6, 6)
)

// fromCivil builds a value of type t; ok is false when out of t's range.
func fromCivil(c civil, t Type) (any, bool) {
	switch t.ID {
	case Date:
		return DateValue(c.days), c.days >= 0 && c.days <= maxDays
	case Time:
		tk := roundTicks(c.ticks, t.Scale)
		if tk >= ticksPerDay {
			tk -= ticksPerDay
		}
		return TimeValue(tk), true
	case DateTime2:
		c.ticks = roundTicks(c.ticks, t.Scale)
		c.normalize()
		return DateTime2Value{Date: DateValue(c.days), Time: TimeValue(c.ticks)}, c.days >= 0 && c.days <= maxDays
	case DateTimeOffset:
		c.ticks = roundTicks(c.ticks, t.Scale)
		c.normalize()
		u := civil{days: c.days, ticks: c.ticks - int64(c.offset)*60*ticksPerSecond}
		u.normalize()
		return DateTimeOffsetValue{UTC: DateTime2Value{Date: DateValue(u.days), Time: TimeValue(u.ticks)}, OffsetMinutes: int16(c.offset)}, c.days >= 0 && c.days <= maxDays
	case DateTime:
		t300 := (c.ticks*300 + ticksPerSecond/2) / ticksPerSecond
		days := c.days
		if t300 >= 300*86400 {
			t300 -= 300 * 86400
			days++
		}
		return DateTimeValue{Days: int32(days - epoch1900), Ticks: uint32(t300)}, days >= dateTimeMin && days <= maxDays
	case SmallDateTime:
		// Seconds of 29.998 or less round down, 29.999 or more round up.
		mins := (c.ticks + 60*ticksPerSecond - 29_999*10_000) / (60 * ticksPerSecond)
		days := c.days
		if mins >= 1440 {
			mins -= 1440
			days++
		}
		return SmallDateTimeValue{Days: uint16(days - epoch1900), Minutes: uint16(mins)}, days >= epoch1900 && days <= smallMax
	}
	return nil, false
}

var (
	reOffset  = regexp.MustCompile(`\s*(?:([+-])(\d{1,2}):(\d{2})|Z)$`)
	reISODate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})`)
	reSlash   = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})`)
	reYSlash  = regexp.MustCompile(`^(\d{4})[/.](\d{1,2})[/.](\d{1,2})`)
	reCompact = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})(?:$|[\sT])`)
	reAlpha   = regexp.MustCompile(`^(\pL+)\.?\s+(\d{1,2}),?\s+(\d{4})`)
	reAlphaD  = regexp.MustCompile(`^(\d{1,2})\s+(\pL+)\.?,?\s+(\d{4})`)
	reTime    = regexp.MustCompile(`(?i)^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.:](\d{1,7}))?)?\s*(AM|PM)?$`)
	reTimeAP  = regexp.MustCompile(`(?i)^(\d{1,2})\s*(AM|PM)$`)
)

// parseCivil reads a date/time string as SQL Server does, with month names
// of lang; dmy is the date order (SET DATEFORMAT, SET LANGUAGE, or CONVERT
// styles 3/103/104/105).
func parseCivil(s string, dmy bool, lang *Language) (civil, bool) {
	s = strings.TrimSpace(s)
	var c civil
	if s == "" {
		return c, false
	}
	if m := reOffset.FindStringSubmatchIndex(s); m != nil && strings.ContainsAny(s[:m[0]], ":") {
		sub := s[m[0]:]
		sub = strings.TrimSpace(sub)
		if sub != "Z" {
			h, _ := strconv.Atoi(sub[1:strings.Index(sub, ":")])
			mi, _ := strconv.Atoi(sub[strings.Index(sub, ":")+1:])
			if h > 14 || mi > 59 {
				return c, false
			}
			c.offset = h*60 + mi
			if sub[0] == '-' {
				c.offset = -c.offset
			}
		}
		c.hasOff = true
		s = strings.TrimSpace(s[:m[0]])
	}
	y, mo, d := 1900, 1, 1
	rest := s
	hasDate := false
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	if m := reISODate.FindStringSubmatch(s); m != nil {
		y, mo, d, rest, hasDate = atoi(m[1]), atoi(m[2]), atoi(m[3]), s[len(m[0]):], true
	} else if m := reYSlash.FindStringSubmatch(s); m != nil {
		y, mo, d, rest, hasDate = atoi(m[1]), atoi(m[2]), atoi(m[3]), s[len(m[0]):], true
	} else if m := reCompact.FindStringSubmatch(s); m != nil {
		y, mo, d, rest, hasDate = atoi(m[1]), atoi(m[2]), atoi(m[3]), s[8:], true
	} else if m := reSlash.FindStringSubmatch(s); m != nil {
		a, b := atoi(m[1]), atoi(m[2])
		y = atoi(m[3])
		if len(m[3]) == 2 {
			y += 1900
			if y < 1950 {
				y += 100
			}
		}
		mo, d = a, b
		if dmy {
			mo, d = b, a
		}
		rest, hasDate = s[len(m[0]):], true
	} else if m := reAlpha.FindStringSubmatch(s); m != nil {
		mo = lang.month(m[1])
		d, y, rest, hasDate = atoi(m[2]), atoi(m[3]), s[len(m[0]):], mo > 0
	} else if m := reAlphaD.FindStringSubmatch(s); m != nil {
		mo = lang.month(m[2])
		d, y, rest, hasDate = atoi(m[1]), atoi(m[3]), s[len(m[0]):], mo > 0
	}
	if hasDate {
		if mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
			return c, false
		}
		if time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).Day() != d {
			return c, false
		}
	}
	c.days = civilFromDate(y, mo, d)
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "T") || strings.HasPrefix(rest, "t") {
		rest = rest[1:]
	}
	if rest == "" {
		return c, hasDate
	}
	if m := reTimeAP.FindStringSubmatch(rest); m != nil {
		rest = m[1] + ":00 " + m[2]
	}
	m := reTime.FindStringSubmatch(rest)
	if m == nil {
		return c, false
	}
	h, mi := atoi(m[1]), atoi(m[2])
	sec := 0
	if m[3] != "" {
		sec = atoi(m[3])
	}
	var frac int64
	if m[4] != "" {
		f := m[4] + strings.Repeat("0", 7-len(m[4]))
		n, _ := strconv.ParseInt(f, 10, 64)
		frac = n
	}
	if ap := strings.ToUpper(m[5]); ap != "" {
		if h < 1 || h > 12 {
			return c, false
		}
		if ap == "AM" && h == 12 {
			h = 0
		} else if ap == "PM" && h != 12 {
			h += 12
		}
	}
	if h > 23 || mi > 59 || sec > 59 {
		return c, false
	}
	c.ticks = int64(h*3600+mi*60+sec)*ticksPerSecond + frac
	return c, true
}

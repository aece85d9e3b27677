package sqltypes

import (
	"strings"
	"unicode/utf8"
)

// Language is one row of sys.syslanguages
// (https://learn.microsoft.com/en-us/sql/relational-databases/system-compatibility-views/sys-syslanguages-transact-sql):
// the date order and first day of the week SET LANGUAGE brings, and the
// month names dates are read with
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/set-language-transact-sql).
// Only a few languages are listed. langid is the language's place in the
// list of installed languages on that page (us_english 0, Deutsch 1,
// Français 2, русский 21, British 23), and lcid is from the same list.
// Microsoft's pages do not print the month names; those here (lower-case
// French names, capitalised Russian full names with lower-case short ones,
// German "Mär") are what sys.syslanguages returns as published captures of
// a real server show them (matching ignores case, so only sys.syslanguages
// shows the capitalisation).
type Language struct {
	LangID      int
	DateFormat  string // mdy or dmy
	DateFirst   int    // 1 = Monday ... 7 = Sunday
	Name        string // as @@LANGUAGE reports it
	Alias       string // the English name
	LCID        int
	Months      []string
	ShortMonths []string
}

// Languages are the languages SET LANGUAGE accepts, in langid order.
var Languages = []*Language{
	{LangID: 0, DateFormat: "mdy", DateFirst: 7, Name: "us_english", Alias: "English", LCID: 1033,
		Months:      strings.Split("January,February,March,April,May,June,July,August,September,October,November,December", ","),
		ShortMonths: strings.Split("Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec", ",")},
	{LangID: 1, DateFormat: "dmy", DateFirst: 1, Name: "Deutsch", Alias: "German", LCID: 1031,
		Months:      strings.Split("Januar,Februar,März,April,Mai,Juni,Juli,August,September,Oktober,November,Dezember", ","),
		ShortMonths: strings.Split("Jan,Feb,Mär,Apr,Mai,Jun,Jul,Aug,Sep,Okt,Nov,Dez", ",")},
	{LangID: 2, DateFormat: "dmy", DateFirst: 1, Name: "Français", Alias: "French", LCID: 1036,
		Months:      strings.Split("janvier,février,mars,avril,mai,juin,juillet,août,septembre,octobre,novembre,décembre", ","),
		ShortMonths: strings.Split("janv,févr,mars,avr,mai,juin,juil,août,sept,oct,nov,déc", ",")},
	{LangID: 21, DateFormat: "dmy", DateFirst: 1, Name: "русский", Alias: "Russian", LCID: 1049,
		Months:      strings.Split("Январь,Февраль,Март,Апрель,Май,Июнь,Июль,Август,Сентябрь,Октябрь,Ноябрь,Декабрь", ","),
		ShortMonths: strings.Split("янв,фев,мар,апр,май,июн,июл,авг,сен,окт,ноя,дек", ",")},
	{LangID: 23, DateFormat: "dmy", DateFirst: 1, Name: "British", Alias: "British English", LCID: 2057,
		Months:      strings.Split("January,February,March,April,May,June,July,August,September,October,November,December", ","),
		ShortMonths: strings.Split("Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec", ",")},
}

// USEnglish is the default language of a login.
var USEnglish = Languages[0]

// LookupLanguage finds a language by name or alias, ignoring case.
func LookupLanguage(name string) (*Language, bool) {
	name = strings.TrimSpace(name)
	for _, l := range Languages {
		if strings.EqualFold(l.Name, name) || strings.EqualFold(l.Alias, name) {
			return l, true
		}
	}
	return nil, false
}

// month returns the month (1-12) a word names in l, by full or short
// name, ignoring case; 0 when it names none.
func (l *Language) month(word string) int {
	for i := range l.Months {
		if strings.EqualFold(word, l.Months[i]) || strings.EqualFold(word, l.ShortMonths[i]) {
			return i + 1
		}
	}
	// A word of at least three letters that begins a full name, as
	// "Sept" or "Dece" under us_english.
	if utf8.RuneCountInString(word) >= 3 {
		for i, m := range l.Months {
			if len(word) <= len(m) && strings.EqualFold(word, m[:len(word)]) {
				return i + 1
			}
		}
	}
	return 0
}

// DateSettings are a session's SET LANGUAGE and SET DATEFORMAT, which
// decide how character strings are read as dates.
type DateSettings struct {
	Language   *Language // nil means us_english
	DateFormat string    // mdy or dmy; empty means the language's
}

func (d DateSettings) lang() *Language {
	if d.Language == nil {
		return USEnglish
	}
	return d.Language
}

func (d DateSettings) dmy() bool {
	if d.DateFormat != "" {
		return d.DateFormat == "dmy"
	}
	return d.lang().DateFormat == "dmy"
}

// ParseDateTimeIn reads a character string as a value of the date/time
// type to, with the session's language and date format.
func ParseDateTimeIn(s string, to Type, ds DateSettings) (any, error) {
	return toDateTimeIn(s, VarCharType(Max), to, -1, ds)
}

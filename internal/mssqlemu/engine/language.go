package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// SET LANGUAGE, SET DATEFORMAT and SET DATEFIRST
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/set-language-transact-sql,
// .../set-dateformat-transact-sql, .../set-datefirst-transact-sql): the
// language brings its date order, first day of the week and month names
// (sqltypes.Languages); SET DATEFORMAT and SET DATEFIRST override the
// first two until the next SET LANGUAGE. They decide how CAST and CONVERT
// read character strings as dates, DATEPART(weekday), @@LANGUAGE,
// @@LANGID and @@DATEFIRST.

// language is the session's language.
func (s *session) language() *sqltypes.Language {
	if s.dates.Language == nil {
		return sqltypes.USEnglish
	}
	return s.dates.Language
}

// dateFirst is @@DATEFIRST.
func (s *session) dateFirst() int64 {
	if s.dateFirstSet > 0 {
		return s.dateFirstSet
	}
	return int64(s.language().DateFirst)
}

// setDateOption runs SET LANGUAGE, DATEFORMAT or DATEFIRST; handled is
// false for other options. Callers hold e.mu.
func (s *session) setDateOption(ev *evaluator, x *tsql.SetValueStmt, w tds.ResultWriter) (handled bool, err error) {
	option := strings.ToUpper(x.Option)
	if option != "LANGUAGE" && option != "DATEFORMAT" && option != "DATEFIRST" {
		return false, nil
	}
	v, t, err := ev.eval(x.Value, nil)
	if err != nil {
		return true, err
	}
	str, err := sqltypes.ToString(v, t, -1)
	if err != nil || v == nil {
		return true, unsupportedOption("SET " + option)
	}
	str = strings.TrimSpace(str)
	switch option {
	case "LANGUAGE":
		l, ok := sqltypes.LookupLanguage(str)
		if !ok {
			return true, unsupportedOption("LANGUAGE " + str)
		}
		s.dates = sqltypes.DateSettings{Language: l}
		s.dateFirstSet = 0
		return true, w.Message(&tds.Message{Number: 5703, Class: 0, State: 1,
			Text: fmt.Sprintf("Changed language setting to %s.", l.Name), Server: s.e.cfg.ServerName})
	case "DATEFORMAT":
		// Only the orders the date reader knows: month or day first,
		// year last.
		f := strings.ToLower(str)
		if f != "mdy" && f != "dmy" {
			return true, unsupportedOption("DATEFORMAT " + str)
		}
		s.dates.DateFormat = f
	case "DATEFIRST":
		n, err := ev.intExpr(x.Value)
		if err != nil {
			return true, err
		}
		if n < 1 || n > 7 {
			return true, msg(1005, 15, 1, fmt.Sprintf("Line 1: Invalid parameter '%d' specified for SET DATEFIRST.", n))
		}
		s.dateFirstSet = n
	}
	return true, nil
}

// weekday is DATEPART(weekday) of a Go weekday (Sunday = 0) under
// @@DATEFIRST: the first day of the week is 1.
func weekday(goWeekday int, dateFirst int64) int64 {
	return (int64(goWeekday)+7-dateFirst%7)%7 + 1
}

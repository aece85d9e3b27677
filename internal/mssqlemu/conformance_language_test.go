package mssqlemu_test

import (
	"context"
	"testing"
	"time"
)

// TestConformanceSetLanguage: SET LANGUAGE "specifies the language
// environment for the session", which "implicitly sets the setting of SET
// DATEFORMAT" and of SET DATEFIRST, and sends message 5703; dates given as
// character strings are read with the language's month names; SET
// DATEFORMAT and SET DATEFIRST override it. sys.syslanguages lists the
// languages.
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-language-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-dateformat-transact-sql
// https://learn.microsoft.com/en-us/sql/t-sql/statements/set-datefirst-transact-sql
// https://learn.microsoft.com/en-us/sql/relational-databases/system-compatibility-views/sys-syslanguages-transact-sql
func TestConformanceSetLanguage(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	c := conn(t, ctx, db)
	var lang string
	var langid, datefirst int
	if err := c.QueryRowContext(ctx, "SELECT @@LANGUAGE, @@LANGID, @@DATEFIRST").Scan(&lang, &langid, &datefirst); err != nil ||
		lang != "us_english" || langid != 0 || datefirst != 7 {
		t.Errorf("defaults: %q %d %d, %v", lang, langid, datefirst, err)
	}
	// Example of SET LANGUAGE's page: dates in Italian need the
	// language's month names; here the same with Russian and German.
	for _, tc := range []struct {
		lang, date string
		want       time.Time
	}{
		{"Russian", "июл 19 2021  8:12PM", time.Date(2021, 7, 19, 20, 12, 0, 0, time.UTC)},
		{"Deutsch", "19 Dezember 2021", time.Date(2021, 12, 19, 0, 0, 0, 0, time.UTC)},
		{"us_english", "Jul 19 2021", time.Date(2021, 7, 19, 0, 0, 0, 0, time.UTC)},
	} {
		var got time.Time
		err := c.QueryRowContext(ctx, "SET LANGUAGE "+tc.lang+"; SELECT CAST(@p1 AS datetime)", tc.date).Scan(&got)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: CAST(N'%s' AS datetime) = %v, %v; want %v", tc.lang, tc.date, got, err, tc.want)
		}
	}
	execOn(t, ctx, c, "SET LANGUAGE British")
	if err := c.QueryRowContext(ctx, "SELECT @@LANGUAGE, @@LANGID, @@DATEFIRST").Scan(&lang, &langid, &datefirst); err != nil ||
		lang != "British" || langid != 23 || datefirst != 1 {
		t.Errorf("British: %q %d %d, %v", lang, langid, datefirst, err)
	}
	// British reads day first; SET DATEFORMAT mdy turns it back.
	var day, weekday int
	if err := c.QueryRowContext(ctx, "SELECT DAY(CAST('02/03/2021' AS date)), DATEPART(weekday, CAST('2021-03-07' AS date))").Scan(&day, &weekday); err != nil ||
		day != 2 || weekday != 7 {
		t.Errorf("British: day of 02/03/2021 = %d, weekday of Sunday 2021-03-07 = %d, %v; want 2 and 7", day, weekday, err)
	}
	execOn(t, ctx, c, "SET DATEFORMAT mdy; SET DATEFIRST 7")
	if err := c.QueryRowContext(ctx, "SELECT DAY(CAST('02/03/2021' AS date)), DATEPART(weekday, CAST('2021-03-07' AS date))").Scan(&day, &weekday); err != nil ||
		day != 3 || weekday != 1 {
		t.Errorf("DATEFORMAT mdy, DATEFIRST 7: day %d, weekday %d, %v; want 3 and 1", day, weekday, err)
	}
	rows := queryStrings(t, ctx, db, "SELECT langid, dateformat, datefirst, alias FROM sys.syslanguages WHERE name IN (N'us_english', N'British', N'Deutsch') ORDER BY langid")
	if got := joinRows(rows); got != "0|mdy|7|English\n1|dmy|1|German\n23|dmy|1|British English" {
		t.Errorf("sys.syslanguages:\n%s", got)
	}
}

// TestConformanceSyslanguagesRows: the langid and lcid of the installed
// languages as sys.syslanguages' page lists them (langid is the place in
// that list), and their month names as a real server returns them.
// https://learn.microsoft.com/en-us/sql/relational-databases/system-compatibility-views/sys-syslanguages-transact-sql
func TestConformanceSyslanguagesRows(t *testing.T) {
	ctx := context.Background()
	db := freshDB(t, ctx)
	for _, want := range []struct {
		alias, name   string
		langid, lcid  int
		months, short string
	}{
		{"German", "Deutsch", 1, 1031, "Januar,Februar,März,April,Mai,Juni,Juli,August,September,Oktober,November,Dezember", "Jan,Feb,Mär,Apr,Mai,Jun,Jul,Aug,Sep,Okt,Nov,Dez"},
		{"French", "Français", 2, 1036, "janvier,février,mars,avril,mai,juin,juillet,août,septembre,octobre,novembre,décembre", "janv,févr,mars,avr,mai,juin,juil,août,sept,oct,nov,déc"},
		{"Russian", "русский", 21, 1049, "Январь,Февраль,Март,Апрель,Май,Июнь,Июль,Август,Сентябрь,Октябрь,Ноябрь,Декабрь", "янв,фев,мар,апр,май,июн,июл,авг,сен,окт,ноя,дек"},
		{"British English", "British", 23, 2057, "January,February,March,April,May,June,July,August,September,October,November,December", "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec"},
	} {
		var name, months, short string
		var langid, lcid int
		err := db.QueryRowContext(ctx, "SELECT name, langid, lcid, months, shortmonths FROM sys.syslanguages WHERE alias = @p1", want.alias).
			Scan(&name, &langid, &lcid, &months, &short)
		if err != nil || name != want.name || langid != want.langid || lcid != want.lcid || months != want.months || short != want.short {
			t.Errorf("%s: %q langid %d lcid %d %q %q, %v; want %+v", want.alias, name, langid, lcid, months, short, err, want)
		}
	}
}

package engine

import (
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// SET options the engine does not emulate are accepted only at the value
// the engine behaves as (SQL Server's defaults for a modern client); any
// other value is refused rather than silently ignored, with the message
// SQL Server gives for options it does not support (Msg 40517).

// emulatedOnOff reports the setting the engine behaves as for an ON/OFF
// option; ok is false for options that have no effect the emulator could
// show, which are accepted either way.
func emulatedOnOff(option string) (on, ok bool) {
	switch option {
	case "ANSI_NULLS", "ANSI_NULL_DFLT_ON", "ANSI_PADDING", "ANSI_WARNINGS", "CONCAT_NULL_YIELDS_NULL", "QUOTED_IDENTIFIER":
		return true, true
	case "ANSI_DEFAULTS", // ON would turn on IMPLICIT_TRANSACTIONS
		"ANSI_NULL_DFLT_OFF", "IMPLICIT_TRANSACTIONS", "NOEXEC", "NUMERIC_ROUNDABORT", "PARSEONLY",
		"SHOWPLAN_ALL", "SHOWPLAN_TEXT", "SHOWPLAN_XML":
		return false, true
	}
	return false, false
}

func unsupportedOption(option string) error {
	return msg(40517, 16, 1, fmt.Sprintf("Keyword or statement option '%s' is not supported in this version of SQL Server.", option))
}

// checkOnOff refuses an ON/OFF option set to a value the engine does not emulate.
func checkOnOff(option string, on bool) error {
	if want, ok := emulatedOnOff(option); ok && want != on {
		state := "OFF"
		if on {
			state = "ON"
		}
		return unsupportedOption(option + " " + state)
	}
	return nil
}

// checkValueOption refuses SET ROWCOUNT values other than the default the
// engine behaves as (LANGUAGE, DATEFORMAT and DATEFIRST are language.go's).
func (ev *evaluator) checkValueOption(x *tsql.SetValueStmt) error {
	option := strings.ToUpper(x.Option)
	var want []string
	switch option {
	case "ROWCOUNT":
		want = []string{"0"}
	default:
		return nil
	}
	v, t, err := ev.eval(x.Value, nil)
	if err != nil {
		return err
	}
	s, err := sqltypes.ToString(v, t, -1)
	if err != nil || v == nil {
		return unsupportedOption("SET " + option)
	}
	for _, w := range want {
		if strings.EqualFold(strings.TrimSpace(s), w) {
			return nil
		}
	}
	return unsupportedOption(option + " " + s)
}

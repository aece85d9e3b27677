package main

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config/configtest"
)

// TestREADMEListsEverySetting keeps the README's configuration reference true:
// every variable the program reads, with its default, is documented there.
func TestREADMEListsEverySetting(t *testing.T) {
	configtest.CheckREADME(t, "../README.md", "consumer", &Config{})
}

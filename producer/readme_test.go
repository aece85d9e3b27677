package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config"
)

var printSettings = flag.Bool("print", false, "print the settings table for the README")

// TestREADMEListsEverySetting keeps the README's configuration reference true:
// every variable the program reads, with its default, is documented there.
func TestREADMEListsEverySetting(t *testing.T) {
	var want strings.Builder
	config.Markdown(&want, &Config{})
	if *printSettings {
		os.Stdout.WriteString(want.String())
	}
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(want.String()), "\n")[2:] {
		if !strings.Contains(string(b), line) {
			t.Errorf("README.md lacks this setting row (print them all with: go test ./producer -run README -print):\n%s", line)
		}
	}
}

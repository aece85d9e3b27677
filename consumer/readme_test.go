package main

import (
	"flag"
	"os"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config"
)

var printSettings = flag.Bool("print", false, "print the settings table for the README")

// TestREADMEListsEverySetting keeps the README's configuration reference true:
// every variable the program reads, with its default, is documented there.
func TestREADMEListsEverySetting(t *testing.T) {
	if *printSettings {
		config.Markdown(os.Stdout, &Config{})
	}
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range config.MissingFromDoc(string(b), &Config{}) {
		t.Errorf("README.md lacks this setting row (print them all with: go test ./consumer -run README -print):\n%s", row)
	}
}

// Package configtest holds the checks both programs' tests run on their
// settings: malformed values are refused in one line naming the variable,
// and the README documents every setting.
package configtest

import (
	"context"
	"flag"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/mssql2adb/mssql2adb/internal/config"
)

// Refusal is a malformed value of one variable and what its error says.
type Refusal struct {
	Name, Key, Value, Want string
}

// CheckRefusals loads each refusal's variable over base into a new
// settings struct (newConfig returns it and its validate method) and fails
// unless the error contains Want, holds one line and does not repeat
// secret: malformed settings are refused before anything connects.
func CheckRefusals(t *testing.T, base map[string]string, secret string, newConfig func() (cfg any, validate func() error), refusals []Refusal) {
	t.Helper()
	for _, tt := range refusals {
		t.Run(tt.Name, func(t *testing.T) {
			env := maps.Clone(base)
			env[tt.Key] = tt.Value
			cfg, validate := newConfig()
			err := config.Load(context.Background(), cfg, envconfig.MapLookuper(env))
			if err == nil {
				err = validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.Want) {
				t.Fatalf("got %v, want %q", err, tt.Want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "\n") {
				t.Errorf("the error repeats the password or spans lines: %v", err)
			}
		})
	}
}

var printSettings = flag.Bool("print", false, "print the settings table for the README")

// CheckREADME keeps the README's configuration reference true: every
// variable program reads (settings, a pointer to its Config), with its
// default, is documented in readme. With -print it prints the table.
func CheckREADME(t *testing.T, readme, program string, settings any) {
	t.Helper()
	if *printSettings {
		config.Markdown(os.Stdout, settings)
	}
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range config.MissingFromDoc(string(b), settings) {
		t.Errorf("%s lacks this setting row (print them all with: go test ./%s -run README -print):\n%s", readme, program, row)
	}
}

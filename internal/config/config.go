// Package config loads a program's settings from environment variables with
// go-envconfig and describes them, from the same struct tags, for --help and
// for the README's configuration reference.
//
// A settings struct tags each field with `env:"NAME[,default=V|,required]"`
// and `help:"what it does"`; Describe renders those tags, so the help text and
// the code cannot disagree.
package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Setting is one environment variable a program reads.
type Setting struct {
	Name     string
	Field    string // the struct field, which go-envconfig's errors name
	Default  string
	Required bool
	Help     string
	Secret   bool
}

// Load fills cfg (a pointer to a tagged struct) from lookuper, or from the
// process environment when lookuper is nil. A missing required setting or a
// value that does not parse is reported with the variable's name and its
// help text, so the user knows what to set.
func Load(ctx context.Context, cfg any, lookuper envconfig.Lookuper) error {
	if lookuper == nil {
		lookuper = envconfig.OsLookuper()
	}
	rec := &recordingLookuper{l: lookuper}
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: cfg, Lookuper: rec})
	if err == nil {
		return checkRanges(reflect.ValueOf(cfg), lookuper)
	}
	// go-envconfig's errors name the struct field in their text only; it
	// stops at the first field that fails, right after looking that
	// field's variable up, so the last variable looked up is the one at
	// fault. Errors in the struct's tags are the program's, not the user's.
	if rec.last != "" && !isTagError(err) {
		for _, s := range Describe(cfg) {
			if s.Name != rec.last {
				continue
			}
			if errors.Is(err, envconfig.ErrMissingRequired) {
				return fmt.Errorf("setting %s is required: %s", s.Name, s.Help)
			}
			return fmt.Errorf("setting %s: %w (%s)", s.Name, err, s.Help)
		}
	}
	return fmt.Errorf("settings: %w", err)
}

// recordingLookuper remembers the last variable go-envconfig looked up.
type recordingLookuper struct {
	l    envconfig.Lookuper
	last string
}

func (r *recordingLookuper) Lookup(key string) (string, bool) {
	r.last = key
	return r.l.Lookup(key)
}

// Unwrap lets go-envconfig expand ${VAR} in a default through the
// underlying lookuper, so an expansion does not count as the last variable.
func (r *recordingLookuper) Unwrap() envconfig.Lookuper { return r.l }

// isTagError reports whether err is a mistake in the settings struct's tags
// or types, which no variable can fix.
func isTagError(err error) bool {
	for _, e := range []error{envconfig.ErrInvalidEnvvarName, envconfig.ErrMissingKey, envconfig.ErrNoInitNotPtr, envconfig.ErrNotPtr,
		envconfig.ErrNotStruct, envconfig.ErrPrefixNotStruct, envconfig.ErrPrivateField, envconfig.ErrRecursivePointer,
		envconfig.ErrRecursiveStruct, envconfig.ErrRequiredAndDefault, envconfig.ErrUnknownOption} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// checkRanges refuses a number or duration below its field's `min` tag
// (default 0: no negative sizes, counts or durations), naming the variable,
// the value as given and what is allowed.
func checkRanges(v reflect.Value, lookuper envconfig.Lookuper) error {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			if f.Type.Kind() == reflect.Struct {
				if err := checkRanges(fv, lookuper); err != nil {
					return err
				}
			}
			continue
		}
		var n int64
		switch fv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n = fv.Int()
		default:
			continue
		}
		isDuration := f.Type == reflect.TypeFor[time.Duration]()
		min := int64(0)
		if m := f.Tag.Get("min"); m != "" {
			if err := parseMin(m, isDuration, &min); err != nil {
				return fmt.Errorf("config: field %s: bad min tag %q: %w", f.Name, m, err)
			}
		}
		if n >= min {
			continue
		}
		name := strings.Split(tag, ",")[0]
		given, _ := lookuper.Lookup(name)
		if isDuration {
			return fmt.Errorf("%s %q: want a duration of at least %s (%s)", name, given, time.Duration(min), f.Tag.Get("help"))
		}
		return fmt.Errorf("%s %q: want at least %d (%s)", name, given, min, f.Tag.Get("help"))
	}
	return nil
}

// parseMin reads a `min` tag: an integer, or for a duration field a Go
// duration ("1ms").
func parseMin(tag string, isDuration bool, min *int64) error {
	if isDuration {
		d, err := time.ParseDuration(tag)
		*min = int64(d)
		return err
	}
	_, err := fmt.Sscan(tag, min)
	return err
}

// Describe lists the settings of cfg's type in field order, including those of
// nested structs.
func Describe(cfg any) []Setting {
	t := reflect.TypeOf(cfg)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Setting
	describe(t, &out)
	return out
}

func describe(t reflect.Type, out *[]Setting) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			if f.Type.Kind() == reflect.Struct {
				describe(f.Type, out)
			}
			continue
		}
		parts := strings.Split(tag, ",")
		s := Setting{Name: parts[0], Field: f.Name, Help: f.Tag.Get("help"), Secret: f.Tag.Get("secret") == "true"}
		for j := 1; j < len(parts); j++ {
			p := strings.TrimSpace(parts[j])
			switch {
			case p == "required":
				s.Required = true
			case strings.HasPrefix(p, "default="):
				// A default may itself contain commas (a broker list); the
				// rest of the tag belongs to it.
				s.Default = strings.TrimPrefix(strings.Join(parts[j:], ","), " ")
				s.Default = strings.TrimPrefix(s.Default, "default=")
				j = len(parts)
			}
		}
		*out = append(*out, s)
	}
}

// Usage writes a program's --help text: a summary line, then every setting
// with its default and what it does.
func Usage(w io.Writer, program, summary string, cfg any) {
	fmt.Fprintf(w, "Usage: %s [--help]\n\n%s\n\nAll settings are environment variables:\n\n", program, summary)
	for _, s := range Describe(cfg) {
		def := s.Default
		switch {
		case s.Required:
			def = "required"
		case def == "":
			def = "empty"
		default:
			def = "default " + def
		}
		fmt.Fprintf(w, "  %s (%s)\n      %s\n", s.Name, def, s.Help)
	}
}

// Markdown renders the settings as a README table.
func Markdown(w io.Writer, cfg any) {
	fmt.Fprintln(w, "| Variable | Default | What it does |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	for _, s := range Describe(cfg) {
		def := "`" + s.Default + "`"
		if s.Required {
			def = "required"
		} else if s.Default == "" {
			def = "(empty)"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", s.Name, def, strings.ReplaceAll(s.Help, "|", "\\|"))
	}
}

// MissingFromDoc returns the rows of Markdown(cfg) that doc lacks, so a
// program's test can keep its README's configuration reference true.
func MissingFromDoc(doc string, cfg any) []string {
	var want strings.Builder
	Markdown(&want, cfg)
	var missing []string
	for _, line := range strings.Split(strings.TrimSpace(want.String()), "\n")[2:] {
		if !strings.Contains(doc, line) {
			missing = append(missing, line)
		}
	}
	return missing
}

// OneOf checks that the setting name has one of the allowed values, with an
// error that names the variable, its value and what is allowed.
func OneOf(name, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	want := allowed[len(allowed)-1]
	if len(allowed) > 1 {
		want = strings.Join(allowed[:len(allowed)-1], ", ") + " or " + want
	}
	return fmt.Errorf("%s %q: want %s", name, value, want)
}

package config

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

type sample struct {
	DSN     string        `env:"SAMPLE_DSN,required" help:"where the database is"`
	Brokers []string      `env:"SAMPLE_BROKERS,default=a:1,b:2" help:"Kafka brokers"`
	Wait    time.Duration `env:"SAMPLE_WAIT,default=2s" help:"how long to wait"`
	Nested  struct {
		Level string `env:"SAMPLE_LEVEL,default=info" help:"log level"`
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, s sample)
	}{
		{
			name:    "missing required names the variable and says what it is",
			env:     map[string]string{},
			wantErr: "setting SAMPLE_DSN is required: where the database is",
		},
		{
			name:    "bad duration names the variable",
			env:     map[string]string{"SAMPLE_DSN": "x", "SAMPLE_WAIT": "soon"},
			wantErr: "setting SAMPLE_WAIT",
		},
		{
			// The variable at fault is the one go-envconfig stopped at,
			// not one whose name appears in the error's text.
			name:    "a bad value that quotes another variable's name blames its own",
			env:     map[string]string{"SAMPLE_DSN": "x", "SAMPLE_WAIT": "SAMPLE_DSN"},
			wantErr: "setting SAMPLE_WAIT: ",
		},
		{
			name: "defaults apply, including a list with commas",
			env:  map[string]string{"SAMPLE_DSN": "x"},
			check: func(t *testing.T, s sample) {
				if strings.Join(s.Brokers, ";") != "a:1;b:2" || s.Wait != 2*time.Second || s.Nested.Level != "info" {
					t.Fatalf("defaults not applied: %+v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := Load(context.Background(), &s, envconfig.MapLookuper(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestDescribeAndUsage(t *testing.T) {
	got := Describe(&sample{})
	if len(got) != 4 {
		t.Fatalf("Describe found %d settings, want 4: %+v", len(got), got)
	}
	if got[1].Default != "a:1,b:2" || !got[0].Required || got[3].Name != "SAMPLE_LEVEL" {
		t.Fatalf("Describe = %+v", got)
	}
	var b bytes.Buffer
	Usage(&b, "prog", "does things", &sample{})
	for _, want := range []string{"SAMPLE_DSN (required)", "SAMPLE_BROKERS (default a:1,b:2)", "log level"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

func TestMissingFromDoc(t *testing.T) {
	var doc bytes.Buffer
	Markdown(&doc, &sample{})
	if m := MissingFromDoc(doc.String(), &sample{}); len(m) != 0 {
		t.Fatalf("complete doc reported missing rows: %v", m)
	}
	partial := strings.Replace(doc.String(), "`2s`", "`3s`", 1)
	if m := MissingFromDoc(partial, &sample{}); len(m) != 1 || !strings.Contains(m[0], "SAMPLE_WAIT") {
		t.Fatalf("a wrong default was not reported: %v", m)
	}
}

func TestOneOf(t *testing.T) {
	if err := OneOf("STALE_STATE", "rebuild", "stop", "rebuild"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		allowed []string
		want    string
	}{
		{[]string{"stop", "rebuild"}, `STALE_STATE "rebiuld": want stop or rebuild`},
		{[]string{"auto", "postgres", "adbpg"}, `STALE_STATE "rebiuld": want auto, postgres or adbpg`},
		{[]string{"on"}, `STALE_STATE "rebiuld": want on`},
	} {
		if err := OneOf("STALE_STATE", "rebiuld", tc.allowed...); err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

func TestLoadRefusesNegativeNumbersAndDurations(t *testing.T) {
	type settings struct {
		Window   time.Duration `env:"RETRY_WINDOW,default=720m" help:"How long to retry."`
		Batch    int           `env:"BATCH,default=10" help:"Events per batch."`
		Replicas int16         `env:"REPLICAS,default=-1" min:"-1" help:"Replication factor; -1: the broker's default."`
		Poll     time.Duration `env:"POLL,default=1s" min:"1ms" help:"How often to poll."`
	}
	for _, tt := range []struct {
		env  map[string]string
		want string // "" means no error
	}{
		{map[string]string{}, ""},
		{map[string]string{"RETRY_WINDOW": "0s", "BATCH": "0", "REPLICAS": "-1"}, ""},
		{map[string]string{"RETRY_WINDOW": "-5m"}, `RETRY_WINDOW "-5m": want a duration of at least 0s (How long to retry.)`},
		{map[string]string{"BATCH": "-3"}, `BATCH "-3": want at least 0 (Events per batch.)`},
		{map[string]string{"REPLICAS": "-2"}, `REPLICAS "-2": want at least -1`},
		{map[string]string{"POLL": "1ms"}, ""},
		{map[string]string{"POLL": "0s"}, `POLL "0s": want a duration of at least 1ms (How often to poll.)`},
	} {
		var s settings
		err := Load(context.Background(), &s, envconfig.MapLookuper(tt.env))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: got %v, want %q", tt.env, err, tt.want)
		}
	}
}

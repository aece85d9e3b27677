package main

import (
	"io"
	"strings"
	"testing"
)

func TestRunRejectsBadSettings(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"negative delay", []string{"-capture-delay", "-1s", "-addr", "127.0.0.1:0"}, nil, "must not be negative"},
		{"bad env duration", []string{"-addr", "127.0.0.1:0"}, map[string]string{"MSSQLEMU_CAPTURE_DELAY": "soon"}, "MSSQLEMU_CAPTURE_DELAY"},
		{"unknown flag", []string{"-nope"}, nil, "flag provided but not defined"},
		{"bad address", []string{"-addr", "256.0.0.1:99999"}, nil, "listen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			err := run(c.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

package secure_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/registry"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/secure"
	"github.com/mssql2adb/mssql2adb/internal/secure/securetest"
)

func TestKafkaOptsRefusesInconsistentSettings(t *testing.T) {
	for _, tc := range []struct {
		k    secure.Kafka
		want string
	}{
		{secure.Kafka{TLS: "yes", SkipVerify: "off"}, `KAFKA_TLS "yes": want on or off`},
		{secure.Kafka{TLS: "off", SkipVerify: "off", CAFile: "/ca.pem"}, "KAFKA_TLS_CA_FILE is set but KAFKA_TLS is off"},
		{secure.Kafka{TLS: "off", SkipVerify: "on"}, "KAFKA_TLS_INSECURE_SKIP_VERIFY=on but KAFKA_TLS is off"},
		{secure.Kafka{TLS: "on", SkipVerify: "off", CAFile: "/nonexistent/ca.pem"}, "KAFKA_TLS_CA_FILE: open /nonexistent/ca.pem"},
		{secure.Kafka{TLS: "on", SkipVerify: "off", CertFile: "/c.pem"}, "KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together"},
		{secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "GSSAPI", SASLUser: "u", SASLPassword: "p"}, `KAFKA_SASL_MECHANISM "GSSAPI": want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER`},
		{secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "PLAIN", SASLUser: "u"}, "KAFKA_SASL_MECHANISM=PLAIN needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"},
		{secure.Kafka{TLS: "off", SkipVerify: "off", SASLPassword: "hunter2"}, "KAFKA_SASL_MECHANISM is empty"},
		{secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "OAUTHBEARER"}, "KAFKA_SASL_MECHANISM=OAUTHBEARER needs KAFKA_SASL_OAUTH_TOKEN_FILE"},
		{secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "OAUTHBEARER", OAuthTokenFile: "/nonexistent/token"}, "KAFKA_SASL_OAUTH_TOKEN_FILE: open /nonexistent/token"},
		{secure.Kafka{TLS: "off", SkipVerify: "off", OAuthTokenFile: "/t"}, "KAFKA_SASL_OAUTH_TOKEN_FILE is set but KAFKA_SASL_MECHANISM is not OAUTHBEARER"},
	} {
		_, err := tc.k.Opts()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.k, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	opts, err := secure.Kafka{TLS: "off", SkipVerify: "off"}.Opts()
	if err != nil || len(opts) != 0 {
		t.Fatalf("plaintext without SASL: %d options, %v; want none", len(opts), err)
	}
}

func TestRegistryOpts(t *testing.T) {
	for _, tc := range []struct {
		r    secure.Registry
		url  string
		want string
	}{
		{secure.Registry{SkipVerify: "off"}, "registry:8081", "want http://host:port or https://host:port"},
		{secure.Registry{SkipVerify: "off", User: "u"}, "http://r:8081", "SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together"},
		{secure.Registry{SkipVerify: "off", CAFile: "/ca.pem"}, "http://r:8081", "SCHEMA_REGISTRY_TLS_* settings are given but SCHEMA_REGISTRY_URL http://r:8081 is not https://"},
		{secure.Registry{SkipVerify: "on"}, "http://u:hunter2@r:8081", "SCHEMA_REGISTRY_URL http://u:xxxxx@r:8081 is not https://"},
	} {
		_, err := tc.r.Opts(tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %s: err = %v, want %q", tc.r, tc.url, err, tc.want)
		}
	}
}

// Every SASL mechanism the settings offer logs in to a broker that requires
// it over TLS; wrong credentials and an untrusted certificate are one clear
// error (secure.ErrAuth, never retried, no password in it). OAUTHBEARER
// reads its token file again at each login, so a token rotated in the file
// is used by the next connection.
func TestKafkaMechanismsOverTLS(t *testing.T) {
	certs := securetest.New(t)
	dir := t.TempDir()
	tokenFile := func(tok string) string {
		path := filepath.Join(dir, tok)
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"} {
		t.Run(mech, func(t *testing.T) {
			secret := "s3cret-pw-" + strings.ToLower(mech)
			b, err := kafkatest.StartBroker(t.Context(), "127.0.0.1:0", 1,
				kfake.EnableSASL(), kfake.Superuser(mech, "app", secret), kfake.TLS(certs.Server))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(b.Close)
			ping := func(k secure.Kafka) error {
				opts, err := k.Opts()
				if err != nil {
					t.Fatal(err)
				}
				cl, err := kgo.NewClient(kafka.ClientOpts(b.Addrs(), append(opts, kgo.RetryTimeout(5*time.Second))...)...)
				if err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				return kafka.Ping(ctx, cl)
			}
			good := secure.Kafka{TLS: "on", SkipVerify: "off", CAFile: certs.CAFile, SASLMechanism: mech}
			wrong := good
			check := "check KAFKA_SASL_MECHANISM and its credentials (KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
			if mech == "OAUTHBEARER" {
				good.OAuthTokenFile = tokenFile(secret)
				wrong.OAuthTokenFile = tokenFile("expired-token")
				check = "KAFKA_SASL_OAUTH_TOKEN_FILE"
			} else {
				good.SASLUser, good.SASLPassword = "app", secret
				wrong.SASLUser, wrong.SASLPassword = "app", "wrong-pw"
			}
			if err := ping(good); err != nil {
				t.Fatalf("right settings: %v", err)
			}
			untrusted := good
			untrusted.CAFile = securetest.New(t).CAFile
			for _, tc := range []struct {
				name string
				k    secure.Kafka
				want string
			}{
				{"wrong credentials", wrong, check},
				{"untrusted certificate", untrusted, "certificate is not trusted"},
			} {
				err := ping(tc.k)
				if !errors.Is(err, secure.ErrAuth) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %v, want ErrAuth saying %q", tc.name, err, tc.want)
				}
				if retry.IsTransient(err) {
					t.Errorf("%s: %v is retried; a setting must change", tc.name, err)
				}
				if err != nil && (strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "token\n")) {
					t.Errorf("%s: the error shows a secret: %v", tc.name, err)
				}
			}
			if mech == "OAUTHBEARER" {
				// The file now holds a token the broker refuses: the next
				// login reads it.
				if err := os.WriteFile(good.OAuthTokenFile, []byte("rotated-out\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := ping(good); !errors.Is(err, secure.ErrAuth) {
					t.Errorf("after the token file changed to a refused token: %v, want ErrAuth", err)
				}
			}
		})
	}
}

// The embedded registry with Users answers 401 without the right basic
// auth, over TLS; the client settings get through, and a wrong password is
// one clear error.
func TestRegistryBasicAuthOverTLS(t *testing.T) {
	certs := securetest.New(t)
	reg, err := registry.New(t.Context(), registry.Config{Users: map[string]string{"sr-user": "sr-pass"}, TLS: certs.Server})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Start(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	if !strings.HasPrefix(reg.URL(), "https://") {
		t.Fatalf("URL %s: want https://", reg.URL())
	}
	subjects := func(r secure.Registry) error {
		opts, err := r.Opts(reg.URL())
		if err != nil {
			t.Fatal(err)
		}
		cl, err := sr.NewClient(opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Subjects(t.Context())
		return secure.Explain(err)
	}
	good := secure.Registry{User: "sr-user", Password: "sr-pass", CAFile: certs.CAFile, SkipVerify: "off"}
	if err := subjects(good); err != nil {
		t.Fatalf("right settings: %v", err)
	}
	bad := good
	bad.Password = "nope"
	if err := subjects(bad); !errors.Is(err, secure.ErrAuth) || !strings.Contains(err.Error(), "answered 401; check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD") {
		t.Errorf("wrong password: %v", err)
	}
	noCA := good
	noCA.CAFile = ""
	if err := subjects(noCA); !errors.Is(err, secure.ErrAuth) || retry.IsTransient(err) {
		t.Errorf("untrusted certificate: %v, want a permanent ErrAuth", err)
	}
}

// OAUTHBEARER reads its token file at every login, so a refreshed token is
// used by the next connection: the login message carries the file's token
// of the moment (TestKafkaMechanismsOverTLS logs in to a broker with it).
func TestOAuthBearerRereadsTheTokenFile(t *testing.T) {
	path := t.TempDir() + "/token"
	if err := os.WriteFile(path, []byte("first-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "OAUTHBEARER", OAuthTokenFile: path}
	mech, err := k.Mechanism()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"first-token", "second-token"} {
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, first, err := mech.Authenticate(t.Context(), "broker:9093")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first), "auth=Bearer "+tok+"\x01") {
			t.Errorf("login message %q does not carry %s", first, tok)
		}
	}
}

func TestWarnings(t *testing.T) {
	if w := secure.Warnings(secure.Kafka{TLS: "on", SkipVerify: "off", SASLMechanism: "SCRAM-SHA-512"}, secure.Registry{SkipVerify: "off", Password: "p"}, "https://r"); len(w) != 0 {
		t.Errorf("safe settings warned: %q", w)
	}
	w := secure.Warnings(secure.Kafka{TLS: "off", SkipVerify: "off", SASLMechanism: "PLAIN"}, secure.Registry{SkipVerify: "on", Password: "p"}, "http://r")
	if len(w) != 3 {
		t.Errorf("want 3 warnings (PLAIN in the clear, registry skip-verify, password over http), got %q", w)
	}
}

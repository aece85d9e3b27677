// Package secure turns the connection security settings both programs share
// (Kafka TLS and SASL, Schema Registry TLS and basic auth) into client
// options, and says clearly when the other side refuses the credentials.
//
// The settings are plain fields with env tags, embedded in each program's
// Config, so go-envconfig loads them and --help and the README describe
// them like every other setting:
//
//	type Config struct {
//		Kafka    secure.Kafka
//		Registry secure.Registry
//		...
//	}
//	kopts, err := cfg.Kafka.Opts()            // kgo.DialTLSConfig, kgo.SASL
//	sopts, err := cfg.Registry.Opts(url)      // sr.DialTLSConfig, sr.BasicAuth
//
// Passwords are tagged secret:"true" and are never part of an error or a
// log line this package writes.
package secure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/twmb/franz-go/pkg/sr"
)

// Kafka is how a program connects to the brokers: TLS and SASL.
type Kafka struct {
	TLS            string `env:"KAFKA_TLS,default=off" help:"on encrypts the connections to the brokers with TLS (managed Kafka: on); off speaks plaintext."`
	CAFile         string `env:"KAFKA_TLS_CA_FILE" help:"PEM file of the certificate authorities that signed the brokers' certificates; empty trusts the system's roots. Needs KAFKA_TLS=on."`
	CertFile       string `env:"KAFKA_TLS_CERT_FILE" help:"PEM client certificate, for brokers that authenticate clients by certificate (mutual TLS); with KAFKA_TLS_KEY_FILE."`
	KeyFile        string `env:"KAFKA_TLS_KEY_FILE" help:"PEM private key of KAFKA_TLS_CERT_FILE."`
	ServerName     string `env:"KAFKA_TLS_SERVER_NAME" help:"Name the brokers' certificates must carry, when it is not the host name dialed (brokers reached through a tunnel or by IP address); empty checks each broker's own host name."`
	SkipVerify     string `env:"KAFKA_TLS_INSECURE_SKIP_VERIFY,default=off" help:"on accepts any broker certificate (no check at all: for a test cluster only, never in production); off checks it."`
	SASLMechanism  string `env:"KAFKA_SASL_MECHANISM" help:"SASL mechanism to authenticate with: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (user and password) or OAUTHBEARER (a token file); empty: no SASL. Use it over TLS: PLAIN sends the password as it is."`
	SASLUser       string `env:"KAFKA_SASL_USERNAME" help:"SASL user name (with KAFKA_SASL_MECHANISM)."`
	SASLPassword   string `env:"KAFKA_SASL_PASSWORD" secret:"true" help:"SASL password (with KAFKA_SASL_MECHANISM); keep it in a secret, never in a file under version control."`
	OAuthTokenFile string `env:"KAFKA_SASL_OAUTH_TOKEN_FILE" help:"With KAFKA_SASL_MECHANISM=OAUTHBEARER: file holding the bearer token, read again at every login, so a token a sidecar or a projected volume refreshes is picked up."`
}

// Registry is how a program connects to the Schema Registry: basic auth,
// and TLS for an https:// SCHEMA_REGISTRY_URL.
type Registry struct {
	User       string `env:"SCHEMA_REGISTRY_USERNAME" help:"User name for the registry's HTTP basic authentication (Confluent Cloud: the API key); empty sends none."`
	Password   string `env:"SCHEMA_REGISTRY_PASSWORD" secret:"true" help:"Password for the registry's basic authentication (Confluent Cloud: the API secret)."`
	CAFile     string `env:"SCHEMA_REGISTRY_TLS_CA_FILE" help:"PEM file of the certificate authorities of an https:// SCHEMA_REGISTRY_URL; empty trusts the system's roots."`
	CertFile   string `env:"SCHEMA_REGISTRY_TLS_CERT_FILE" help:"PEM client certificate for a registry that authenticates clients by certificate; with SCHEMA_REGISTRY_TLS_KEY_FILE."`
	KeyFile    string `env:"SCHEMA_REGISTRY_TLS_KEY_FILE" help:"PEM private key of SCHEMA_REGISTRY_TLS_CERT_FILE."`
	SkipVerify string `env:"SCHEMA_REGISTRY_TLS_INSECURE_SKIP_VERIFY,default=off" help:"on accepts any registry certificate (a test registry only); off checks it."`
}

// Mechanisms are the SASL mechanisms KAFKA_SASL_MECHANISM accepts.
var Mechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}

// Opts validates the settings and returns the kgo options that apply them
// (none for plaintext without SASL). Every error names the variable.
func (k Kafka) Opts() ([]kgo.Opt, error) {
	if err := onOff("KAFKA_TLS", k.TLS); err != nil {
		return nil, err
	}
	if err := onOff("KAFKA_TLS_INSECURE_SKIP_VERIFY", k.SkipVerify); err != nil {
		return nil, err
	}
	var opts []kgo.Opt
	if k.TLS == "on" {
		cfg, err := tlsConfig("KAFKA_TLS", k.CAFile, k.CertFile, k.KeyFile, k.SkipVerify == "on")
		if err != nil {
			return nil, err
		}
		cfg.ServerName = k.ServerName
		opts = append(opts, kgo.DialTLSConfig(cfg))
	} else {
		for _, s := range []struct{ name, v string }{{"KAFKA_TLS_CA_FILE", k.CAFile}, {"KAFKA_TLS_CERT_FILE", k.CertFile},
			{"KAFKA_TLS_KEY_FILE", k.KeyFile}, {"KAFKA_TLS_SERVER_NAME", k.ServerName}} {
			if s.v != "" {
				return nil, fmt.Errorf("%s is set but KAFKA_TLS is off: set KAFKA_TLS=on to use TLS", s.name)
			}
		}
		if k.SkipVerify == "on" {
			return nil, errors.New("KAFKA_TLS_INSECURE_SKIP_VERIFY=on but KAFKA_TLS is off: set KAFKA_TLS=on to use TLS")
		}
	}
	mech, err := k.Mechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// Mechanism returns the SASL mechanism the settings name, nil for none.
func (k Kafka) Mechanism() (sasl.Mechanism, error) {
	if strings.EqualFold(k.SASLMechanism, "OAUTHBEARER") {
		if k.OAuthTokenFile == "" {
			return nil, errors.New("KAFKA_SASL_MECHANISM=OAUTHBEARER needs KAFKA_SASL_OAUTH_TOKEN_FILE")
		}
		if _, err := readToken(k.OAuthTokenFile); err != nil {
			return nil, err
		}
		return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
			tok, err := readToken(k.OAuthTokenFile)
			return oauth.Auth{Token: tok}, err
		}), nil
	}
	if k.OAuthTokenFile != "" {
		return nil, errors.New("KAFKA_SASL_OAUTH_TOKEN_FILE is set but KAFKA_SASL_MECHANISM is not OAUTHBEARER")
	}
	if k.SASLMechanism == "" {
		if k.SASLUser != "" || k.SASLPassword != "" {
			return nil, fmt.Errorf("KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is empty: want %s", strings.Join(Mechanisms, ", "))
		}
		return nil, nil
	}
	if k.SASLUser == "" || k.SASLPassword == "" {
		return nil, fmt.Errorf("KAFKA_SASL_MECHANISM=%s needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", k.SASLMechanism)
	}
	switch strings.ToUpper(k.SASLMechanism) {
	case "PLAIN":
		return plain.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: k.SASLUser, Pass: k.SASLPassword}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("KAFKA_SASL_MECHANISM %q: want %s", k.SASLMechanism, strings.Join(Mechanisms, ", "))
}

// readToken reads an OAuth bearer token file, without its surrounding
// white space.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("KAFKA_SASL_OAUTH_TOKEN_FILE: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("KAFKA_SASL_OAUTH_TOKEN_FILE %s is empty", path)
	}
	return tok, nil
}

// Opts validates the settings for a registry at rawURL and returns the sr
// options that apply them, the URL first.
func (r Registry) Opts(rawURL string) ([]sr.ClientOpt, error) {
	if err := onOff("SCHEMA_REGISTRY_TLS_INSECURE_SKIP_VERIFY", r.SkipVerify); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("SCHEMA_REGISTRY_URL %q: want http://host:port or https://host:port", Redact(rawURL))
	}
	opts := []sr.ClientOpt{sr.URLs(rawURL)}
	user, pass := r.User, r.Password
	if u.User != nil && user == "" {
		// Credentials in the URL work too, as with Confluent's clients.
		user = u.User.Username()
		pass, _ = u.User.Password()
		stripped := *u
		stripped.User = nil
		opts[0] = sr.URLs(stripped.String())
	}
	if (user == "") != (pass == "") {
		return nil, errors.New("SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together: set both or neither")
	}
	if user != "" {
		opts = append(opts, sr.BasicAuth(user, pass))
	}
	if u.Scheme == "https" {
		cfg, err := tlsConfig("SCHEMA_REGISTRY_TLS", r.CAFile, r.CertFile, r.KeyFile, r.SkipVerify == "on")
		if err != nil {
			return nil, err
		}
		opts = append(opts, sr.HTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}}))
	} else if r.CAFile != "" || r.CertFile != "" || r.KeyFile != "" || r.SkipVerify == "on" {
		return nil, fmt.Errorf("SCHEMA_REGISTRY_TLS_* settings are given but SCHEMA_REGISTRY_URL %s is not https://", Redact(rawURL))
	}
	return opts, nil
}

// tlsConfig builds a client TLS configuration from PEM files; prefix names
// the settings in errors.
func tlsConfig(prefix, caFile, certFile, keyFile string, skipVerify bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify} //nolint:gosec // only when asked
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%s_CA_FILE: %w", prefix, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s_CA_FILE %s holds no PEM certificate", prefix, caFile)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("%s_CERT_FILE and %s_KEY_FILE go together: set both or neither", prefix, prefix)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("%s_CERT_FILE / %s_KEY_FILE: %w", prefix, prefix, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func onOff(name, v string) error {
	if v == "on" || v == "off" {
		return nil
	}
	return fmt.Errorf("%s %q: want on or off", name, v)
}

// Redact returns a URL or connection string with its password replaced by
// xxxxx, for errors and logs.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

// ErrAuth means a server refused the credentials or the certificate: a
// retry cannot help, the settings must change (retry.IsTransient says no).
var ErrAuth error = authError{}

type authError struct{}

func (authError) Error() string   { return "authentication refused" }
func (authError) Permanent() bool { return true }

// Explain turns an error of talking to Kafka or the registry that comes from
// refused credentials or a refused certificate into one sentence naming the
// settings to check, wrapping ErrAuth and the original error; other errors
// are returned as they are.
func Explain(err error) error {
	if err == nil || errors.Is(err, ErrAuth) {
		return err
	}
	var re *sr.ResponseError
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState), errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("%w: Kafka refused the SASL login; check KAFKA_SASL_MECHANISM and its credentials (KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or KAFKA_SASL_OAUTH_TOKEN_FILE for OAUTHBEARER): %w", ErrAuth, err)
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.GroupAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed), errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
		return fmt.Errorf("%w: Kafka refused an operation to this user; grant the ACLs the README's least privileges list: %w", ErrAuth, err)
	case errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden):
		return fmt.Errorf("%w: the schema registry answered %d; check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD: %w", ErrAuth, re.StatusCode, err)
	}
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ae tls.AlertError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &ce), errors.As(err, &ue), errors.As(err, &he):
		return fmt.Errorf("%w: the server's TLS certificate is not trusted; check the *_TLS_CA_FILE and *_TLS_SERVER_NAME settings: %w", ErrAuth, err)
	case errors.As(err, &ae):
		return fmt.Errorf("%w: the server refused the TLS handshake (a client certificate missing or refused?); check the *_TLS_CERT_FILE settings: %w", ErrAuth, err)
	case errors.As(err, &rh):
		return fmt.Errorf("%w: the server does not speak TLS; check KAFKA_TLS and the https:// of SCHEMA_REGISTRY_URL: %w", ErrAuth, err)
	}
	return err
}

// Warnings lists what in the settings weakens security, for the programs to
// log once at start: certificate checks turned off, a password sent in the
// clear.
func Warnings(k Kafka, r Registry, registryURL string) []string {
	var w []string
	if k.TLS == "on" && k.SkipVerify == "on" {
		w = append(w, "KAFKA_TLS_INSECURE_SKIP_VERIFY=on: the brokers' certificates are not checked; use it with a test cluster only")
	}
	if k.TLS != "on" && strings.EqualFold(k.SASLMechanism, "PLAIN") {
		w = append(w, "KAFKA_SASL_MECHANISM=PLAIN without KAFKA_TLS=on sends the Kafka password in the clear")
	}
	if r.SkipVerify == "on" {
		w = append(w, "SCHEMA_REGISTRY_TLS_INSECURE_SKIP_VERIFY=on: the registry's certificate is not checked; use it with a test registry only")
	}
	if strings.HasPrefix(registryURL, "http://") && (r.Password != "" || strings.Contains(registryURL, "@")) {
		w = append(w, "SCHEMA_REGISTRY_URL is http:// and the registry password goes in the clear; use https://")
	}
	return w
}

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mssql2adb/mssql2adb/internal/devstack"
	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/registry"
	"github.com/mssql2adb/mssql2adb/internal/secure"
	"github.com/mssql2adb/mssql2adb/internal/secure/securetest"
)

const (
	kafkaPassword    = "kafka-Secr3t-pw"
	registryPassword = "registry-Secr3t-pw"
)

// securedStack starts a broker that requires SASL/SCRAM-SHA-256 over TLS
// and a registry (keeping its schemas in that broker) that requires basic
// auth over HTTPS, and returns the settings both programs need for them.
func securedStack(t *testing.T) []string {
	t.Helper()
	certs := securetest.New(t)
	b, err := kafkatest.StartBroker(t.Context(), "127.0.0.1:0", 3,
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "pipeline", kafkaPassword), kfake.TLS(certs.Server))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	vars := []string{
		"KAFKA_BROKERS=" + strings.Join(b.Addrs(), ","),
		"KAFKA_TLS=on", "KAFKA_TLS_CA_FILE=" + certs.CAFile,
		"KAFKA_SASL_MECHANISM=SCRAM-SHA-256", "KAFKA_SASL_USERNAME=pipeline", "KAFKA_SASL_PASSWORD=" + kafkaPassword,
	}
	kopts, err := secure.Kafka{TLS: "on", SkipVerify: "off", CAFile: certs.CAFile,
		SASLMechanism: "SCRAM-SHA-256", SASLUser: "pipeline", SASLPassword: kafkaPassword}.Opts()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(t.Context(), registry.Config{Brokers: b.Addrs(), Topic: devstack.RegistryTopic, KafkaOpts: kopts,
		Users: map[string]string{"schemas": registryPassword}, TLS: certs.Server})
	if err == nil {
		err = reg.Start(t.Context(), "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return append(vars, "SCHEMA_REGISTRY_URL="+reg.URL(), "SCHEMA_REGISTRY_TLS_CA_FILE="+certs.CAFile,
		"SCHEMA_REGISTRY_USERNAME=schemas", "SCHEMA_REGISTRY_PASSWORD="+registryPassword)
}

// TestSecureConnections runs the pipeline once against Kafka that requires
// SASL/SCRAM over TLS and a registry that requires basic auth over HTTPS:
// it converges, no log shows a password, and a wrong Kafka or registry
// password stops the program at once with one error naming the settings.
func TestSecureConnections(t *testing.T) {
	t.Parallel()
	if shared.broker == nil {
		t.Skip("KAFKA_BROKERS is set: this test starts its own secured broker")
	}
	e := newEnv(t)
	e.createSampleTables()
	e.seed(1, 40)
	sec := securedStack(t)
	prod := e.start(shared.producerBin, "producer", e.producerVars(sec...))
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars(sec...))
	e.changes(10)
	e.converge(convergeWithin, prod, cons)
	for _, p := range []*process{prod, cons} {
		for _, pw := range []string{kafkaPassword, registryPassword} {
			if strings.Contains(p.output(), pw) {
				t.Errorf("%s's log shows a password", p.name)
			}
		}
	}

	for _, tc := range []struct {
		name, bin string
		vars      []string
		want      string
	}{
		{"producer, wrong Kafka password", shared.producerBin, e.producerVars(append(sec, "KAFKA_SASL_PASSWORD=wrong-pw")...),
			"check KAFKA_SASL_MECHANISM and its credentials (KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"},
		{"consumer, wrong registry password", shared.consumerBin, e.consumerVars(append(sec, "SCHEMA_REGISTRY_PASSWORD=wrong-pw")...),
			"check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD"},
		{"consumer, plaintext client", shared.consumerBin, e.consumerVars(append(sec, "KAFKA_TLS=off", "KAFKA_TLS_CA_FILE=")...),
			"KAFKA_TLS"},
	} {
		p := e.start(tc.bin, tc.name, tc.vars)
		// RETRY_WINDOW is 30s: exiting well within it shows no retry.
		out, err := p.wait(t, 25*time.Second)
		if err == nil || !strings.Contains(out, tc.want) || !strings.Contains(out, "authentication refused") {
			t.Errorf("%s: exit %v, want a failure saying %q; log:\n%s", tc.name, err, tc.want, out)
		}
		if strings.Contains(out, "wrong-pw") || strings.Contains(out, kafkaPassword) || strings.Contains(out, registryPassword) {
			t.Errorf("%s: the log shows a password:\n%s", tc.name, out)
		}
	}
}

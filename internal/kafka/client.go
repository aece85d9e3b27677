package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/secure"
)

// DefaultClientID is the client id every client of this project announces to
// the brokers unless the caller overrides it with kgo.ClientID.
const DefaultClientID = "mssql2adb"

// ClientOpts returns the options this project uses for every Kafka client:
// the seed brokers, the client id, a 10 s dial timeout (the kgo default of
// 10 s made explicit), a jittered exponential retry backoff from 100 ms to
// 2 s, and a 60 s retry timeout so a dead cluster surfaces as an error
// instead of a hang. Options in extra come last and so override these.
func ClientOpts(brokers []string, extra ...kgo.Opt) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID(DefaultClientID),
		kgo.DialTimeout(10 * time.Second),
		kgo.RetryBackoffFn(backoff),
		kgo.RetryTimeout(60 * time.Second),
	}
	return append(opts, extra...)
}

// backoff grows from 100 ms, doubling per try up to 2 s, with jitter: the
// project's one backoff (retry.Wait).
func backoff(tries int) time.Duration { return retry.Wait(tries, 100*time.Millisecond, 2*time.Second) }

// Ping checks that at least one broker of cl answers. An unreachable cluster
// becomes an error that names the seed brokers and says what to check.
func Ping(ctx context.Context, cl *kgo.Client) error {
	if err := cl.Ping(ctx); err != nil {
		brokers := seedBrokers(cl)
		if aerr := secure.Explain(err); errors.Is(aerr, secure.ErrAuth) {
			return fmt.Errorf("kafka: brokers %s: %w", brokers, aerr)
		}
		if errors.Is(err, io.EOF) && usesSASL(cl) {
			// Kafka answers a refused login with SASL_AUTHENTICATION_FAILED
			// (handled above); some brokers (kfake among them) close the
			// connection instead. Retrying cannot help either way.
			return fmt.Errorf("kafka: brokers %s: %w: the broker closed the connection during the SASL login; check KAFKA_SASL_MECHANISM and its credentials (KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, or KAFKA_SASL_OAUTH_TOKEN_FILE), and KAFKA_TLS: %w",
				brokers, secure.ErrAuth, err)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("kafka: no answer from brokers %s before the deadline: %w; check that Kafka is running and that the broker list (KAFKA_BROKERS) is reachable from here", brokers, err)
		}
		return fmt.Errorf("kafka: cannot reach brokers %s: %w; check that Kafka is running, that the broker list (KAFKA_BROKERS) is right, and that the brokers' advertised listeners are reachable from here", brokers, err)
	}
	return nil
}

func usesSASL(cl *kgo.Client) bool {
	m, ok := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
	return ok && len(m) > 0
}

func seedBrokers(cl *kgo.Client) string {
	if v, ok := cl.OptValue(kgo.SeedBrokers).([]string); ok && len(v) > 0 {
		return strings.Join(v, ",")
	}
	return "(none configured)"
}

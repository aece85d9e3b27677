package secure

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/retry"
)

// ReachRegistry waits, under policy, until the schema registry at url (cl's)
// answers, as both programs do at start. Refused credentials or certificates
// are explained (Explain); the error names SCHEMA_REGISTRY_URL, redacted.
func ReachRegistry(ctx context.Context, policy retry.Policy, cl *sr.Client, url string) error {
	if err := policy.Do(ctx, "reach the schema registry", func(ctx context.Context) error {
		_, err := cl.Subjects(ctx)
		return Explain(err)
	}); err != nil {
		return fmt.Errorf("%w (check SCHEMA_REGISTRY_URL=%s)", err, Redact(url))
	}
	return nil
}

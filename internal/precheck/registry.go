package precheck

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/avro"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// RegistryTables returns the source tables of the change topics of prefix,
// rebuilt from the newest value schema of each topic's subject in the
// schema registry: what the consumer will see. Subjects that are not change
// topics of ours (heartbeats, other programs) are left out.
func RegistryTables(cl *sr.Client, prefix string) func(ctx context.Context) ([]*catalog.Table, error) {
	return func(ctx context.Context) ([]*catalog.Table, error) {
		subjects, err := cl.Subjects(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the schema registry's subjects: %w", err)
		}
		sort.Strings(subjects)
		var out []*catalog.Table
		for _, s := range subjects {
			if !strings.HasPrefix(s, prefix+".") || !strings.HasSuffix(s, "-value") {
				continue
			}
			v, err := cl.SchemaByVersion(ctx, s, -1)
			if err != nil {
				return nil, fmt.Errorf("read the newest schema of subject %s: %w", s, err)
			}
			t, err := avro.TableFromSchemas("", v.Schema.Schema)
			if err != nil {
				continue // not a change topic's envelope
			}
			out = append(out, t)
		}
		return out, nil
	}
}

package avro

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// LatestTables returns the table described by the latest value schema of
// every topic keep accepts (subjects <topic>-value), so that a consumer can
// check its rules against every table before it reads a record. The tables
// are those Decode gives events of the same schema ids. Subjects whose
// latest schema is not one of ours are listed in skipped with the reason;
// err is set only when the registry cannot be read.
func (c *Codec) LatestTables(ctx context.Context, keep func(topic string) bool) (tables []*catalog.Table, skipped []error, err error) {
	subjects, err := c.cl.Subjects(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list the registry's subjects: %w", err)
	}
	sort.Strings(subjects)
	for _, subject := range subjects {
		topic, ok := strings.CutSuffix(subject, "-value")
		if !ok || !keep(topic) {
			continue
		}
		ss, err := c.cl.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			return nil, nil, fmt.Errorf("read the latest schema of subject %s: %w", subject, err)
		}
		c.mu.Lock()
		vl := c.values[ss.ID]
		c.mu.Unlock()
		if vl == nil {
			if vl, err = c.parseValue(ss.ID, ss.Schema); err != nil {
				skipped = append(skipped, fmt.Errorf("subject %s: %w", subject, err))
				continue
			}
		}
		tables = append(tables, vl.table)
	}
	return tables, skipped, nil
}

package apply

import (
	"fmt"
	"slices"
	"strings"
)

// Table types of AnalyticDB for PostgreSQL.
const (
	Distributed = "distributed" // rows spread over the segments by the distribution key
	Replicated  = "replicated"  // a full copy on every segment
)

// Storage kinds of AnalyticDB for PostgreSQL.
const (
	Heap     = "heap"      // row storage with in-place updates; the default
	AORow    = "ao_row"    // append-optimized, row-oriented
	AOColumn = "ao_column" // append-optimized, column-oriented
)

// TableSettings are the AnalyticDB table settings of one target table
// (DTS's "table type, primary key column and distribution key"). The zero
// value is a heap table distributed by its primary key. The postgres
// dialect has none of them and ignores them.
type TableSettings struct {
	// Type is Distributed (default when empty) or Replicated.
	Type string
	// DistributionKey is a subset of the primary key; empty means the
	// whole primary key. A replicated table has none.
	DistributionKey []string
	// Storage is Heap (default when empty), AORow or AOColumn.
	Storage string
	// CompressType (zlib, zstd, lz4, or rle_type for column storage) and
	// CompressLevel compress append-optimized storage; empty and 0 for none.
	CompressType  string
	CompressLevel int
}

// IsZero reports whether s asks for nothing beyond the defaults.
func (s TableSettings) IsZero() bool {
	return (s.Type == "" || s.Type == Distributed) && len(s.DistributionKey) == 0 &&
		(s.Storage == "" || s.Storage == Heap) && s.CompressType == "" && s.CompressLevel == 0
}

// compressLevels are the levels AnalyticDB accepts per compression type.
var compressLevels = map[string][2]int{"zlib": {1, 9}, "zstd": {1, 19}, "lz4": {1, 1}, "rle_type": {1, 4}}

// Check validates s against the table's primary key (target column
// names): the distribution key must be a subset of the primary key, since
// AnalyticDB requires the primary key to contain it.
func (s TableSettings) Check(primaryKey []string) error {
	switch s.Type {
	case "", Distributed:
	case Replicated:
		if len(s.DistributionKey) > 0 {
			return fmt.Errorf("table_type replicated takes no distribution_key: every segment holds every row")
		}
	default:
		return fmt.Errorf("table_type %q: want %s or %s", s.Type, Distributed, Replicated)
	}
	seen := map[string]bool{}
	for _, k := range s.DistributionKey {
		if !slices.Contains(primaryKey, k) {
			return fmt.Errorf("distribution_key column %q is not in the primary key (%s): AnalyticDB requires the primary key to contain the distribution key",
				k, strings.Join(primaryKey, ", "))
		}
		if seen[k] {
			return fmt.Errorf("distribution_key names column %q twice", k)
		}
		seen[k] = true
	}
	switch s.Storage {
	case "", Heap:
		if s.CompressType != "" || s.CompressLevel != 0 {
			return fmt.Errorf("compress_type and compress_level need storage %s or %s: heap tables are not compressed", AORow, AOColumn)
		}
	case AORow, AOColumn:
	default:
		return fmt.Errorf("storage %q: want %s, %s or %s", s.Storage, Heap, AORow, AOColumn)
	}
	if s.CompressType == "" {
		if s.CompressLevel != 0 {
			return fmt.Errorf("compress_level %d needs a compress_type", s.CompressLevel)
		}
		return nil
	}
	r, ok := compressLevels[s.CompressType]
	if !ok {
		return fmt.Errorf("compress_type %q: want zlib, zstd, lz4 or rle_type", s.CompressType)
	}
	if s.CompressType == "rle_type" && s.Storage != AOColumn {
		return fmt.Errorf("compress_type rle_type needs storage %s", AOColumn)
	}
	if s.CompressLevel != 0 && (s.CompressLevel < r[0] || s.CompressLevel > r[1]) {
		return fmt.Errorf("compress_level %d for %s: want %d to %d", s.CompressLevel, s.CompressType, r[0], r[1])
	}
	return nil
}

// withClause is the WITH (…) storage clause of an adbpg CREATE TABLE.
func (s TableSettings) withClause() string {
	switch s.Storage {
	case AORow, AOColumn:
		o := []string{"appendonly=true", "orientation=row"}
		if s.Storage == AOColumn {
			o[1] = "orientation=column"
		}
		if s.CompressType != "" {
			o = append(o, "compresstype="+s.CompressType)
		}
		if s.CompressLevel != 0 {
			o = append(o, fmt.Sprintf("compresslevel=%d", s.CompressLevel))
		}
		return " WITH (" + strings.Join(o, ", ") + ")"
	}
	return " WITH (appendonly=false)"
}

// distribution is the DISTRIBUTED … clause of an adbpg CREATE TABLE.
func (s TableSettings) distribution(key []string) string {
	if s.Type == Replicated {
		return " DISTRIBUTED REPLICATED"
	}
	if len(s.DistributionKey) > 0 {
		return distributedBy(s.DistributionKey)
	}
	return distributedBy(key)
}

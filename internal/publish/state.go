package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// StateKey is the key of a source database's record in the state topic:
// one producer per source database and topic prefix.
func StateKey(prefix, database string) string { return prefix + "." + database }

// LoadPosition reads where the last committed batch left the source: the
// value of the state record key in topic, as Publish wrote it (the JSON of
// source.Position, schemas/state.schema.json). No record is the zero
// position: start with a snapshot.
func LoadPosition(ctx context.Context, cl *kgo.Client, topic, key string, log *slog.Logger) (source.Position, error) {
	var pos source.Position
	b, ok, err := kafka.LoadState(ctx, cl, topic, key)
	if err != nil {
		return pos, fmt.Errorf("read source position from %s: %w", topic, err)
	}
	if !ok {
		log.Info("no saved position: starting with a snapshot", "state_topic", topic, "key", key)
		return pos, nil
	}
	if err := json.Unmarshal(b, &pos); err != nil {
		return pos, fmt.Errorf("source position in %s (key %s) is unreadable: %w; delete that key to start over with a new snapshot", topic, key, err)
	}
	log.Info("resuming from saved position", "position", pos.String())
	return pos, nil
}

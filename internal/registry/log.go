package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Record key types in the schemas topic.
const (
	keySchema = "SCHEMA"
	keyConfig = "CONFIG"
)

// recordKey is the JSON key of a record in the schemas topic. Compaction
// keeps the last record per key: one per subject version, one per subject
// config, one for the global config.
type recordKey struct {
	KeyType string `json:"keytype"`
	Subject string `json:"subject,omitempty"`
	Version int    `json:"version,omitempty"`
	Magic   int    `json:"magic"`
}

// schemaValue is the value of a SCHEMA record; a tombstone (no value)
// removes the version for good.
type schemaValue struct {
	Subject    string `json:"subject"`
	Version    int    `json:"version"`
	ID         int    `json:"id"`
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType,omitempty"`
	Deleted    bool   `json:"deleted"`
}

// configValue is the value of a CONFIG record; a tombstone removes a
// subject's own level so the global one applies.
type configValue struct {
	CompatibilityLevel string `json:"compatibilityLevel"`
}

// logRecord is one record of the schemas log.
type logRecord struct {
	Key   []byte
	Value []byte // nil: tombstone
}

func schemaRecord(v schemaValue) (logRecord, error) {
	k, err := json.Marshal(recordKey{KeyType: keySchema, Subject: v.Subject, Version: v.Version, Magic: 1})
	if err != nil {
		return logRecord{}, err
	}
	b, err := json.Marshal(v)
	return logRecord{Key: k, Value: b}, err
}

func schemaTombstone(subject string, version int) (logRecord, error) {
	k, err := json.Marshal(recordKey{KeyType: keySchema, Subject: subject, Version: version, Magic: 1})
	return logRecord{Key: k}, err
}

func configRecord(subject, level string) (logRecord, error) {
	k, err := json.Marshal(recordKey{KeyType: keyConfig, Subject: subject})
	if err != nil {
		return logRecord{}, err
	}
	if level == "" {
		return logRecord{Key: k}, nil
	}
	b, err := json.Marshal(configValue{CompatibilityLevel: level})
	return logRecord{Key: k, Value: b}, err
}

// store is where the log lives. append writes records durably; poll hands
// every record not yet handed out, in log order, to fn.
type store interface {
	append(ctx context.Context, recs ...logRecord) error
	poll(ctx context.Context, fn func(logRecord) error) error
	close() error
}

// memStore keeps the log in memory, for unit tests.
type memStore struct {
	mu   sync.Mutex
	log  []logRecord
	next int
}

func (m *memStore) append(_ context.Context, recs ...logRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, recs...)
	return nil
}

func (m *memStore) poll(_ context.Context, fn func(logRecord) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; m.next < len(m.log); m.next++ {
		if err := fn(m.log[m.next]); err != nil {
			return fmt.Errorf("apply record %d: %w", m.next, err)
		}
	}
	return nil
}

func (m *memStore) close() error { return nil }

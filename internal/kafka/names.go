package kafka

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/kafka/topicname"
)

// MaxTopicNameLen is the longest topic name Kafka accepts (see topicname.MaxLen).
const MaxTopicNameLen = topicname.MaxLen

// MaxTopicPrefixLen bounds TOPIC_PREFIX so that ChangeTopicName can always
// shorten a topic name without cutting into the prefix, which the consumer
// subscribes by.
const MaxTopicPrefixLen = 200

// ErrInvalidTopicName is wrapped by ValidateTopicName's errors.
var ErrInvalidTopicName = topicname.ErrInvalid

// ValidateTopicName checks name against the rules a Kafka broker enforces
// when a topic is created (Kafka's Topic.validate): not empty, not "." or
// "..", at most 249 characters, and only ASCII letters, digits, '.', '_'
// and '-'. The embedded broker enforces the same rules, so tests see what a
// real cluster sees.
func ValidateTopicName(name string) error { return topicname.Validate(name) }

// ValidateTopicPrefix checks a TOPIC_PREFIX: a valid topic name itself, short
// enough (MaxTopicPrefixLen) that every change topic keeps it whole.
func ValidateTopicPrefix(prefix string) error {
	if err := ValidateTopicName(prefix); err != nil {
		return err
	}
	if len(prefix) > MaxTopicPrefixLen {
		return fmt.Errorf("%w: prefix %q is %d characters long; at most %d leave room for the database, schema and table", ErrInvalidTopicName, prefix, len(prefix), MaxTopicPrefixLen)
	}
	return nil
}

func topicChar(r rune) bool { return topicname.Char(r) }

// TopicCollisionKey is what Kafka compares to decide that two topic names
// collide: '.' and '_' count as the same character (both become '_' in
// metric names), so a cluster holding a.b refuses to create a_b.
func TopicCollisionKey(name string) string { return strings.ReplaceAll(name, ".", "_") }

// topicHashLen is the number of hex digits of the hash that ends a
// shortened topic name.
const topicHashLen = 8

// ChangeTopicName is the topic of a table: <prefix>.<part>.<part>… (the
// parts are the database, schema and table names), made valid for Kafka
// with Debezium's rule for topic names plus a rule for length:
//
//   - every character of a part outside [A-Za-z0-9._-] becomes '_' (a space,
//     a bracket, a quote, a non-ASCII letter: one '_' per character), so
//     dbo.[Order Details] becomes dbo.Order_Details;
//   - a name longer than 249 characters keeps its first 240 and ends with
//     '_' and 8 hex digits of the SHA-256 of the original prefix and parts,
//     so it stays stable across restarts and distinct from its neighbours.
//
// The rule can map two tables to one topic (Order Details and
// Order_Details), and Kafka cannot tell '.' from '_' (TopicCollisionKey):
// the producer refuses such tables at start rather than mixing them. The
// prefix is kept as it is: check it with ValidateTopicPrefix first.
func ChangeTopicName(prefix string, parts ...string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range parts {
		b.WriteByte('.')
		for _, r := range p {
			if topicChar(r) {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
	}
	name := b.String()
	if len(name) <= MaxTopicNameLen {
		return name
	}
	// The hash is of the original names, each ended by a NUL (which no SQL
	// Server identifier holds), so that distinct tables get distinct hashes
	// even when their replaced names are equal.
	h := sha256.New()
	h.Write([]byte(prefix))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	sum := hex.EncodeToString(h.Sum(nil))[:topicHashLen]
	keep := MaxTopicNameLen - 1 - topicHashLen
	// name is ASCII from here on: every other character became '_'.
	return name[:keep] + "_" + sum
}

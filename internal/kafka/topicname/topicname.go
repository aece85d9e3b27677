// Package topicname holds the rules a Kafka broker applies to topic names,
// shared by the kafka package and the in-process test broker (kafkatest),
// which must not depend on each other.
package topicname

import (
	"errors"
	"fmt"
)

// MaxLen is the longest topic name Kafka accepts (its
// Topic.MAX_NAME_LENGTH): a partition's log directory is
// <topic>-<partition>, and it must fit the 255 bytes of a file name.
const MaxLen = 249

// ErrInvalid is wrapped by Validate's errors.
var ErrInvalid = errors.New("invalid Kafka topic name")

// Validate checks name against the rules a Kafka broker enforces when a
// topic is created (Kafka's Topic.validate): not empty, not "." or "..", at
// most 249 characters, and only ASCII letters, digits, '.', '_' and '-'.
func Validate(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the name is empty", ErrInvalid)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is not allowed", ErrInvalid, name)
	case len(name) > MaxLen:
		return fmt.Errorf("%w: %q is %d characters long, more than Kafka's %d", ErrInvalid, name, len(name), MaxLen)
	}
	for _, r := range name {
		if !Char(r) {
			return fmt.Errorf("%w: %q holds %q; Kafka allows only ASCII letters, digits, '.', '_' and '-'", ErrInvalid, name, r)
		}
	}
	return nil
}

// Char reports whether Kafka allows r in a topic name.
func Char(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

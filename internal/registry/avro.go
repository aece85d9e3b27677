package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"
)

// Compatibility levels, as the REST API spells them.
const (
	None               = "NONE"
	Backward           = "BACKWARD"
	BackwardTransitive = "BACKWARD_TRANSITIVE"
	Forward            = "FORWARD"
	ForwardTransitive  = "FORWARD_TRANSITIVE"
	Full               = "FULL"
	FullTransitive     = "FULL_TRANSITIVE"
)

// normaliseLevel returns the canonical spelling of a compatibility level,
// or false when it is not one.
func normaliseLevel(s string) (string, bool) {
	switch l := strings.ToUpper(strings.TrimSpace(s)); l {
	case None, Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive:
		return l, true
	}
	return "", false
}

// parsedSchema is a schema as the registry keeps it.
type parsedSchema struct {
	text  string // compact JSON of the text first registered
	canon string // normalised form: the identity of the schema
	avro  avro.Schema
}

// parseAvro validates an Avro schema and computes its forms. Each parse has
// its own name cache: hamba/avro's default cache is process-wide and would
// let a name defined by one schema leak into another.
func parseAvro(text string) (*parsedSchema, error) {
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil {
		return nil, err
	}
	canon, err := normaliseJSON(compact.Bytes())
	if err != nil {
		return nil, err
	}
	return &parsedSchema{text: compact.String(), canon: canon, avro: s}, nil
}

// normaliseJSON re-encodes JSON with object keys sorted and no whitespace,
// keeping numbers as written, so two texts of the same schema compare
// equal. Unlike Avro's Parsing Canonical Form it keeps defaults, docs and
// logical types, which matter to readers.
func normaliseJSON(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// checkCompatibility checks candidate against the earlier schemas of a
// subject (oldest first) under level and returns why it is incompatible;
// an empty result means compatible. Non-transitive levels only look at the
// latest schema.
func checkCompatibility(level string, candidate avro.Schema, earlier []avro.Schema) []string {
	if level == None || len(earlier) == 0 {
		return nil
	}
	against := earlier
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		against = earlier[len(earlier)-1:]
	}
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	// A fresh checker per call: its cache is keyed by Parsing Canonical
	// Form fingerprints, which ignore defaults, so a shared cache could
	// answer for a different schema.
	sc := avro.NewSchemaCompatibility()
	var msgs []string
	for i := len(against) - 1; i >= 0; i-- {
		old := against[i]
		if base == Backward || base == Full {
			if err := sc.Compatible(candidate, old); err != nil {
				msgs = append(msgs, fmt.Sprintf("new schema cannot read data written with an earlier schema (%s): %v", base, err))
			}
		}
		if base == Forward || base == Full {
			if err := sc.Compatible(old, candidate); err != nil {
				msgs = append(msgs, fmt.Sprintf("an earlier schema cannot read data written with the new schema (%s): %v", base, err))
			}
		}
	}
	return msgs
}

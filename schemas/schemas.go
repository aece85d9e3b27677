// Package schemas holds the fixed schemas, embedded in the binaries: the
// envelope's source block (Debezium's SQL Server Source record, Avro) and
// the JSON Schema of the producer's state record. Table row schemas are not
// here: internal/avro generates them from the source catalog, the heartbeat
// table's too (the heartbeat travels as a captured table).
package schemas

import _ "embed"

// Source is io.debezium.connector.sqlserver.Source, the envelope's source
// block. internal/avro embeds it, compacted, in every generated value schema.
//
//go:embed source.avsc
var Source string

// StateJSON is the JSON Schema of the value of a state topic record: the
// producer's source position (internal/source's Position in JSON).
//
//go:embed state.schema.json
var StateJSON string

// All returns every fixed Avro schema by file name, for tests and tools.
func All() map[string]string {
	return map[string]string{
		"source.avsc": Source,
	}
}

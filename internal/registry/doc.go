// Package registry is an embedded schema registry that speaks the Confluent
// Schema Registry REST API, for the dev stack and tests. Production uses a
// real registry; clients cannot tell the difference for what this project
// does (register, look up, fetch by id, check compatibility).
//
// Schemas live in a compacted Kafka topic (_schemas by default, created if
// missing), read fully at start, so a restarted registry serves the same
// ids; with no brokers configured they live in memory only. Every change is
// written to the topic first and applied when read back, so the topic is
// the only source of truth. Run one registry per topic: two instances would
// allocate ids independently.
//
// Only AVRO schemas are accepted, without references. Compatibility is
// checked for real (BACKWARD, FORWARD, FULL and their _TRANSITIVE forms,
// NONE) with hamba/avro's schema compatibility; schemas are compared by a
// normalised form (whitespace and key order ignored), so registering the
// same schema again, or under another subject, returns the same id.
//
//	reg, err := registry.New(ctx, registry.Config{Brokers: brokers})
//	if err := reg.Start(ctx, "127.0.0.1:8081"); err != nil { ... }
//	defer reg.Close()
//	// clients use reg.URL()
package registry

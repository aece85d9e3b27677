// Package registry is an embedded schema registry that speaks the Confluent
// Schema Registry REST API, for the dev stack and tests. Production uses a
// real registry; clients cannot tell the difference for what this project
// does (register, look up, fetch by id, check compatibility).
//
// It exists because nothing smaller does the job here: franz-go has a fake
// Kafka broker (kfake) but no registry, its srfake checks no compatibility
// (so a schema change the real registry refuses would pass every test), and
// Confluent's registry needs a JVM this build machine does not have. It
// holds only what the programs and independent clients (kcat,
// confluent-kafka-python) use: subjects, versions, ids, compatibility
// levels and checks, persistence in a topic, and optional basic auth and
// TLS; no references, no JSON Schema or Protobuf, no modes or contexts.
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
// NONE) with hamba/avro's schema compatibility: the levels beyond BACKWARD
// (what the programs rely on) cost a dozen lines over hamba's checker and
// let a user whose production registry runs FULL see the same refusal in the
// dev stack, so they stay. Schemas are compared by a
// normalised form (whitespace and key order ignored), so registering the
// same schema again, or under another subject, returns the same id.
//
//	reg, err := registry.New(ctx, registry.Config{Brokers: brokers})
//	if err := reg.Start(ctx, "127.0.0.1:8081"); err != nil { ... }
//	defer reg.Close()
//	// clients use reg.URL()
package registry

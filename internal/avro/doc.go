// Package avro turns change events into Avro records in the Confluent Schema
// Registry wire format and back, with Debezium's SQL Server envelope.
//
// # Schemas
//
// KeySchema and ValueSchema generate a table's schemas from its
// catalog.Table; they are pure and canonical (same table, same bytes). The
// key is record <prefix>.<db>.<schema>.<table>.Key with the primary-key
// columns; the value is record ...Envelope with Debezium's fields:
//
//	before       ["null", ...Value]   the row before the change (updates, deletes)
//	after        ["null", ...Value]   the row after the change (reads, inserts, updates)
//	source       io.debezium.connector.sqlserver.Source (schemas/source.avsc)
//	op           string               r, c, u or d
//	ts_ms        ["null", "long"]     when the producer wrote the event
//	transaction  ["null", event.block] always null for now
//	unchanged    ["null", {"type": "array", "items": "string"}]
//
// ...Value has one field per column in source ordinal order; its type follows
// the table in TYPES.md (see typeMappings), a union ["null", T] with default
// null when the column is nullable or a large value (text, ntext, image, xml,
// the (max) types). Every column field carries the exact source column:
// mssql.type, mssql.ordinal, and when set mssql.length, mssql.precision,
// mssql.scale, mssql.collation, mssql.identity, plus mssql.nullable and,
// when the Avro name had to change, mssql.name. The Value record carries
// mssql.database, mssql.schema, mssql.table, mssql.primary_key and
// mssql.capture_instance. TableFromSchemas reads all of it back.
//
// Record, namespace and field names follow Avro's rules for any SQL Server
// identifier: characters outside [A-Za-z0-9_] become _uXXXX (avroName), and
// two columns that would get the same field name are kept apart by a hash
// suffix on the later one (fieldNames). Names are never read back from Avro
// names or topic names: the decoder takes the database, schema, table and
// column names from the mssql.* properties, exactly as SQL Server has them.
//
// # Unchanged large values
//
// SQL Server's change tables leave text, ntext and image (and may leave the
// other large types) NULL in an update's after image when the update did
// not change them; event.Row holds event.Unchanged there. On the wire such a
// column is null in after and its source column name is listed in the
// envelope's unchanged field; Decode puts event.Unchanged back. A reader
// that ignores unchanged (a Debezium tool) sees null, as Debezium itself
// writes for SQL Server. Only large-value columns can be Unchanged, which is
// why their Avro type is always nullable. An Unchanged value in before is
// written as null and decodes as nil: SQL Server never has those values.
//
// # Values
//
// Values are written and read by this package's own Avro binary coder, not
// hamba's reflection: decimals go from *big.Rat to the unscaled integer and
// back without float64, and a value that does not fit the column's scale or
// precision is refused with an error naming the table, column and value;
// timestamps are the wall clock, converted without the process's time zone;
// times and timestamps are rounded half up to the microsecond (the 7th
// digit of time(7), datetime2(7) and datetime's 1/300 s ticks), except
// that a value never rounds past 23:59:59.999999 or 9999-12-31
// 23:59:59.999999 (no 24:00:00, no year 10000);
// datetimeoffset keeps its offset and full precision as ISO-8601 text.
// hamba parses schemas, checks compatibility and decodes the envelope's
// other fields (op, ts_ms, unchanged, the source block's numbers), with
// limits on what a corrupt length may allocate. Decode never panics on bad
// input (FuzzDecode); errors about the record's own bytes wrap ErrMalformed,
// so a consumer can tell them from a registry outage.
//
// # Evolution
//
// A new nullable column gives a new value schema whose new field defaults to
// null, BACKWARD compatible with the previous one. Decode always returns the
// writer's shape (its Table); Conform re-shapes an event to the current
// table, nil in columns the writer did not have.
//
// # Repeats kept on purpose
//
// encodeSource, sourceFieldOf, setSourceString and setSourceLong spell out the source block field by field,
// one line each: they are the list of Debezium's fields, read once per event;
// a loop over a table of accessors or reflection would hide that list and
// cost more per event. TestSourceEncoderMatchesSchemaFile ties them to
// schemas/source.avsc.
package avro

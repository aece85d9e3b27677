"""Drives the embedded registry with confluent-kafka-python's
SchemaRegistryClient (Debian's python3-confluent-kafka). Usage:
confluent_client.py URL. Exits non-zero with a message on any mismatch."""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

V1 = ('{"type":"record","name":"Order","namespace":"db.dbo","fields":['
      '{"name":"id","type":"int"},'
      '{"name":"note","type":["null","string"],"default":null}]}')
V1_SPACED = json.dumps(json.loads(V1), indent=2)
V2 = ('{"type":"record","name":"Order","namespace":"db.dbo","fields":['
      '{"name":"id","type":"int"},'
      '{"name":"note","type":["null","string"],"default":null},'
      '{"name":"qty","type":["null","int"],"default":null}]}')
REQUIRED = ('{"type":"record","name":"Order","namespace":"db.dbo","fields":['
            '{"name":"id","type":"int"},{"name":"qty","type":"int"}]}')


def check(cond, what):
    if not cond:
        sys.exit("confluent client check failed: " + what)


def expect_error(fn, http_status, error_code, what):
    try:
        fn()
    except SchemaRegistryError as e:
        check(e.http_status_code == http_status and e.error_code == error_code,
              "%s: got HTTP %s error_code %s (%s), want %s/%s" % (
                  what, e.http_status_code, e.error_code, e.error_message, http_status, error_code))
        return
    sys.exit("confluent client check failed: %s: no error" % what)


def main(url):
    c = SchemaRegistryClient({"url": url})
    subject = "py.dbo.orders-value"
    id1 = c.register_schema(subject, Schema(V1, "AVRO"))
    # A fresh client so that its cache cannot answer for the registry.
    c2 = SchemaRegistryClient({"url": url})
    check(c2.register_schema(subject, Schema(V1_SPACED, "AVRO")) == id1, "re-registering with other whitespace changed the id")
    check(json.loads(c2.get_schema(id1).schema_str) == json.loads(V1), "get_schema returned another schema")
    check(c2.test_compatibility(subject, Schema(V2, "AVRO")) is True, "optional column reported incompatible")
    check(c2.test_compatibility(subject, Schema(REQUIRED, "AVRO")) is False, "required column reported compatible")
    expect_error(lambda: c2.register_schema(subject, Schema(REQUIRED, "AVRO")), 409, 409, "incompatible registration")
    id2 = c2.register_schema(subject, Schema(V2, "AVRO"))
    check(id2 != id1, "a new schema got the old id")
    latest = c2.get_latest_version(subject)
    check(latest.schema_id == id2 and latest.version == 2 and latest.subject == subject, "latest version is %r" % vars(latest))
    check(c2.get_versions(subject) == [1, 2], "versions are %r" % c2.get_versions(subject))
    found = c2.lookup_schema(subject, Schema(V1, "AVRO"))
    check(found.schema_id == id1 and found.version == 1, "lookup found %r" % vars(found))
    check(c2.get_subjects() == [subject], "subjects are %r" % c2.get_subjects())
    check(c2.get_compatibility() == "BACKWARD", "default compatibility is not BACKWARD")
    c2.set_compatibility(subject, "full")
    check(c2.get_compatibility(subject) == "FULL", "subject compatibility not FULL")
    expect_error(lambda: c2.get_version(subject, 9), 404, 40402, "missing version")
    expect_error(lambda: c2.get_latest_version("nope"), 404, 40401, "missing subject")
    expect_error(lambda: c2.get_schema(999), 404, 40403, "missing id")
    expect_error(lambda: c2.register_schema(subject, Schema('{"type":"nope"}', "AVRO")), 422, 42201, "invalid schema")
    check(c2.delete_version(subject, 1) == 1, "delete_version")
    check(c2.get_versions(subject) == [2], "versions after delete are %r" % c2.get_versions(subject))
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])

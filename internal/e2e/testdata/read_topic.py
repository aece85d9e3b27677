"""Reads a change topic with clients that share no code with ours.

librdkafka (python3-confluent-kafka) speaks the Kafka protocol with
read_committed isolation, Confluent's SchemaRegistryClient resolves the
writer schema from the 5-byte header, and Apache Avro (python3-avro)
decodes the body. Prints one JSON line per record.

usage: read_topic.py BROKERS REGISTRY_URL TOPIC COUNT TIMEOUT_SECONDS
"""
import io
import json
import struct
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient

brokers, registry, topic, count, timeout = sys.argv[1:6]
count, timeout = int(count), float(timeout)
reg = SchemaRegistryClient({"url": registry})
schemas = {}


def decode(data):
    if data is None:
        return None
    magic, sid = struct.unpack(">bI", data[:5])
    if magic != 0:
        raise ValueError("bad magic byte %d" % magic)
    if sid not in schemas:
        schemas[sid] = avro.schema.parse(reg.get_schema(sid).schema_str)
    reader = avro.io.DatumReader(schemas[sid])
    return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))


c = Consumer({"bootstrap.servers": brokers, "group.id": "interop-%d" % time.time_ns(),
              "auto.offset.reset": "earliest", "isolation.level": "read_committed",
              "enable.auto.commit": False})
c.subscribe([topic])
got = 0
deadline = time.time() + timeout
while got < count and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise SystemExit("kafka error: %s" % m.error())
    print(json.dumps({"partition": m.partition(), "offset": m.offset(),
                      "key": decode(m.key()), "value": decode(m.value())}, default=str), flush=True)
    got += 1
c.close()
if got < count:
    raise SystemExit("read %d of %d records before the timeout" % (got, count))

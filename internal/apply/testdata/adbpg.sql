CREATE SCHEMA IF NOT EXISTS "dbo";

CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=false) DISTRIBUTED BY ("SchoolId", "Id");

ALTER TABLE "dbo"."Student" ADD COLUMN "Grade" smallint;

CREATE SCHEMA IF NOT EXISTS "mssql2adb";

CREATE TABLE IF NOT EXISTS "mssql2adb".consumer_offsets (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  topic_id text,
  cluster_id text,
  applied_events bigint,
  PRIMARY KEY (group_id, topic, partition)
) DISTRIBUTED BY ("group_id", "topic", "partition");

CREATE TABLE IF NOT EXISTS "mssql2adb".deleted_keys (
  target_schema text NOT NULL,
  target_table text NOT NULL,
  key text NOT NULL,
  __source_lsn bytea NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_schema, target_table, key)
) DISTRIBUTED BY ("target_schema", "target_table", "key");

CREATE TABLE IF NOT EXISTS "mssql2adb".table_sources (
  target_schema text NOT NULL,
  target_table text NOT NULL,
  source_name text NOT NULL,
  source_database text NOT NULL,
  source_schema text NOT NULL,
  source_table text NOT NULL,
  source_incarnation text NOT NULL DEFAULT '',
  topic text NOT NULL DEFAULT '',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_schema, target_table, source_name, source_database, source_schema, source_table)
) DISTRIBUTED BY ("target_schema", "target_table");

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__keep_3" boolean
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId", "Id");

DELETE FROM "dbo"."Student" AS t USING "__stage_0" AS s
WHERE s.__op = 'd' AND t."SchoolId" = s."SchoolId" AND t."Id" = s."Id"
  AND (t."__source_lsn" IS NULL OR t."__source_lsn" <= s."__source_lsn");

INSERT INTO "mssql2adb".deleted_keys AS d (target_schema, target_table, key, "__source_lsn")
SELECT $1, $2, s.__key, s."__source_lsn" FROM "__stage_0" AS s WHERE s.__op = 'd'
ON CONFLICT (target_schema, target_table, key) DO UPDATE SET "__source_lsn" = EXCLUDED."__source_lsn", deleted_at = now()
WHERE d."__source_lsn" < EXCLUDED."__source_lsn";

INSERT INTO "dbo"."Student" AS t ("SchoolId", "Id", "Name", "Notes", "Fee", "Born", "__source_lsn")
SELECT s."SchoolId", s."Id", s."Name", CASE WHEN s."__keep_3" THEN cur."Notes" ELSE s."Notes" END, s."Fee", s."Born", s."__source_lsn"
FROM "__stage_0" AS s
LEFT JOIN "dbo"."Student" AS cur ON cur."SchoolId" = s."SchoolId" AND cur."Id" = s."Id"
WHERE s.__op = 'u' AND NOT EXISTS (
  SELECT 1 FROM "mssql2adb".deleted_keys AS d WHERE d.target_schema = $1 AND d.target_table = $2 AND d.key = s.__key AND d."__source_lsn" >= s."__source_lsn")
ON CONFLICT ("SchoolId", "Id") DO UPDATE SET "Name" = EXCLUDED."Name", "Notes" = EXCLUDED."Notes", "Fee" = EXCLUDED."Fee", "Born" = EXCLUDED."Born", "__source_lsn" = EXCLUDED."__source_lsn"
WHERE t."__source_lsn" IS NULL OR t."__source_lsn" < EXCLUDED."__source_lsn";

DELETE FROM "mssql2adb".deleted_keys AS d USING "__stage_0" AS s
WHERE s.__op = 'u' AND d.target_schema = $1 AND d.target_table = $2 AND d.key = s.__key AND d."__source_lsn" < s."__source_lsn";

SELECT o.topic, o.partition, o.next_offset, coalesce(o.topic_id, '') FROM "mssql2adb".consumer_offsets AS o
JOIN unnest($2::text[], $3::integer[]) AS b(topic, partition) ON o.topic = b.topic AND o.partition = b.partition
WHERE o.group_id = $1
ORDER BY o.topic, o.partition;

INSERT INTO "mssql2adb".consumer_offsets AS o (group_id, topic, partition, next_offset, updated_at, topic_id, cluster_id, applied_events)
SELECT $1, u.topic, u.partition, u.next_offset, now(), NULLIF(u.topic_id, ''), NULLIF(u.cluster_id, ''), u.applied_events
FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::text[], $6::text[], $7::bigint[]) AS u(topic, partition, next_offset, topic_id, cluster_id, applied_events)
ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now(),
  topic_id = COALESCE(EXCLUDED.topic_id, o.topic_id), cluster_id = COALESCE(EXCLUDED.cluster_id, o.cluster_id),
  applied_events = COALESCE(o.applied_events, 0) + EXCLUDED.applied_events
WHERE o.next_offset < EXCLUDED.next_offset;

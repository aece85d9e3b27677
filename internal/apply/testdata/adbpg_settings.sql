-- default
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

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId", "Id");

-- distribution key
CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=false) DISTRIBUTED BY ("SchoolId");

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId");

-- replicated
CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=false) DISTRIBUTED REPLICATED;

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId", "Id");

-- append-optimized row
CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=true, orientation=row) DISTRIBUTED BY ("SchoolId", "Id");

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId", "Id");

-- append-optimized column, zstd
CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=true, orientation=column, compresstype=zstd, compresslevel=5) DISTRIBUTED BY ("Id");

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("Id");

-- append-optimized column, rle
CREATE TABLE IF NOT EXISTS "dbo"."Student" (
  "SchoolId" integer NOT NULL,
  "Id" char(36) NOT NULL,
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6),
  "__source_lsn" bytea,
  PRIMARY KEY ("SchoolId", "Id")
) WITH (appendonly=true, orientation=column, compresstype=rle_type) DISTRIBUTED BY ("SchoolId", "Id");

CREATE TEMPORARY TABLE IF NOT EXISTS "__stage_0" (
  "__op" text,
  "__key" text,
  "__source_lsn" bytea,
  "SchoolId" integer,
  "Id" char(36),
  "Name" varchar(100),
  "Notes" text,
  "Fee" numeric(19,4),
  "Born" timestamp(6)
) ON COMMIT DELETE ROWS DISTRIBUTED BY ("SchoolId", "Id");

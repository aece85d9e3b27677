// Package e2e holds the end-to-end tests: the real producer and consumer
// programs, built from this tree and run as processes, against the real
// go-mssqldb driver talking to SQL Server (or the in-repo emulator), Kafka
// (or in-process kfake on a TCP port), a schema registry and PostgreSQL.
//
// Set MSSQL_DSN (a login that may create databases, e.g.
// sqlserver://sa:pass@host:1433), KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
// TARGET_DSN to run the same tests against real services.
package e2e

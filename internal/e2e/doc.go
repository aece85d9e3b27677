// Package e2e holds the end-to-end tests: the real producer and consumer
// programs, built from this tree and run as processes, against the real
// go-mssqldb driver talking to SQL Server (or the in-repo emulator), Kafka
// (or in-process kfake on a TCP port), a schema registry and PostgreSQL.
//
// Set MSSQL_DSN (a login that may create databases, e.g.
// sqlserver://sa:pass@host:1433), KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
// TARGET_DSN to run the same tests against real services.
//
// Each test has its own source database, topic prefix, group and target
// database, so tests run in parallel (t.Parallel; go test runs as many at
// once as -parallel, GOMAXPROCS by default). Four stay serial because they
// act on what every test shares or measure time: TestChaos (the group must
// be back within the session and rebalance timeouts), TestChaosFaults (it
// times recoveries), TestKafkaTransactionCutRecovers
// (it cuts every EndTxn of the shared broker) and TestReplayRebuildsTargetFromTopicsAlone
// (it compacts the shared broker's topics). go test runs the serial ones
// first, alone.
package e2e

// Package kafka holds the Kafka plumbing shared by the producer, the consumer
// and the dev stack: client options with sensible defaults and a clear error
// when no broker answers, idempotent topic creation, the transactional writer
// that gives the producer exactly-once (a batch of change events and the
// source position that produced it commit together), the reader that loads
// that position back with read_committed isolation. The in-process broker
// for the dev stack and tests is in kafkatest, which production programs do
// not link.
//
// Every commit WriteBatch makes is checked by reading the transaction's
// marker back (one small fetch), because kgo 1.22.3 can, under load, end a
// transaction it was asked to commit with an abort and report success; a
// batch that did not land is written again.
//
// A producer typically does:
//
//	w, err := kafka.NewTxnWriter(ctx, kafka.TxnConfig{
//		Brokers:         brokers,
//		TransactionalID: "mssql2adb-" + sourceID,
//		StateTopic:      "mssql2adb.state",
//	})
//	pos, ok, err := kafka.LoadState(ctx, w.Client(), "mssql2adb.state", sourceID)
//	// ... resume from pos, then for every batch:
//	err = w.WriteBatch(ctx, records, &kgo.Record{Key: []byte(sourceID), Value: newPos})
//	switch {
//	case errors.Is(err, kafka.ErrFenced): // another instance took over: exit
//	case kafka.IsRetriable(err): // write the same batch again later
//	case err != nil: // ErrWriterFailed: close the writer, restart from LoadState
//	}
package kafka

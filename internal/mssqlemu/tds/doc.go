// Package tds is the server side of SQL Server's wire protocol, TDS 7.4, as
// the emulator speaks it to real drivers (go-mssqldb, FreeTDS): PRELOGIN
// with encryption negotiation and the TLS handshake carried in PRELOGIN
// packets (login-only, full, or TDS 8 "strict" TLS), LOGIN7, SQL batches,
// RPC calls (sp_executesql and named procedures with typed parameters),
// transaction manager requests and attention, and the tokens SQL Server
// answers with (COLMETADATA, ROW/NBCROW, DONE*, ENVCHANGE, INFO/ERROR,
// RETURNSTATUS, RETURNVALUE).
//
// What a request means is decided by a Backend (see backend.go); this
// package only decodes requests and encodes results. Values follow the Go
// types documented in package sqltypes.
//
//	srv := tds.NewServer(tds.Config{Logger: logger}, engine)
//	l, err := net.Listen("tcp", "127.0.0.1:1433")
//	if err != nil { ... }
//	go func() { errc <- srv.Serve(ctx, l) }() // returns nil when ctx ends
//	...
//	err = srv.Close() // closes connections, waits for their goroutines
//
// A client then connects with, for example,
// "sqlserver://sa:pw@127.0.0.1:1433?database=db&TrustServerCertificate=true".
package tds

package source_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"time"

	_ "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/retry"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// The producer's wiring: discover the tables (retrying while the server is
// unreachable), then run from the saved position and store each batch with
// its position in one Kafka transaction.
func Example() {
	ctx := context.Background()
	db, err := sql.Open("sqlserver", "sqlserver://user:secret@sqlserver:1433?database=shop")
	if err != nil {
		panic(err)
	}
	cfg := source.Config{Database: "shop", PollInterval: 500 * time.Millisecond, Name: "prod", Logger: slog.Default()}
	var tables []*catalog.Table
	err = retry.Policy{Window: retry.DefaultWindow}.Do(ctx, "discover tables of shop", func(ctx context.Context) error {
		var warnings []source.Warning
		tables, warnings, err = source.Discover(ctx, db, cfg)
		for _, w := range warnings {
			slog.Warn(w.Message, "table", w.Table, "column", w.Column)
		}
		return err
	})
	if err != nil {
		panic(err)
	}
	var from source.Position // or json.Unmarshal of the saved state
	r := source.NewReader(db, cfg, tables)
	_ = r.Run(ctx, from, func(ctx context.Context, b source.Batch) error {
		state, err := json.Marshal(b.Position)
		if err != nil {
			return err
		}
		_ = state // produce b.Events and state in one Kafka transaction, then commit
		return nil
	})
}

package source

import "github.com/mssql2adb/mssql2adb/internal/catalog"

// ConvertValue turns a value go-mssqldb returned for column c into the Go
// type event.Row fixes for it, as the snapshot and the stream do. The
// verification reads source rows through it so both sides compare alike.
func ConvertValue(c catalog.Column, v any) (any, error) { return convert(&c, v) }

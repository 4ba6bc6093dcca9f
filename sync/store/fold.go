package store

import (
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// init registers fold(text), which lower-cases text in SQL for every script
// where SQLite's own lower() knows only ASCII, so that a filter for "müller"
// finds "MÜLLER".
func init() {
	err := sqlite.RegisterDeterministicScalarFunction("fold", 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return strings.ToLower(v), nil
			case []byte:
				return strings.ToLower(string(v)), nil
			default:
				return v, nil
			}
		})
	if err != nil {
		panic("store: registering fold: " + err.Error())
	}
}

// Package readjson decodes the JSON invitesync reads in bulk: Microsoft
// Graph's pages of events, IDM's answers and the operations its outbox
// stored.
//
// It decodes with JSON v2 (github.com/go-json-experiment/json, which is
// encoding/json/v2 of the standard library from Go 1.27 on), in less than
// half the time encoding/json takes, and as leniently: invalid UTF-8
// becomes U+FFFD and, of two members with one name, the last wins. Member
// names match exactly, as Graph and IDM spell them and as encoding/json
// writes them.
package readjson

import (
	"errors"
	"slices"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

var lenient = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// Unmarshal decodes data into v. After a value of the wrong kind (see
// WrongKind), v keeps what was read before it.
func Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v, lenient) }

// WrongKind says, when err is Unmarshal's about a value of the wrong kind,
// where that value is (member names joined by dots, as in
// "organizer.emailAddress") and what kind of JSON value it is ("number",
// "string", "boolean", "null", "object" or "array").
func WrongKind(err error) (field, kind string, ok bool) {
	var se *json.SemanticError
	if !errors.As(err, &se) || se.JSONPointer == "" || se.JSONKind == 0 {
		return "", "", false
	}
	field = strings.Join(slices.Collect(se.JSONPointer.Tokens()), ".")
	switch se.JSONKind {
	case '{':
		kind = "object"
	case '[':
		kind = "array"
	case 't', 'f':
		kind = "boolean"
	default:
		kind = se.JSONKind.String()
	}
	return field, kind, true
}

package readjson

import "testing"

func TestUnmarshalIsLenientAsEncodingJSON(t *testing.T) {
	var v struct {
		Name string `json:"name"`
	}
	if err := Unmarshal([]byte("{\"name\":\"a\xffb\",\"name\":\"last\"}"), &v); err != nil || v.Name != "last" {
		t.Errorf("duplicate names: %q, %v; want the last, no error", v.Name, err)
	}
	if err := Unmarshal([]byte("{\"name\":\"a\xffb\"}"), &v); err != nil || v.Name != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %q, %v; want U+FFFD in its place", v.Name, err)
	}
}

func TestWrongKindNamesTheFieldAndTheKind(t *testing.T) {
	type address struct {
		Address string `json:"address"`
	}
	var v struct {
		ID        string `json:"id"`
		Organizer struct {
			EmailAddress address `json:"emailAddress"`
		} `json:"organizer"`
	}
	for doc, want := range map[string][2]string{
		`{"id":7}`: {"id", "number"},
		`{"id":"e1","organizer":{"emailAddress":{"address":{}}}}`: {"organizer.emailAddress.address", "object"},
		`{"id":true}`:  {"id", "boolean"},
		`{"id":["x"]}`: {"id", "array"},
	} {
		err := Unmarshal([]byte(doc), &v)
		field, kind, ok := WrongKind(err)
		if !ok || field != want[0] || kind != want[1] {
			t.Errorf("%s: WrongKind = %q, %q, %v (error %v); want %q, %q", doc, field, kind, ok, err, want[0], want[1])
		}
	}
	if err := Unmarshal([]byte(`{"id":"e1","organizer":{"emailAddress":{"address":{}}}}`), &v); v.ID != "e1" || err == nil {
		t.Errorf("what was read before the bad value: id %q, error %v", v.ID, err)
	}
	if _, _, ok := WrongKind(Unmarshal([]byte(`{"id":`), &v)); ok {
		t.Error("a truncated document is not a value of the wrong kind")
	}
}

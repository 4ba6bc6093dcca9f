package diag

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDiagnosisAsAnError(t *testing.T) {
	cause := errors.New("AADSTS7000215: invalid client secret")
	d := (&Diagnosis{Step: 3, Code: "AADSTS7000215", Message: "The client secret is wrong.", Fix: "Enter its Value."}).Explaining(cause)
	var err error = d
	if got, want := err.Error(), "AADSTS7000215: The client secret is wrong. Enter its Value."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not see the cause through the diagnosis")
	}
	var back *Diagnosis
	if !errors.As(err, &back) || back.Step != 3 {
		t.Errorf("errors.As = %+v", back)
	}
	if plain := (&Diagnosis{Message: "Not run."}); plain.Error() != "Not run." || plain.Unwrap() != nil {
		t.Errorf("a diagnosis without code, fix or cause: %q, %v", plain.Error(), plain.Unwrap())
	}
}

func TestResultJSON(t *testing.T) {
	r := Result{ID: "token", Diagnosis: Diagnosis{Step: 3, Code: "AADSTS7000215", Message: "m", Fix: "f"}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"id":"token","ok":false,"step":3,"code":"AADSTS7000215","message":"m","fix":"f"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

func TestPassed(t *testing.T) {
	ok, warn, bad := Result{OK: true}, Result{OK: true, Warning: true}, Result{}
	for _, tt := range []struct {
		results []Result
		want    bool
	}{
		{nil, false},
		{[]Result{ok}, true},
		{[]Result{ok, warn}, true},
		{[]Result{ok, bad, ok}, false},
	} {
		if got := Passed(tt.results); got != tt.want {
			t.Errorf("Passed(%+v) = %v, want %v", tt.results, got, tt.want)
		}
	}
}

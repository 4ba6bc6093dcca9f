package tui

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"invitesync/diag"
)

func TestNoColorTakesEveryColourAway(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	p := defaultPalette()
	v := reflect.ValueOf(p)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	for i := range v.NumField() {
		c := v.Field(i).Interface().(lipgloss.TerminalColor)
		if got := r.NewStyle().Foreground(c).Render("x"); got != "x" {
			t.Errorf("%s still colours text: %q", v.Type().Field(i).Name, got)
		}
	}
}

func TestCheckStatusesSayInWords(t *testing.T) {
	l := newCheckList([]CheckInfo{{"token", "Sign in"}, {"calendar", "Read the calendar"}, {"probe", "Least privilege"}, {"idm-health", "Reach IDM"}})
	l = l.update(diag.Result{ID: "token", OK: true})
	l = l.update(diag.Result{ID: "calendar", Diagnosis: diag.Diagnosis{Step: 2, Code: "ErrorAccessDenied"}})
	l = l.update(diag.Result{ID: "probe", OK: true, Warning: true})
	got := l.view(defaultStyles(), "*")
	for _, want := range []string{symbolOK + " ok Sign in", symbolFail + " failed Read the calendar", symbolWarn + " warning Least privilege", "* Reach IDM"} {
		if !strings.Contains(got, want) {
			t.Errorf("check list lacks %q:\n%s", want, got)
		}
	}
}

func TestDiagnosisViewCleansServerText(t *testing.T) {
	r := diag.Result{ID: "idm-health", Diagnosis: diag.Diagnosis{Step: 6, Code: "E\x1b[31mVIL",
		Message: "bad\x1b]52;c;AAAA\x07 key\nnext line", Fix: "Re-enter\x00 it."}}
	got, _ := diagnosisView(defaultStyles(), r, 80, 0)
	if strings.ContainsAny(got, "\x00\x07") || strings.Contains(got, "]52;") || strings.Contains(got, "[31m") {
		t.Errorf("escape sequences reached the screen: %q", got)
	}
	for _, want := range []string{"EVIL", "bad key next line", "Fix: Re-enter it."} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnosis lacks %q: %q", want, got)
		}
	}
}

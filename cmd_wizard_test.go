package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// "Open in browser" is offered wherever an opener is on PATH, with or
// without a graphical display (over SSH too), and not when there is none.
func TestBrowserOpenerIsFoundOnPath(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("macOS and Windows always have one")
	}
	dir := t.TempDir()
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("PATH", dir)
	if browserOpener() != nil {
		t.Fatal("an opener was offered with none on PATH")
	}
	opened := filepath.Join(dir, "opened")
	if err := os.WriteFile(filepath.Join(dir, "wslview"), []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	open := browserOpener()
	if open == nil {
		t.Fatal("no opener offered with wslview on PATH and no DISPLAY")
	}
	const url = "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
	if err := open(url); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(opened); err != nil || string(b) != url {
		t.Errorf("the opener got %q (%v)", b, err)
	}
}

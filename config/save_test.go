package config_test

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"invitesync/config"
)

func TestSaveRefusesToReplaceABrokenFile(t *testing.T) {
	broken := "[idm]\nurl = \"https://idm.example.com\"\n\n[[automation]]\nname = \"Front desk\nmailbox = \"visitors@contoso.com\"\n"
	path := writeFile(t, broken)

	err := config.Save(path, sampleConfig())
	if !errors.Is(err, config.ErrCorrupt) {
		t.Fatalf("Save over a broken file = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{"not overwriting", path + ":5:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != broken {
		t.Fatalf("the broken file changed:\n%s", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}

	if err := config.Overwrite(path, sampleConfig()); err != nil {
		t.Fatalf("Overwrite: %v", err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("after Overwrite: %v", err)
	}
}

func TestSaveReplacesAFileWithInvalidFields(t *testing.T) {
	// A file that parses but has a bad value is what an editor fixes: Save
	// may replace it.
	c := sampleConfig()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "lookahead_days = 30", "lookahead_days = 0", 1)), 0o600)
	if err := config.Save(path, c); err != nil {
		t.Fatalf("Save over a parseable file: %v", err)
	}
}

func TestLeftoverTempFileDoesNotHarm(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	first := sampleConfig()
	if err := config.Save(path, first); err != nil {
		t.Fatal(err)
	}
	// A save that died after writing half its temporary file.
	full, _ := os.ReadFile(path)
	leftover := filepath.Join(dir, ".config.toml.123456.tmp")
	if err := os.WriteFile(leftover, full[:len(full)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(path)
	if err != nil || got.Automations[0].Name != "Front desk" {
		t.Fatalf("Load after an interrupted save = %+v, %v", got, err)
	}
	second := sampleConfig()
	second.Automations[0].Environment = "Staging"
	if err := config.Save(path, second); err != nil {
		t.Fatalf("Save after an interrupted save: %v", err)
	}
	if got, err := config.Load(path); err != nil || got.Automations[0].Environment != "Staging" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
}

// TestSaveKilledMidWay kills a process that saves in a loop at many
// points, and checks that the file is always one whole version: never
// empty, truncated or mixed.
func TestSaveKilledMidWay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	for round := range 25 {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), envSaveLoop+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() {
			t.Fatalf("round %d: the saving process saved nothing", round)
		}
		// Let it run on for a varying while, so the kill lands at varying
		// points inside Save.
		time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
		done, _ := strconv.Atoi(lines.Text())
		for lines.Scan() {
			done, _ = strconv.Atoi(lines.Text())
		}
		cmd.Wait()

		c, err := config.Load(path)
		if err != nil {
			t.Fatalf("round %d: after SIGKILL the file does not load: %v", round, err)
		}
		v, err := strconv.Atoi(strings.TrimPrefix(c.Automations[0].Name, "version "))
		if err != nil || v < done || v > done+1 || c.Automations[0].LookAheadDays != v%365+1 {
			t.Fatalf("round %d: file holds %q (lookahead %d) after %d completed saves", round, c.Automations[0].Name, c.Automations[0].LookAheadDays, done)
		}
	}
}

// TestSaveThroughASymlink: Save writes the file a link leads to, even one
// not created yet, and keeps the link; a link to a directory is refused.
func TestSaveThroughASymlink(t *testing.T) {
	tests := []struct {
		name    string
		exists  bool   // the file the link leads to exists
		dest    string // the link's text, relative to the link's directory
		refused string
	}{
		{name: "to a file", exists: true, dest: "../real/config.toml"},
		{name: "to a file not yet made", dest: "../real/config.toml"},
		{name: "to a file in a directory not yet made", dest: "../real/new/config.toml"},
		{name: "to a directory", exists: true, dest: "../real", refused: "is a directory: expected the path of the configuration file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			link := filepath.Join(root, "conf", "config.toml")
			os.MkdirAll(filepath.Join(root, "conf"), 0o700)
			os.MkdirAll(filepath.Join(root, "real"), 0o700)
			target := filepath.Join(filepath.Dir(link), tt.dest)
			if tt.exists && tt.refused == "" {
				if err := config.Save(target, sampleConfig()); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(tt.dest, link); err != nil {
				t.Fatal(err)
			}
			c := sampleConfig()
			c.Automations[0].Environment = "Staging"
			err := config.Save(link, c)
			if fi, lerr := os.Lstat(link); lerr != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link is gone: %v", lerr)
			}
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("Save = %v, want %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := config.Load(target)
			if err != nil || got.Automations[0].Environment != "Staging" {
				t.Fatalf("the target holds %+v, %v", got, err)
			}
			if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
		})
	}
}

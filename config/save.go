package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// header opens every file Save writes.
const header = `# invitesync configuration: the Salto IDM connection and the automations.
# Secrets (client secrets, the IDM API key) are not kept here: they live in the
# OS keyring under this file's id, or come from INVITESYNC_CLIENT_SECRET(_FILE),
# INVITESYNC_CLIENT_SECRET(_FILE)_<AUTOMATION> and INVITESYNC_IDM_API_KEY(_FILE).

`

// Save validates c and writes it to path atomically: a temporary file in
// the same directory, flushed to disk, then renamed over path. Nothing is
// written when c is invalid. The file is 0600 and a created directory 0700.
//
// Save refuses to replace an existing file that does not parse (the error
// matches ErrCorrupt and names the line): a hand edit gone wrong is not
// thrown away silently. Overwrite replaces it.
//
// A configuration without an ID is written with the file's own, or the
// one its path gives (PathID): the ID its secrets are kept under.
func Save(path string, c *Config) error { return save(path, c, false) }

// Overwrite is Save that also replaces an existing file that does not parse.
func Overwrite(path string, c *Config) error { return save(path, c, true) }

func save(path string, c *Config, replaceCorrupt bool) error {
	if err := c.Validate(); err != nil {
		return err
	}
	old, err := Read(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) && !replaceCorrupt {
		if errors.Is(err, ErrCorrupt) {
			return fmt.Errorf("not overwriting %s, which does not parse: fix it or move it away first: %w", path, err)
		}
		return fmt.Errorf("not overwriting %s: %w", path, err)
	}
	out := *c
	// The file keeps the ID its secrets are stored under: the one it has,
	// else the one its path gives (see OpenSecrets).
	switch {
	case out.ID != "":
	case old != nil && old.ID != "":
		out.ID = old.ID
	default:
		out.ID = PathID(path)
	}
	// The file always holds IANA names, whatever the caller was given.
	out.Automations = append([]Automation(nil), c.Automations...)
	for i := range out.Automations {
		out.Automations[i].TimeZone, _ = NormalizeTimeZone(out.Automations[i].TimeZone)
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("encode configuration: %w", err)
	}
	return writeAtomic(path, buf.Bytes())
}

// writeAtomic replaces path with data so that a crash at any point leaves
// either the old file or the new one, never a mix.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create configuration directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"invitesync/internal/atomicfile"
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
// When path is a symbolic link, the file it leads to is written (the same
// way) and the link stays. A directory that other users may change is
// refused (see CheckPermissions).
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
// either the old file or the new one, never a mix. When path is a symbolic
// link, the file it leads to is replaced the same way and the link stays;
// a link that leads nowhere is refused. A directory that other users may
// change is refused (see CheckPermissions).
func writeAtomic(path string, data []byte) error {
	target, err := linkTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create configuration directory: %w", err)
	}
	if unixModes {
		if abs, err := filepath.Abs(path); err == nil {
			if err := currentUser().checkDirs(abs); err != nil {
				return err
			}
		}
	}
	if err := atomicfile.Write(target, data, 0o600); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return nil
}

// linkTarget is the file that writing path replaces: path itself, or the
// file a symbolic link at path leads to, through every link on the way.
// That file need not exist yet.
func linkTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		switch {
		case err != nil:
			return path, nil
		case fi.Mode()&fs.ModeSymlink == 0 && !fi.Mode().IsRegular():
			return "", fmt.Errorf("%s is not a regular file: expected the configuration file", path)
		case fi.Mode()&fs.ModeSymlink == 0:
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("write configuration: %w", err)
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many symbolic links on the way to the configuration file", path)
}

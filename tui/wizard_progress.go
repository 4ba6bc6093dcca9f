package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"invitesync/internal/atomicfile"
)

// progressVersion changes when the progress file's shape does; a file of
// another version is ignored rather than misread.
const progressVersion = 1

// progressPathFor is where the wizard keeps its progress between runs: next to
// the configuration file. It holds a Draft, never a secret.
func progressPathFor(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), "setup-progress.json")
}

type progressFile struct {
	Version int   `json:"version"`
	Draft   Draft `json:"draft"`
}

// loadProgress returns the saved draft, or ok=false when there is none (or
// it is unreadable, which is reported but never fatal: the wizard then
// starts afresh).
func loadProgress(path string) (d Draft, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Draft{}, false, nil
	}
	if err != nil {
		return Draft{}, false, fmt.Errorf("read set-up progress: %w", err)
	}
	var p progressFile
	if err := json.Unmarshal(data, &p); err != nil || p.Version != progressVersion {
		return Draft{}, false, fmt.Errorf("set-up progress in %s is unreadable; starting afresh", path)
	}
	if p.Draft.Step < 1 || p.Draft.Step > stepCount {
		p.Draft.Step = 1
	}
	return p.Draft, true, nil
}

// saveProgress writes d atomically (temporary file, then rename), 0600 in a
// 0700 directory.
func saveProgress(path string, d Draft) error {
	data, err := json.MarshalIndent(progressFile{Version: progressVersion, Draft: d}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keep set-up progress: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("keep set-up progress: %w", err)
	}
	return nil
}

// removeProgress forgets the progress once the automation is saved.
func removeProgress(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove set-up progress: %w", err)
	}
	return nil
}

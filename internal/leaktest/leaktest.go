// Package leaktest finds secrets where they must never be: in files.
package leaktest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FilesHolding returns the files under dir whose bytes contain secret, and
// how many files it read. A missing dir holds nothing.
func FilesHolding(t testing.TB, dir, secret string) (hits []string, read int) {
	t.Helper()
	if secret == "" {
		t.Fatal("leaktest: an empty secret is in every file")
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		read++
		if bytes.Contains(b, []byte(secret)) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("leaktest: %v", err)
	}
	return hits, read
}

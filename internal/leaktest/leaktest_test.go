package leaktest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFilesHolding(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leak := write("sub/state.db-wal", "page\x00s3cret-value\x00page")
	write("config.toml", "name = \"Front desk\"")
	hits, read := FilesHolding(t, dir, "s3cret-value")
	if read != 2 || !slices.Equal(hits, []string{leak}) {
		t.Fatalf("FilesHolding = %v after reading %d files; want [%s] after 2", hits, read, leak)
	}
	if hits, read := FilesHolding(t, filepath.Join(dir, "absent"), "s3cret-value"); len(hits) != 0 || read != 0 {
		t.Fatalf("a missing directory gave %v, %d", hits, read)
	}
}

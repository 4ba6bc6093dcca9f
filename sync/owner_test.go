package sync

import (
	"os"
	"os/exec"
	"testing"
)

func TestStaleOwner(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	dead := cmd.Process.Pid
	cases := []struct {
		owner string
		stale bool
	}{
		{processOwner(os.Getpid()), false},
		{processOwner(dead), true},
		{"pid 1 on some-other-host", false},
		{"dashboard", false},
		{"pid -4 on x", false},
	}
	for _, c := range cases {
		if got := staleOwner(c.owner); got != c.stale {
			t.Errorf("staleOwner(%q) = %v, want %v", c.owner, got, c.stale)
		}
	}
}

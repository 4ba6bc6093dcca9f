package sync

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// processOwner names a process in a loop lease: "pid N on HOST".
func processOwner(pid int) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s", pid, host)
}

// staleOwner reports whether a lease owner named by processOwner is a
// process of this machine that no longer exists.
func staleOwner(owner string) bool {
	var pid int
	var host string
	if n, err := fmt.Sscanf(owner, "pid %d on %s", &pid, &host); n != 2 || err != nil || pid <= 0 {
		return false
	}
	if owner != processOwner(pid) {
		return false // another machine, or not our format
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// ErrInsecure is matched (errors.Is) by the error about a configuration
// file, or a directory above it, that other users may change: the file
// decides where the IDM API key is sent, so it is not read.
var ErrInsecure = errors.New("configuration can be changed by other users")

// PermissionError says which file or directory other users may change, and
// the command that fixes it.
type PermissionError struct {
	Path string
	Why  string // "is writable by its group and by everyone", "belongs to user 1001"
	Fix  string // e.g. "chmod go-w /etc/invitesync"
}

// Error names the path, why it is refused and the fix.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("%s %s: whoever can change the configuration decides where the IDM API key is sent, so it is not used; fix with: %s", e.Path, e.Why, e.Fix)
}

// Is makes every PermissionError match ErrInsecure.
func (e *PermissionError) Is(target error) bool { return target == ErrInsecure }

// CheckPermissions checks the configuration file at path as ssh checks its
// keys. The file, and every directory above it (and above the file a
// symbolic link leads to), must belong to the user running invitesync or to
// root, and must not be writable by its group or by everyone: a directory
// with the sticky bit (such as /tmp) is exempt from the latter, and so is a
// group of the user's own (a user private group). Otherwise the error is a
// *PermissionError with the chmod or chown that fixes it. A file that others
// may read gives a warning with its chmod. A file that does not exist yet
// is not an error (its directories still are checked).
func CheckPermissions(path string) (warning string, err error) {
	if !unixModes {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil
	}
	me := currentUser()
	if err := me.checkDirs(abs); err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", nil // missing or unreadable: the caller's read says so
	}
	if err := me.check(abs, fi, false); err != nil {
		return "", err
	}
	perm, own := fi.Mode().Perm(), me.ownGroup(fi)
	if perm&0o004 != 0 || perm&0o040 != 0 && !own {
		return fmt.Sprintf("%s is readable by %s: it holds no secret, but whoever reads it learns the tenant, the mailbox and the IDM URL; fix with: chmod 600 %s",
			abs, whom(perm>>2, own), abs), nil
	}
	return "", nil
}

// checkDirs checks every directory above the file at abs, and above the
// file a symbolic link there leads to.
func (a account) checkDirs(abs string) error {
	files := []string{abs}
	if target, err := filepath.EvalSymlinks(abs); err == nil && target != abs {
		files = append(files, target)
	}
	for _, f := range files {
		for dir := filepath.Dir(f); ; dir = filepath.Dir(dir) {
			if fi, err := os.Stat(dir); err == nil {
				if err := a.check(dir, fi, true); err != nil {
					return err
				}
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	return nil
}

// account is the user running invitesync, as the checks need it.
type account struct {
	uid, gid int
	name     string
}

func currentUser() account {
	a := account{uid: os.Geteuid(), gid: os.Getegid()}
	if u, err := user.Current(); err == nil {
		a.name = u.Username
	}
	return a
}

// check refuses path, whose information is fi, when another user may
// change it.
func (a account) check(path string, fi fs.FileInfo, dir bool) error {
	if uid, _, ok := fileOwner(fi); ok && uid != a.uid && uid != 0 {
		owner := strconv.Itoa(uid)
		if u, err := user.LookupId(owner); err == nil {
			owner = u.Username
		}
		me := a.name
		if me == "" {
			me = strconv.Itoa(a.uid)
		}
		return &PermissionError{Path: path, Why: "belongs to user " + owner,
			Fix: fmt.Sprintf("chown %s %s (or move the configuration to a directory of your own)", me, path)}
	}
	perm := fi.Mode().Perm()
	if dir && fi.Mode()&fs.ModeSticky != 0 {
		return nil // others may add files but not replace or remove ours
	}
	writable := perm & 0o022
	if a.ownGroup(fi) {
		writable &^= 0o020
	}
	if writable == 0 {
		return nil
	}
	return &PermissionError{Path: path, Why: "is writable by " + whom(writable>>1, false),
		Fix: "chmod go-w " + path}
}

// ownGroup reports whether fi's group is the user's private group: named as
// the user and the user's primary group.
func (a account) ownGroup(fi fs.FileInfo) bool {
	_, gid, ok := fileOwner(fi)
	if !ok || gid != a.gid || a.name == "" {
		return false
	}
	g, err := user.LookupGroupId(strconv.Itoa(gid))
	return err == nil && g.Name == a.name
}

// whom names the classes in bits (0o010 group, 0o001 everyone), leaving the
// group out when it is the user's own.
func whom(bits fs.FileMode, ownGroup bool) string {
	group, all := bits&0o010 != 0 && !ownGroup, bits&0o001 != 0
	switch {
	case group && all:
		return "its group and by everyone"
	case group:
		return "its group"
	}
	return "everyone"
}

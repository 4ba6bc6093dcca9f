package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"invitesync/internal/text"
)

// ErrCorrupt is matched (errors.Is) by every error about a configuration
// file that exists but cannot be read as one: bad TOML, a value of the wrong
// type, an unknown key.
var ErrCorrupt = errors.New("configuration file is not valid")

// FileError is a problem at a place in the configuration file.
type FileError struct {
	Path string
	Line int // 1-based; 0 when unknown
	Col  int // 1-based; 0 when unknown
	Msg  string
	Err  error // the decoder's error, when there is one
}

// Error returns path:line:col: message.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the decoder's error.
func (e *FileError) Unwrap() error { return e.Err }

// Is makes every FileError match ErrCorrupt.
func (e *FileError) Is(target error) bool { return target == ErrCorrupt }

// Load reads the configuration at path, applies defaults, normalises time
// zones and validates every field. A missing file gives an error matching
// os.ErrNotExist; a broken one a *FileError naming the line; invalid fields
// an Errors value listing each.
func Load(path string) (*Config, error) {
	c, err := Read(path)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s has invalid fields:\n%w", path, err)
	}
	return c, nil
}

// Read is Load without validation, for an editor that shows a configuration
// with invalid fields so they can be fixed.
//
// A file that other users may change is not read: the error matches
// ErrInsecure and gives the chmod that fixes it (see CheckPermissions).
func Read(path string) (*Config, error) {
	if _, err := CheckPermissions(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readError(path, err)
	}
	return parse(path, data)
}

// readError words a failure to read the file. A missing file keeps its
// *fs.PathError, which callers test with errors.Is(err, os.ErrNotExist).
func readError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return err
	}
	if fi, statErr := os.Stat(path); statErr == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: expected the path of the configuration file, such as %s: %w",
			path, filepath.Join(path, "config.toml"), err)
	}
	return fmt.Errorf("cannot read the configuration file: %w", err)
}

// parse decodes data, rejecting unknown keys, and applies the defaults.
func parse(path string, data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, decodeError(path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, unknownKeys(path, string(data), undecoded)
	}
	// Booleans whose default is true: absent and false look alike after
	// decoding, so read which ones the file wrote.
	var written struct {
		Automations []struct {
			Enabled *bool `toml:"enabled"`
			Replies *bool `toml:"replies"`
		} `toml:"automation"`
	}
	if _, err := toml.Decode(string(data), &written); err != nil {
		return nil, decodeError(path, err)
	}
	for i := range c.Automations {
		a := &c.Automations[i]
		w := written.Automations[i]
		a.Enabled = w.Enabled == nil || *w.Enabled
		a.Replies = w.Replies == nil || *w.Replies
		a.applyDefaults()
		if tz, err := NormalizeTimeZone(a.TimeZone); err == nil {
			a.TimeZone = tz
		}
	}
	return &c, nil
}

// lineInMessage finds the line number in the decoder's type errors, which
// carry it only in their text ("toml: line 7 (last key …): …").
var lineInMessage = regexp.MustCompile(`^toml: line (\d+)(?: \(last key ("[^"]*")\))?: `)

func decodeError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = fmt.Sprintf("%s (after key %s)", msg, text.Quote(pe.LastKey))
		}
		return &FileError{Path: path, Line: pe.Position.Line, Col: pe.Position.Col, Msg: msg, Err: err}
	}
	fe := &FileError{Path: path, Msg: strings.TrimPrefix(err.Error(), "toml: "), Err: err}
	if m := lineInMessage.FindStringSubmatch(err.Error()); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = err.Error()[len(m[0]):]
		if m[2] != "" {
			fe.Msg += " (key " + m[2] + ")"
		}
	}
	return fe
}

// unknownKeys reports each unknown key once (a whole unknown table once).
func unknownKeys(path, data string, keys []toml.Key) error {
	var errs []error
	var reported []string
	for _, k := range keys {
		name := k.String()
		parent := false
		for _, r := range reported {
			if strings.HasPrefix(name, r+".") {
				parent = true
			}
		}
		if parent {
			continue
		}
		reported = append(reported, name)
		errs = append(errs, &FileError{
			Path: path,
			Line: keyLine(data, k),
			Msg:  fmt.Sprintf("unknown key %s (misspelt, or from a newer version of invitesync?)", text.Quote(name)),
		})
	}
	return errors.Join(errs...)
}

// keyLine finds the line where key k is written: its table header, or an
// assignment of its last part. It returns 0 when it cannot tell.
func keyLine(data string, k toml.Key) int {
	last := regexp.QuoteMeta(k[len(k)-1])
	header := regexp.MustCompile(`^\s*\[\[?\s*` + regexp.QuoteMeta(k.String()) + `\s*\]\]?`)
	assign := regexp.MustCompile(`^\s*(?:` + last + `|"` + last + `")\s*=`)
	for i, line := range strings.Split(data, "\n") {
		if header.MatchString(line) || assign.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

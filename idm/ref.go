package idm

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// MaxRefLength is the longest visit reference the contract allows.
const MaxRefLength = 128

// refEncoding spells a digest in lower-case base32 (a–z, 2–7), no padding.
var refEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Ref returns the visit reference of one visitor at one event seen in one
// mailbox: "v1-" and the base32 SHA-256 of the three values, the mailbox and
// the visitor's address trimmed and lower-cased, eventKey (the event's
// iCalUId, or its id when it has none) as given, each written as
// "<byte length>:<value>,". The same inputs give the same ref forever: a
// replay, restart or crash never makes a second visit. Changing the scheme
// would duplicate every visit, so the tests pin it.
func Ref(mailbox, eventKey, visitorEmail string) string {
	h := sha256.New()
	for _, field := range []string{
		strings.ToLower(strings.TrimSpace(mailbox)),
		eventKey,
		strings.ToLower(strings.TrimSpace(visitorEmail)),
	} {
		h.Write([]byte(strconv.Itoa(len(field)) + ":" + field + ","))
	}
	return "v1-" + refEncoding.EncodeToString(h.Sum(nil))
}

// ValidRef checks a visit reference against the contract: 1–128 characters
// of A–Z a–z 0–9 . _ -, and not "." or "..", which cannot travel in a URL
// path.
func ValidRef(ref string) error {
	if ref == "" || len(ref) > MaxRefLength || ref == "." || ref == ".." {
		return fmt.Errorf("%w: must be 1–%d characters of A–Z a–z 0–9 . _ - (got %d characters)", ErrInvalidRef, MaxRefLength, len(ref))
	}
	for i := 0; i < len(ref); i++ {
		if !refByte(ref[i]) {
			return fmt.Errorf("%w: character %d is not one of A–Z a–z 0–9 . _ -", ErrInvalidRef, i+1)
		}
	}
	return nil
}

// refByte reports whether c may appear in a visit reference.
func refByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

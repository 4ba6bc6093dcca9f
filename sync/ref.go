package sync

import (
	"crypto/sha256"
	"encoding/hex"
)

// visitRef derives a visit's IDM reference.
func visitRef(mailbox, eventKey, email string) string {
	h := sha256.Sum256([]byte(mailbox + "\x00" + eventKey + "\x00" + email))
	return "v1-" + hex.EncodeToString(h[:16])
}

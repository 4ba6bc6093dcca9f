package sync

import "invitesync/internal/text"

// maxText bounds calendar text kept for visits, logs and the dashboard.
const maxText = 200

// clean makes calendar text safe to store, log and show.
func clean(s string) string { return text.Clean(s, maxText) }

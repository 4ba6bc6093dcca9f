package tui

// The order of the steps, kept once for both ways of showing them: the
// full screen (stepFinished) and accessible mode (runAccessible) ask what
// follows a finished step here and only show it their own way.

// afterKind is what follows a finished step.
type afterKind int

const (
	afterGoTo         afterKind = iota // show step (part)
	afterCreate                        // "Create it for me": steps 1–4 by sign-in
	afterEnvironments                  // ask IDM for its environments, then step 6's second part
	afterSave                          // test and save
)

// after is what follows a finished step: where to go, and a notice to show
// there.
type after struct {
	kind       afterKind
	step, part int
	notice     string
}

// afterStep is what follows the step on screen now that its questions are
// answered: the next step; step 3 again for a Secret ID pasted as the
// secret; on a resumed set-up, from step 3 back to where it stopped; after
// a failed Save, straight back to test and save; at the end, the save.
func (w *wizard) afterStep() after {
	switch w.step {
	case 1:
		if w.f.createApp {
			return after{kind: afterCreate}
		}
	case 3:
		if looksLikeSecretID(w.f.sec.ClientSecret) && !w.f.useSecretID {
			w.f.sec.ClientSecret = ""
			return after{kind: afterGoTo, step: 3, notice: "Paste the secret's Value, not its Secret ID."}
		}
		if at := w.resumeAt; at > 3 && !w.fixing {
			w.resumeAt = 0
			return after{kind: afterGoTo, step: at}
		}
	case 6:
		if w.part == 0 {
			return after{kind: afterEnvironments}
		}
		return after{kind: afterSave}
	}
	if w.fixing {
		return after{kind: afterSave}
	}
	return after{kind: afterGoTo, step: w.step + 1}
}

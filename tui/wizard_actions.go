package tui

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"invitesync/internal/powershell"
)

// openURLCmd opens url in a browser.
func openURLCmd(open func(string) error, url string) tea.Cmd {
	return func() tea.Msg {
		if err := open(url); err != nil {
			return noticeMsg(fmt.Sprintf("%s Could not open a browser (%v): open %s yourself.", symbolFail, err, url))
		}
		return noticeMsg(symbolOK + " Opened " + url + " in the browser.")
	}
}

// copyCmd puts text on the clipboard with an OSC 52 sequence written to
// the terminal (wrapped for tmux and screen when running inside them).
func copyCmd(out io.Writer, text string) tea.Cmd {
	return func() tea.Msg {
		if err := copyOSC52(out, text); err != nil {
			return noticeMsg(fmt.Sprintf("%s Could not copy: %v", symbolFail, err))
		}
		return noticeMsg(symbolOK + " Copied the commands to the clipboard (if your terminal allows OSC 52).")
	}
}

func copyOSC52(out io.Writer, text string) error {
	seq := osc52.New(text)
	switch term := os.Getenv("TERM"); {
	case os.Getenv("TMUX") != "":
		seq = seq.Tmux()
	case len(term) >= 6 && term[:6] == "screen":
		seq = seq.Screen()
	}
	_, err := seq.WriteTo(out)
	return err
}

// saveScriptCmd writes script to path as a .ps1 file (see powershell.File).
func saveScriptCmd(path, script string) tea.Cmd {
	return func() tea.Msg {
		if err := writeScript(path, script); err != nil {
			return noticeMsg(fmt.Sprintf("%s Could not save the commands: %v", symbolFail, err))
		}
		return noticeMsg(symbolOK + " Saved the commands to " + path)
	}
}

func writeScript(path, script string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return err
	}
	return os.WriteFile(abs, powershell.File(script), 0o600)
}

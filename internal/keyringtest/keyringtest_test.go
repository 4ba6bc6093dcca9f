package keyringtest_test

import (
	"os"
	"testing"

	"github.com/zalando/go-keyring"

	"invitesync/internal/keyringtest"
)

func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }

func TestPrivateKeyringStoresAndReturns(t *testing.T) {
	keyringtest.Require(t)
	if err := keyring.Set("invitesync-keyringtest", "probe", "s3cret"); err != nil {
		t.Fatalf("set: %v", err)
	}
	got, err := keyring.Get("invitesync-keyringtest", "probe")
	if err != nil || got != "s3cret" {
		t.Fatalf("get = %q, %v; want s3cret", got, err)
	}
	if _, err := keyring.Get("invitesync-keyringtest", "absent"); err != keyring.ErrNotFound {
		t.Fatalf("absent item: err = %v, want ErrNotFound", err)
	}
}

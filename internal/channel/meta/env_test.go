package meta

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// The ids the fixtures in testdata use.
const (
	testSecret = metagraphtest.AppSecret
	testToken  = "EAAB-page-token-0123456789"
	fbPage     = "104857600112233"
	fbPSID     = "6543210987654321"
	igAccount  = "17841400000000001"
	igSID      = "987654321012345"
)

// env is a Messenger and an Instagram channel on metagraphtest's
// surroundings: a real store and conversation service, with a fake Graph
// API and CDN that know the fixtures' two customers.
type env struct {
	*metagraphtest.Env
	fb *Channel
	ig *Channel
}

func newEnv(t *testing.T, opts ...func(*env, *Deps)) *env {
	t.Helper()
	e := &env{Env: metagraphtest.NewEnv(t, testenv.OpenSQLite, metagraphtest.Config{Token: testToken})}
	e.Graph.SetProfile(fbPSID, `{"name":"Anna de Vries","id":"`+fbPSID+`"}`)
	e.Graph.SetProfile(igSID, `{"name":"","username":"anna.dv","id":"`+igSID+`"}`)
	d := Deps{Conversations: e.Conversations, Blob: e.Blob, Client: e.Graph.Client(), Clock: e.Clock, Log: e.Log}
	for _, o := range opts {
		o(e, &d)
	}
	e.fb, e.ig = NewMessenger(d), NewInstagram(d)
	e.Webhook = func(in desk.Inbox) http.Handler { return e.channel(in.Channel).Webhook(in) }
	return e
}

// withMessages wires the store as the channel's Messages.
func withMessages(e *env, d *Deps) { d.Messages = e.Store }

// channel is the env's channel of kind k.
func (e *env) channel(k desk.ChannelKind) *Channel {
	if k == desk.ChannelInstagram {
		return e.ig
	}
	return e.fb
}

// inbox creates an inbox of kind k pointing at the fake Graph API; set
// changes or adds settings ("" removes one).
func (e *env) inbox(t *testing.T, k desk.ChannelKind, set map[string]string) desk.Inbox {
	t.Helper()
	page := fbPage
	if k == desk.ChannelInstagram {
		page = igAccount
	}
	return e.Inbox(t, k, map[string]string{SettingPageID: page, SettingAccessToken: testToken}, set)
}

// fixture reads testdata/name.json with the fake CDN's address filled in.
func (e *env) fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{CDN}}"), []byte(e.Graph.CDN()))
}

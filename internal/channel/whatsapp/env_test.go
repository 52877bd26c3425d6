package whatsapp

import (
	"fmt"
	"testing"

	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

const (
	testSecret = metagraphtest.AppSecret
	testToken  = "EAAG-test-token-0123456789"
	testPNID   = "1122334455667"
)

// env is a WhatsApp channel on metagraphtest's surroundings: a real store
// and conversation service, with a fake Graph API.
type env struct {
	*metagraphtest.Env
	ch *Channel
}

func newEnv(t *testing.T, opts ...func(*Deps)) *env {
	t.Helper()
	return newEnvOn(t, testenv.OpenSQLite, opts...)
}

// newEnvOn is newEnv on the store open makes.
func newEnvOn(t *testing.T, open func(testing.TB) desk.Store, opts ...func(*Deps)) *env {
	t.Helper()
	// Webhooks name media ids many tests do not care about: any image.
	e := &env{Env: metagraphtest.NewEnv(t, open, metagraphtest.Config{Token: testToken, AnyMedia: true})}
	d := Deps{Conversations: e.Conversations, Blob: e.Blob, Client: e.Graph.Client(), Clock: e.Clock, Log: e.Log}
	for _, o := range opts {
		o(&d)
	}
	e.ch = New(d)
	e.Webhook = e.ch.Webhook
	return e
}

// inbox creates a WhatsApp inbox pointing at the fake Graph API; set
// changes or adds settings ("" removes one).
func (e *env) inbox(t *testing.T, set map[string]string) desk.Inbox {
	t.Helper()
	return e.Inbox(t, desk.ChannelWhatsApp, map[string]string{
		SettingPhoneNumberID: testPNID, SettingAccessToken: testToken}, set)
}

// textPayload is a webhook body with one text message.
func textPayload(pnid, wamid, from, name, body string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":%q},
"contacts":[{"profile":{"name":%q},"wa_id":%q}],
"messages":[{"from":%q,"id":%q,"timestamp":"1764150000","type":"text","text":{"body":%q}}]}}]}]}`,
		pnid, name, from, from, wamid, body))
}

// statusPayload is a webhook body with one message status.
func statusPayload(pnid, wamid, st, errTitle string) []byte {
	errs := ""
	if errTitle != "" {
		errs = fmt.Sprintf(`,"errors":[{"code":131026,"title":%q,"error_data":{"details":"Message undeliverable"}}]`, errTitle)
	}
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"31201234567","phone_number_id":%q},
"statuses":[{"id":%q,"status":%q,"timestamp":"1764150100","recipient_id":"31612345678"%s}]}}]}]}`,
		pnid, wamid, st, errs))
}

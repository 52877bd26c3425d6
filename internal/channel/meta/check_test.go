package meta

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCheckConnection(t *testing.T) {
	const token = "EAAP-page-token"
	tests := []struct {
		name     string
		kind     desk.ChannelKind
		settings map[string]string
		status   int
		body     string
		want     string // the success text
		code     desk.CheckCode
		field    string // the setting the *desk.CheckError names
		temp     bool
		contains string // in the error's text
	}{
		{name: "messenger page", kind: desk.ChannelMessenger, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, want: "'De Spaak' (112233)"},
		{name: "instagram ignores the account id", kind: desk.ChannelInstagram,
			settings: map[string]string{SettingPageID: "1784"}, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, want: "'De Spaak' (112233)"},
		{name: "token of another page", code: desk.CheckUnknownID, kind: desk.ChannelMessenger,
			settings: map[string]string{SettingPageID: "999"}, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, field: SettingPageID, contains: "112233"},
		{name: "expired token", code: desk.CheckBadToken, kind: desk.ChannelMessenger, status: 400,
			body:  `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`,
			field: SettingAccessToken, contains: "Session has expired"},
		{name: "garbled token", code: desk.CheckBadToken, kind: desk.ChannelInstagram, status: 401,
			body:  `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190}}`,
			field: SettingAccessToken},
		{name: "user token", code: desk.CheckBadToken, kind: desk.ChannelMessenger, status: 400,
			body:  `{"error":{"message":"An active access token must be used to query information about the current user.","type":"OAuthException","code":2500}}`,
			field: SettingAccessToken, contains: "Page access token"},
		{name: "server error", code: desk.CheckUnreachable, kind: desk.ChannelMessenger, status: 500,
			body: `{"error":{"message":"An unknown error has occurred.","code":1}}`, temp: true, contains: "no answer from"},
		{name: "page rate limit", code: desk.CheckRateLimited, kind: desk.ChannelMessenger, status: 400,
			body: `{"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32}}`,
			temp: true, contains: "slow down"},
		{name: "instagram rate limit", code: desk.CheckRateLimited, kind: desk.ChannelInstagram, status: 400,
			body: `{"error":{"message":"Instagram rate limit","type":"OAuthException","code":80002}}`, contains: "Instagram asks"},
		{name: "missing permission", code: desk.CheckPermission, kind: desk.ChannelInstagram, status: 403,
			body:  `{"error":{"message":"(#10) Requires instagram_manage_messages permission","type":"OAuthException","code":10}}`,
			field: SettingAccessToken, contains: "instagram_manage_messages"},
		{name: "no token", code: desk.CheckInvalidSetting, kind: desk.ChannelInstagram, settings: map[string]string{SettingAccessToken: ""}, field: SettingAccessToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodGet || r.URL.Path != "/v21.0/me" || r.URL.Query().Get("fields") != "id,name" {
					t.Errorf("request %s %s, want GET /v21.0/me?fields=id,name", r.Method, r.URL)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer "+token {
					t.Errorf("Authorization = %q, want the bearer token", got)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			in := desk.Inbox{ID: 5, Channel: tc.kind, Settings: map[string]string{
				SettingAccessToken: token, SettingPageID: "112233", SettingAPIBase: srv.URL + "/v21.0"}}
			for k, v := range tc.settings {
				in.Settings[k] = v
			}
			ch := NewMessenger(Deps{})
			if tc.kind == desk.ChannelInstagram {
				ch = NewInstagram(Deps{})
			}
			got, err := ch.CheckConnection(context.Background(), in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckConnection = %q, want an error", got)
			}
			if in.Settings[SettingAccessToken] == "" && calls != 0 {
				t.Errorf("called Meta %d times without a token", calls)
			}
			ce, ok := errors.AsType[*desk.CheckError](err)
			if !ok {
				t.Fatalf("err = %v, want a *desk.CheckError", err)
			}
			if ce.Code != tc.code || ce.Setting != tc.field {
				t.Errorf("code, setting = %s, %q; want %s, %q (%v)", ce.Code, ce.Setting, tc.code, tc.field, err)
			}
			if got := errors.Is(err, desk.ErrInvalid); got != (tc.field != "") {
				t.Errorf("invalid = %v, want %v (%v)", got, tc.field != "", err)
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temp {
				t.Errorf("temporary = %v, want %v (%v)", got, tc.temp, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("err = %v, want it to say %q", err, tc.contains)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("err = %v carries the token", err)
			}
		})
	}
}

func TestCheckConnectionUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	in := desk.Inbox{Channel: desk.ChannelMessenger, Settings: map[string]string{SettingAccessToken: "tok", SettingAPIBase: base}}
	_, err := NewMessenger(Deps{}).CheckConnection(context.Background(), in)
	ce, ok := errors.AsType[*desk.CheckError](err)
	if !ok || ce.Code != desk.CheckUnreachable || ce.Setting != "" || !errors.Is(err, desk.ErrTemporary) {
		t.Errorf("err = %v, want a temporary CheckError coded %s naming no setting", err, desk.CheckUnreachable)
	}
	if !strings.Contains(err.Error(), "cannot reach Messenger") {
		t.Errorf("err = %v, want it to say Messenger cannot be reached", err)
	}
}

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
		field    string // the setting a *desk.ValidationError names
		temp     bool
		contains string // in the error's text
	}{
		{name: "messenger page", kind: desk.ChannelMessenger, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, want: "'De Spaak' (112233)"},
		{name: "instagram ignores the account id", kind: desk.ChannelInstagram,
			settings: map[string]string{SettingPageID: "1784"}, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, want: "'De Spaak' (112233)"},
		{name: "token of another page", kind: desk.ChannelMessenger,
			settings: map[string]string{SettingPageID: "999"}, status: 200,
			body: `{"id":"112233","name":"De Spaak"}`, field: SettingPageID, contains: "112233"},
		{name: "expired token", kind: desk.ChannelMessenger, status: 400,
			body:  `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`,
			field: SettingAccessToken, contains: "Session has expired"},
		{name: "garbled token", kind: desk.ChannelInstagram, status: 401,
			body:  `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190}}`,
			field: SettingAccessToken},
		{name: "user token", kind: desk.ChannelMessenger, status: 400,
			body:  `{"error":{"message":"An active access token must be used to query information about the current user.","type":"OAuthException","code":2500}}`,
			field: SettingAccessToken, contains: "Page access token"},
		{name: "server error", kind: desk.ChannelMessenger, status: 500,
			body: `{"error":{"message":"An unknown error has occurred.","code":1}}`, temp: true, contains: "no answer from"},
		{name: "no token", kind: desk.ChannelInstagram, settings: map[string]string{SettingAccessToken: ""}, field: SettingAccessToken},
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
			ve, isVE := errors.AsType[*desk.ValidationError](err)
			if tc.field != "" && (!isVE || ve.Field != tc.field) {
				t.Errorf("err = %v, want a validation error on %s", err, tc.field)
			}
			if tc.field == "" && isVE {
				t.Errorf("err = %v, want no validation error", err)
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

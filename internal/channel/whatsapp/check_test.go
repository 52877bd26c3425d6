package whatsapp

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
	const token = "EAAG-check-token"
	tests := []struct {
		name     string
		settings map[string]string
		status   int
		body     string
		want     string // the success text
		code     desk.CheckCode
		field    string // the setting the *desk.CheckError names
		temp     bool   // a desk.ErrTemporary
		contains string // in the error's text
	}{
		{name: "connected", status: 200,
			body: `{"display_phone_number":"+31 6 1234 5678","verified_name":"De Spaak","id":"1096"}`,
			want: "+31 6 1234 5678, 'De Spaak'"},
		{name: "no verified name yet", status: 200, body: `{"display_phone_number":"+31 6 1234 5678","id":"1096"}`,
			want: "+31 6 1234 5678"},
		{name: "expired token", code: desk.CheckBadToken, status: 401,
			body:  `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`,
			field: SettingAccessToken, contains: "Session has expired"},
		{name: "token invalid with status 400", code: desk.CheckBadToken, status: 400,
			body:  `{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190}}`,
			field: SettingAccessToken},
		{name: "wrong phone number id", code: desk.CheckUnknownID, status: 400,
			body:  `{"error":{"message":"Unsupported get request. Object with ID '1096' does not exist","type":"GraphMethodException","code":100,"error_subcode":33}}`,
			field: SettingPhoneNumberID, contains: "does not exist"},
		{name: "404 without a body", code: desk.CheckUnknownID, status: 404, body: `not found`, field: SettingPhoneNumberID},
		{name: "missing permission", code: desk.CheckPermission, status: 403,
			body:  `{"error":{"message":"(#200) Permissions error","type":"OAuthException","code":200}}`,
			field: SettingAccessToken},
		{name: "not a phone number", code: desk.CheckUnknownID, status: 200, body: `{"id":"1096","name":"Some business"}`, field: SettingPhoneNumberID},
		{name: "server error", code: desk.CheckUnreachable, status: 503, body: `{"error":{"message":"Service temporarily unavailable","code":2}}`,
			temp: true, contains: "no answer from"},
		{name: "application rate limit", code: desk.CheckRateLimited, status: 400,
			body: `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}`,
			temp: true, contains: "slow down"},
		{name: "too many requests", code: desk.CheckRateLimited, status: 429, body: `{}`, temp: true},
		{name: "other refusal", code: desk.CheckOther, status: 400,
			body: `{"error":{"message":"Something else","type":"OAuthException","code":1}}`, contains: "Something else"},
		{name: "no token", code: desk.CheckInvalidSetting, settings: map[string]string{SettingAccessToken: ""}, field: SettingAccessToken},
		{name: "no phone number id", code: desk.CheckInvalidSetting, settings: map[string]string{SettingPhoneNumberID: " "}, field: SettingPhoneNumberID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodGet || r.URL.Path != "/v21.0/1096" {
					t.Errorf("request %s %s, want GET /v21.0/1096", r.Method, r.URL.Path)
				}
				if got := r.URL.Query().Get("fields"); got != "display_phone_number,verified_name" {
					t.Errorf("fields = %q", got)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer "+token {
					t.Errorf("Authorization = %q, want the bearer token", got)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			in := desk.Inbox{ID: 4, Channel: desk.ChannelWhatsApp, Settings: map[string]string{
				SettingPhoneNumberID: "1096", SettingAccessToken: token, SettingAPIBase: srv.URL + "/v21.0/"}}
			for k, v := range tc.settings {
				in.Settings[k] = v
			}
			got, err := New(Deps{}).CheckConnection(context.Background(), in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckConnection = %q, want an error", got)
			}
			if tc.settings != nil && calls != 0 {
				t.Errorf("called WhatsApp %d times with incomplete settings", calls)
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
	in := desk.Inbox{Channel: desk.ChannelWhatsApp, Settings: map[string]string{
		SettingPhoneNumberID: "1096", SettingAccessToken: "tok", SettingAPIBase: base}}
	_, err := New(Deps{}).CheckConnection(context.Background(), in)
	if !errors.Is(err, desk.ErrTemporary) || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("err = %v, want a temporary 'cannot be reached'", err)
	}
	if ce, ok := errors.AsType[*desk.CheckError](err); !ok || ce.Code != desk.CheckUnreachable || ce.Setting != "" {
		t.Errorf("err = %v, want a CheckError coded %s naming no setting", err, desk.CheckUnreachable)
	}
}

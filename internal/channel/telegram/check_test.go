package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCheckConnection(t *testing.T) {
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	const (
		me   = `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Spaak","username":"spaak_bot"}}`
		hook = "https://help.example.nl/hooks/telegram/tgkey"
	)
	webhook := func(js string) string { return `{"ok":true,"result":` + js + `}` }
	tests := []struct {
		name        string
		hookURL     string // what balie passes; "" compares the path only
		getMe       string
		getMeStatus int
		info        string
		infoStatus  int
		want        string
		code        desk.CheckCode
		field       string
		temp        bool
		contains    string
	}{
		{name: "connected", hookURL: hook, getMe: me,
			info: webhook(`{"url":"` + hook + `","pending_update_count":0}`), want: "@spaak_bot"},
		{name: "scheme not compared", hookURL: "http://help.example.nl/hooks/telegram/tgkey", getMe: me,
			info: webhook(`{"url":"` + hook + `","pending_update_count":0}`), want: "@spaak_bot"},
		{name: "path only without balie's URL", getMe: me,
			info: webhook(`{"url":"` + hook + `","pending_update_count":0}`), want: "@spaak_bot"},
		{name: "an old delivery error is history", hookURL: hook, getMe: me,
			info: webhook(`{"url":"` + hook + `","pending_update_count":0,"last_error_date":` +
				itoa(now.Add(-3*time.Hour).Unix()) + `,"last_error_message":"Connection timed out"}`),
			want: "@spaak_bot"},
		{name: "bad token", code: desk.CheckBadToken, hookURL: hook, getMeStatus: 401, getMe: `{"ok":false,"error_code":401,"description":"Unauthorized"}`,
			field: SettingBotToken, contains: "Unauthorized"},
		{name: "garbled token", code: desk.CheckBadToken, hookURL: hook, getMeStatus: 404, getMe: `{"ok":false,"error_code":404,"description":"Not Found"}`,
			field: SettingBotToken},
		{name: "no webhook", code: desk.CheckWebhook, hookURL: hook, getMe: me, info: webhook(`{"url":"","pending_update_count":3}`),
			field: SettingWebhook, contains: "Connect"},
		{name: "another webhook", code: desk.CheckWebhook, hookURL: hook, getMe: me,
			info:  webhook(`{"url":"https://old.example.com/bot","pending_update_count":0}`),
			field: SettingWebhook, contains: "https://old.example.com/bot"},
		{name: "another host", code: desk.CheckWebhook, hookURL: hook, getMe: me,
			info:  webhook(`{"url":"https://staging.example.nl/hooks/telegram/tgkey","pending_update_count":0}`),
			field: SettingWebhook, contains: "staging.example.nl"},
		{name: "another inbox's key", code: desk.CheckWebhook, getMe: me,
			info:  webhook(`{"url":"https://help.example.nl/hooks/telegram/other","pending_update_count":0}`),
			field: SettingWebhook},
		{name: "recent delivery error", code: desk.CheckWebhook, hookURL: hook, getMe: me,
			info: webhook(`{"url":"` + hook + `","pending_update_count":7,"last_error_date":` +
				itoa(now.Add(-5*time.Minute).Unix()) + `,"last_error_message":"Wrong response from the webhook: 502 Bad Gateway"}`),
			field: SettingWebhook, contains: "502 Bad Gateway (7 updates waiting)"},
		{name: "flood control", code: desk.CheckRateLimited, hookURL: hook, getMeStatus: 429,
			getMe: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 30","parameters":{"retry_after":30}}`,
			temp:  true, contains: "slow down"},
		{name: "telegram down", code: desk.CheckUnreachable, hookURL: hook, getMeStatus: 502, getMe: `<html>bad gateway</html>`, temp: true,
			contains: "no answer from Telegram"},
		{name: "webhook info fails", code: desk.CheckUnreachable, hookURL: hook, getMe: me, infoStatus: 500,
			info: `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, temp: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status, body := 0, ""
				switch r.URL.Path {
				case "/bot" + testToken + "/getMe":
					status, body = tc.getMeStatus, tc.getMe
				case "/bot" + testToken + "/getWebhookInfo":
					status, body = tc.infoStatus, tc.info
				default:
					t.Errorf("unexpected call %s", r.URL.Path)
					http.NotFound(w, r)
					return
				}
				if status != 0 {
					w.WriteHeader(status)
				}
				w.Write([]byte(body))
			}))
			defer srv.Close()
			in := desk.Inbox{ID: 22, Channel: desk.ChannelTelegram, PublicKey: "tgkey", Settings: map[string]string{
				SettingBotToken: testToken, SettingAPIBase: srv.URL}}
			ch := New(Deps{Clock: desk.ClockFunc(func() time.Time { return now })})
			got, err := ch.CheckConnection(context.Background(), in, tc.hookURL)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckConnection = %q, want an error", got)
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
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("err = %v carries the token", err)
			}
		})
	}
}

func TestCheckConnectionNoToken(t *testing.T) {
	in := desk.Inbox{Channel: desk.ChannelTelegram, PublicKey: "k", Settings: map[string]string{SettingAPIBase: "http://127.0.0.1:1"}}
	_, err := New(Deps{}).CheckConnection(context.Background(), in, "")
	if ce, ok := errors.AsType[*desk.CheckError](err); !ok || ce.Code != desk.CheckInvalidSetting || ce.Setting != SettingBotToken {
		t.Errorf("err = %v, want a CheckError coded %s on %s", err, desk.CheckInvalidSetting, SettingBotToken)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package metagraph

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestClientDo(t *testing.T) {
	const token = "EAAGtok3n"
	tests := []struct {
		name          string
		status        int
		body          string
		wantErr       bool
		wantTemporary bool
		want          APIError // Status, Code, Subcode, Message, Details; when wantErr
		wantID        string   // the decoded answer; when not wantErr
	}{
		{name: "ok", status: 200, body: `{"id":"42"}`, wantID: "42"},
		{name: "whatsapp error with details", status: 400,
			body:    `{"error":{"message":"(#100) Invalid parameter","code":100,"error_data":{"messaging_product":"whatsapp","details":"to is not a valid number"}}}`,
			wantErr: true, want: APIError{Status: 400, Code: 100, Message: "(#100) Invalid parameter", Details: "to is not a valid number"}},
		{name: "messenger error with subcode", status: 400,
			body:    `{"error":{"message":"(#10) This message is sent outside of allowed window.","code":10,"error_subcode":2018278}}`,
			wantErr: true, want: APIError{Status: 400, Code: 10, Subcode: 2018278, Message: "(#10) This message is sent outside of allowed window."}},
		{name: "error_data as a string keeps the code", status: 400,
			body:    `{"error":{"message":"Invalid OAuth access token.","code":190,"error_data":"{\"x\":1}"}}`,
			wantErr: true, want: APIError{Status: 400, Code: 190, Message: "Invalid OAuth access token."}},
		{name: "rate limit status", status: 429, body: `{}`, wantErr: true, wantTemporary: true, want: APIError{Status: 429}},
		{name: "server error", status: 503, body: `<html>down</html>`, wantErr: true, wantTemporary: true, want: APIError{Status: 503}},
		{name: "temporary code with 400", status: 400, body: `{"error":{"message":"rate","code":613}}`,
			wantErr: true, wantTemporary: true, want: APIError{Status: 400, Code: 613, Message: "rate"}},
		{name: "other code with 400 is permanent", status: 400, body: `{"error":{"message":"no","code":131026}}`,
			wantErr: true, want: APIError{Status: 400, Code: 131026, Message: "no"}},
		{name: "token scrubbed from the error", status: 400,
			body:    `{"error":{"message":"bad token ` + token + `","code":190,"error_data":{"details":"` + token + ` expired"}}}`,
			wantErr: true, want: APIError{Status: 400, Code: 190, Message: "bad token [token]", Details: "[token] expired"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Bearer "+token {
					t.Errorf("Authorization = %q, want the bearer token", got)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := Client{HTTP: srv.Client(), Temporary: map[int]bool{613: true}}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			var ans struct {
				ID string `json:"id"`
			}
			err := c.Do(req, token, &ans)
			if !tc.wantErr {
				if err != nil || ans.ID != tc.wantID {
					t.Fatalf("Do = %v with id %q, want id %q", err, ans.ID, tc.wantID)
				}
				return
			}
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("Do = %v, want an *APIError", err)
			}
			got := *ae
			got.temporary = false
			if got != tc.want {
				t.Errorf("APIError = %+v, want %+v", got, tc.want)
			}
			if temp := errors.Is(err, desk.ErrTemporary); temp != tc.wantTemporary {
				t.Errorf("temporary = %v, want %v", temp, tc.wantTemporary)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q carries the token", err)
			}
		})
	}
}

func TestClientFetch(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		size      int
		limit     int64
		wantAuth  string
		wantErrIs error // nil when the fetch must succeed
	}{
		{"within the limit", "tok", 10, 10, "Bearer tok", nil},
		{"no token, no header", "", 10, 10, "", nil},
		{"over the limit", "tok", 11, 10, "Bearer tok", desk.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != tc.wantAuth {
					t.Errorf("Authorization = %q, want %q", got, tc.wantAuth)
				}
				io.WriteString(w, strings.Repeat("x", tc.size))
			}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			data, err := Client{HTTP: srv.Client()}.Fetch(req, tc.token, tc.limit)
			if tc.wantErrIs != nil {
				if !errors.Is(err, tc.wantErrIs) {
					t.Errorf("Fetch = %v, want %v", err, tc.wantErrIs)
				}
				return
			}
			if err != nil || len(data) != tc.size {
				t.Errorf("Fetch = %d bytes, %v; want %d bytes", len(data), err, tc.size)
			}
		})
	}
}

func TestClientTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	err := Client{HTTP: &http.Client{}}.Do(req, "tok", nil)
	if !errors.Is(err, desk.ErrTemporary) {
		t.Errorf("Do on a closed server = %v, want desk.ErrTemporary", err)
	}
}

func TestAPIErrorText(t *testing.T) {
	tests := []struct {
		name string
		e    APIError
		want string
	}{
		{"status only", APIError{Status: 502}, "graph api: HTTP 502"},
		{"code and message", APIError{Status: 400, Code: 100, Message: "Invalid parameter"}, "graph api: HTTP 400, code 100: Invalid parameter"},
		{"subcode", APIError{Status: 400, Code: 10, Subcode: 2018278, Message: "outside"}, "graph api: HTTP 400, code 10/2018278: outside"},
		{"details", APIError{Status: 400, Code: 131047, Message: "Re-engagement message", Details: "24 hours"},
			"graph api: HTTP 400, code 131047: Re-engagement message (24 hours)"},
		{"details repeating the message", APIError{Status: 400, Message: "same", Details: "same"}, "graph api: HTTP 400: same"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPermissionDenied(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{{10, true}, {200, true}, {299, true}, {190, false}, {300, false}, {0, false}}
	for _, tc := range tests {
		if got := (&APIError{Status: 403, Code: tc.code}).PermissionDenied(); got != tc.want {
			t.Errorf("code %d: PermissionDenied = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestAPIBase(t *testing.T) {
	tests := []struct {
		name, setting, want string
	}{
		{"default", "", DefaultAPIBase},
		{"blank", "  ", DefaultAPIBase},
		{"trailing slash", "https://graph.example/v22.0/", "https://graph.example/v22.0"},
		{"as is", "http://127.0.0.1:9999", "http://127.0.0.1:9999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := desk.Inbox{Settings: map[string]string{SettingAPIBase: tc.setting}}
			if got := APIBase(in); got != tc.want {
				t.Errorf("APIBase = %q, want %q", got, tc.want)
			}
		})
	}
}

package app

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/storetest"
)

// TestPrivacyAPI: a supervisor exports and erases a customer through the
// API, the erasure needs the typed confirmation, agents may do neither,
// the report is complete and the access log shows views, the export and
// the erasure.
func TestPrivacyAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const X, S, A = desk.RoleAdmin, desk.RoleSupervisor, desk.RoleAgent
		put := func(content string) string {
			key := blob.NewKey()
			if err := e.app.Blob.Put(t.Context(), key, strings.NewReader(content), int64(len(content)), ""); err != nil {
				t.Fatalf("Put: %v", err)
			}
			return key
		}
		cu := storetest.SeedCustomer(t, e.app.Store, "aa", put)
		base := "/api/v1/contacts/" + strconv.FormatInt(cu.Contact.ID, 10)

		e.must(A, "GET", base, nil, http.StatusOK) // a view, logged
		e.must(A, "GET", base, nil, http.StatusOK) // the same view again: not logged twice

		for _, tc := range []struct {
			name   string
			role   desk.Role
			method string
			path   string
			body   any
			want   int
		}{
			{"agent cannot export", A, "GET", base + "/export", nil, http.StatusForbidden},
			{"agent cannot erase", A, "POST", base + "/erase", map[string]string{"confirm": cu.Contact.Email}, http.StatusForbidden},
			{"supervisor cannot read the access log", S, "GET", "/api/v1/privacy/access", nil, http.StatusForbidden},
			{"erase without confirmation", S, "POST", base + "/erase", map[string]string{"confirm": "someone else"}, http.StatusUnprocessableEntity},
			{"export a missing contact", S, "GET", "/api/v1/contacts/99999/export", nil, http.StatusNotFound},
			{"bad retention policy", X, "PUT", "/api/v1/privacy/retention", map[string]any{"policies": []map[string]any{{"channel": "email", "days": 30, "mode": "burn"}}}, http.StatusUnprocessableEntity},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := e.do(tc.role, tc.method, tc.path, tc.body); r.status != tc.want {
					t.Errorf("status %d, want %d: %s", r.status, tc.want, r.body)
				}
			})
		}

		r := e.do(S, "GET", base+"/export", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export: status %d, type %q", r.status, r.header.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatalf("export is not a zip: %v", err)
		}
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		if !names["contact.json"] || !names["data/messages.json"] || len(zr.File) < 15 {
			t.Errorf("archive = %v", names)
		}

		rep := e.must(S, "POST", base+"/erase", map[string]string{"confirm": " " + strings.ToUpper(cu.Contact.Email)}, http.StatusOK)
		if rep["complete"] != true || num(rep["files"]) != int64(len(cu.BlobKeys)) || num(rep["messages"]) != 5 {
			t.Errorf("erasure report = %v", rep)
		}
		e.must(S, "GET", base, nil, http.StatusNotFound)
		reports := e.must(S, "GET", "/api/v1/privacy/erasures", nil, http.StatusOK)
		if items, _ := reports["items"].([]any); len(items) != 1 {
			t.Errorf("erasures = %v, want one", reports)
		}

		log := e.must(X, "GET", "/api/v1/privacy/access?contact_id="+strconv.FormatInt(cu.Contact.ID, 10), nil, http.StatusOK)
		var actions []string
		items, _ := log["items"].([]any)
		for _, it := range items {
			actions = append(actions, it.(map[string]any)["action"].(string))
		}
		if got, want := strings.Join(actions, ","), "erase,export,view_contact"; got != want {
			t.Errorf("access log = %s, want %s", got, want)
		}

		pol := map[string]any{"policies": []map[string]any{{"channel": "email", "days": 365, "mode": "anonymise"}}}
		e.must(X, "PUT", "/api/v1/privacy/retention", pol, http.StatusOK)
		got := e.must(X, "GET", "/api/v1/privacy/retention", nil, http.StatusOK)
		if ps, _ := got["policies"].([]any); len(ps) != 1 || ps[0].(map[string]any)["mode"] != "anonymise" {
			t.Errorf("policies = %v", got)
		}
	})
}

// TestPrivacyPages: the erasure's two steps on a customer's privacy page,
// the export link, and the admins' privacy page with the access log, the
// report and the retention form, through the real router.
func TestPrivacyPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		cu := storetest.SeedCustomer(t, e.app.Store, "aa", func(content string) string {
			key := blob.NewKey()
			if err := e.app.Blob.Put(t.Context(), key, strings.NewReader(content), int64(len(content)), ""); err != nil {
				t.Fatalf("Put: %v", err)
			}
			return key
		})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		page := func(role desk.Role, method, path string, form url.Values) (int, string) {
			t.Helper()
			cookie, csrf := login(t, e, role)
			var body io.Reader
			if form != nil {
				form.Set("csrf_token", csrf)
				body = strings.NewReader(form.Encode())
			}
			req, err := http.NewRequest(method, e.srv.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
			req.Header.Set(auth.CSRFHeader, csrf)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		const X, S, A = desk.RoleAdmin, desk.RoleSupervisor, desk.RoleAgent
		contact := "/app/contacts/" + strconv.FormatInt(cu.Contact.ID, 10)

		if status, body := page(A, "GET", contact, nil); status != http.StatusOK || strings.Contains(body, "privacy-link") {
			t.Errorf("agent's contact page: %d, privacy link shown %v", status, strings.Contains(body, "privacy-link"))
		}
		if status, body := page(S, "GET", contact, nil); status != http.StatusOK || !strings.Contains(body, "privacy-link") {
			t.Errorf("supervisor's contact page: %d, want the privacy link", status)
		}
		if status, _ := page(A, "GET", contact+"/privacy", nil); status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("agent on the privacy page: %d, want refused", status)
		}
		status, body := page(S, "GET", contact+"/privacy", nil)
		if status != http.StatusOK || !strings.Contains(body, `data-testid="erase-form"`) || !strings.Contains(body, `data-testid="export-link"`) {
			t.Fatalf("privacy page: %d", status)
		}
		if status, _ := page(S, "GET", contact+"/export", nil); status != http.StatusOK {
			t.Errorf("export: %d", status)
		}

		for _, tc := range []struct {
			name string
			form url.Values
		}{
			{"wrong text", url.Values{"confirm": {"Someone Else"}, "understood": {"1"}}},
			{"box not ticked", url.Values{"confirm": {cu.Contact.Email}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := page(S, "POST", contact+"/erase", tc.form)
				if status != http.StatusUnprocessableEntity || !strings.Contains(body, "erase-wrong") {
					t.Errorf("erase: %d, want 422 with the message", status)
				}
				if _, err := e.app.Store.ContactByID(t.Context(), cu.Contact.ID); err != nil {
					t.Errorf("contact gone after a refused erasure: %v", err)
				}
			})
		}
		status, body = page(S, "POST", contact+"/erase", url.Values{"confirm": {cu.Contact.Name}, "understood": {"1"}})
		if status != http.StatusOK || !strings.Contains(body, `data-complete="true"`) {
			t.Fatalf("erase: %d, want the complete report", status)
		}
		if status, _ := page(S, "GET", contact, nil); status != http.StatusNotFound {
			t.Errorf("contact page after erasure: %d, want 404", status)
		}

		if status, _ := page(S, "GET", "/admin/privacy", nil); status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("supervisor on the admin page: %d, want refused", status)
		}
		if status, _ := page(X, "POST", "/admin/privacy/retention", url.Values{"days_email": {"90"}, "mode_email": {"anonymise"}}); status != http.StatusSeeOther {
			t.Errorf("retention form: %d, want 303", status)
		}
		status, body = page(X, "GET", "/admin/privacy?action=erase", nil)
		if status != http.StatusOK {
			t.Fatalf("admin privacy page: %d", status)
		}
		if n := strings.Count(body, `data-testid="access-row"`); n != 1 {
			t.Errorf("access rows filtered on erase = %d, want 1", n)
		}
		if n := strings.Count(body, `data-testid="erasure-row"`); n != 1 {
			t.Errorf("erasure rows = %d, want 1", n)
		}
		if !strings.Contains(body, `name="days_email" type="number" min="0" max="36500" value="90"`) {
			t.Errorf("retention form does not show the saved 90 days")
		}
	})
}

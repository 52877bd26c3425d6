package helpcenter

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/privacy"
)

// withPrivacy gives the portal fixture the agents' export service.
func withPrivacy(t *testing.T, f *portalFixture) {
	t.Helper()
	d, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.h.portal.p.Privacy = privacy.New(f.st, d, f.clock, nil)
}

// unzip reads an archive into file name → content.
func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the download is no zip archive: %v", err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[zf.Name] = string(data)
	}
	return out
}

// selfExports counts the customer's own downloads in the access log.
func selfExports(t *testing.T, f *portalFixture, contactID int64) int {
	t.Helper()
	entries, err := f.st.ListAccess(context.Background(), desk.AccessQuery{ContactID: contactID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action != desk.AccessExportSelf || e.AgentID != 0 {
			t.Errorf("access entry %+v, want the customer's own export (agent 0)", e)
			continue
		}
		n++
	}
	return n
}

func TestPortalExportHoldsOwnDataOnly(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		withPrivacy(t, f)
		sanne := f.login(t, "sanne@example.com")
		home := sanne.do(t, http.MethodGet, "/help/nl/account", nil).Body.String()
		if !strings.Contains(home, "Mijn gegevens en privacy") || !strings.Contains(home, `data-testid="privacy-export"`) {
			t.Fatalf("the portal has no privacy section with a download:\n%s", home)
		}
		rec := sanne.do(t, http.MethodPost, "/help/en/account/privacy/export", url.Values{})
		if rec.Code != http.StatusOK {
			t.Fatalf("export: %d %s", rec.Code, rec.Body.String())
		}
		headers := []struct{ name, want string }{
			{"Content-Type", "application/zip"},
			{"Cache-Control", "no-store"},
			{"Content-Disposition", `attachment; filename="my-data-2026-03-02.zip"`},
		}
		for _, hd := range headers {
			if got := rec.Header().Get(hd.name); got != hd.want {
				t.Errorf("%s = %q, want %q", hd.name, got, hd.want)
			}
		}
		files := unzip(t, rec.Body.Bytes())
		var sb strings.Builder
		for name, body := range files {
			sb.WriteString(name + "\n" + body + "\n")
		}
		all := sb.String()
		for _, want := range []string{"Waar blijft mijn fiets?", "sanne@example.com", "We are looking into it."} {
			if !strings.Contains(all, want) {
				t.Errorf("the export lacks %q", want)
			}
		}
		for _, bad := range []string{"Bram", "bram@example.com"} {
			if strings.Contains(all, bad) {
				t.Errorf("Sanne's export holds %q of another customer", bad)
			}
		}
		if !strings.Contains(files["contact.json"], `"contact_id": `+itoa(f.sanne.ID)) {
			t.Errorf("contact.json does not name Sanne (%d):\n%s", f.sanne.ID, files["contact.json"])
		}
		if n := selfExports(t, f, f.sanne.ID); n != 1 {
			t.Errorf("access log has %d customer exports of Sanne, want 1", n)
		}
		if n := selfExports(t, f, f.bram.ID); n != 0 {
			t.Errorf("access log has %d exports of Bram, want 0", n)
		}
	})
}

func TestPortalExportRateLimit(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		withPrivacy(t, f)
		sanne := f.login(t, "sanne@example.com")
		export := func(c *client) *httptest.ResponseRecorder {
			return c.do(t, http.MethodPost, "/help/en/account/privacy/export", url.Values{})
		}
		for i := range exportsPerHour {
			if rec := export(sanne); rec.Code != http.StatusOK {
				t.Fatalf("download %d: %d, want 200", i+1, rec.Code)
			}
		}
		rec := export(sanne)
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `data-testid="privacy-error"`) ||
			rec.Header().Get("Content-Disposition") != "" {
			t.Fatalf("download %d: %d, want 429 with the portal's error and no archive", exportsPerHour+1, rec.Code)
		}
		// The limit is Sanne's, not her address's.
		bram := f.login(t, "bram@example.com")
		if rec := export(bram); rec.Code != http.StatusOK {
			t.Errorf("Bram's download from the same address: %d, want 200", rec.Code)
		}
		f.clock.add(time.Hour / exportsPerHour)
		if rec := export(sanne); rec.Code != http.StatusOK {
			t.Errorf("download after %s: %d, want 200", time.Hour/exportsPerHour, rec.Code)
		}
		if n := selfExports(t, f, f.sanne.ID); n != exportsPerHour+1 {
			t.Errorf("access log has %d exports of Sanne, want %d (the refused one is not one)", n, exportsPerHour+1)
		}
	})
}

// erasureRequestsOf lists a customer's labelled erasure requests.
func erasureRequestsOf(t *testing.T, f *portalFixture, contactID int64) []desk.Conversation {
	t.Helper()
	page, err := f.st.ListConversations(context.Background(), desk.ConversationQuery{ContactID: contactID, Label: ErasureLabel})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestPortalErasureRequest(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		ctx := context.Background()
		sanne := f.login(t, "sanne@example.com")
		forget := "/help/en/account/privacy/forget"
		home := sanne.do(t, http.MethodGet, "/help/en/account", nil).Body.String()
		if !strings.Contains(home, `data-testid="privacy-forget"`) || strings.Contains(home, `data-testid="privacy-export"`) {
			t.Errorf("without an export service the portal offers the request and no download:\n%s", home)
		}
		if rec := sanne.do(t, http.MethodGet, forget, nil); rec.Code != http.StatusOK ||
			!strings.Contains(rec.Body.String(), `data-testid="privacy-confirm"`) {
			t.Fatalf("confirmation page: %d, want the confirmation form", rec.Code)
		}
		refused := []struct {
			name string
			form url.Values
			want int
		}{
			{"not confirmed", url.Values{"note": {"please"}}, http.StatusUnprocessableEntity},
			{"note too long", url.Values{"confirm": {"1"}, "note": {strings.Repeat("x", maxErasureNote+1)}}, http.StatusUnprocessableEntity},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				rec := sanne.do(t, http.MethodPost, forget, tc.form)
				if rec.Code != tc.want || !strings.Contains(rec.Body.String(), `data-testid="privacy-error"`) {
					t.Errorf("status %d, want %d with an error on the form", rec.Code, tc.want)
				}
				if n := len(erasureRequestsOf(t, f, f.sanne.ID)); n != 0 {
					t.Errorf("%d requests, want none", n)
				}
			})
		}

		rec := sanne.do(t, http.MethodPost, forget, url.Values{"confirm": {"1"}, "note": {"Also my newsletter, please."}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/help/en/account#privacy" {
			t.Fatalf("request: %d to %q, want 303 to the portal", rec.Code, rec.Header().Get("Location"))
		}
		reqs := erasureRequestsOf(t, f, f.sanne.ID)
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		cv := reqs[0]
		if cv.Subject != "Request to erase my data (GDPR)" || cv.Channel != desk.ChannelEmail || cv.Status != desk.StatusOpen {
			t.Errorf("request = subject %q channel %s status %s, want the GDPR subject, open, in the email inbox",
				cv.Subject, cv.Channel, cv.Status)
		}
		msgs, err := f.st.ListMessages(ctx, cv.ID, 0, 10)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("request messages: %v (%d)", err, len(msgs))
		}
		if m := msgs[0]; m.Sender != desk.SenderContact || m.SenderID != f.sanne.ID ||
			!strings.Contains(m.Body, "article 17") || !strings.Contains(m.Body, "Also my newsletter, please.") {
			t.Errorf("first message = %+v, want Sanne's request with her note", m)
		}

		home = sanne.do(t, http.MethodGet, "/help/en/account", nil).Body.String()
		for _, want := range []string{`data-testid="privacy-request"`, "On 2 March 2026 you asked", "by 2 April 2026",
			`href="/help/en/account/c/` + itoa(cv.ID) + `"`} {
			if !strings.Contains(home, want) {
				t.Errorf("the portal's acknowledgement lacks %q", want)
			}
		}
		if strings.Contains(home, `data-testid="privacy-forget"`) {
			t.Error("the portal offers a second request while one is open")
		}
		// A second request (an old tab, a double click) adds nothing.
		if rec := sanne.do(t, http.MethodPost, forget, url.Values{"confirm": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("second request: %d, want 303", rec.Code)
		}
		if rec := sanne.do(t, http.MethodGet, forget, nil); rec.Code != http.StatusSeeOther {
			t.Errorf("confirmation page with a request open: %d, want 303 to the portal", rec.Code)
		}
		if n := len(erasureRequestsOf(t, f, f.sanne.ID)); n != 1 {
			t.Errorf("%d requests after a second one, want 1", n)
		}
		// Bram's portal knows nothing of it.
		bram := f.login(t, "bram@example.com")
		if body := bram.do(t, http.MethodGet, "/help/en/account", nil).Body.String(); strings.Contains(body, `data-testid="privacy-request"`) {
			t.Error("Bram's portal shows Sanne's request")
		}

		// Once the agents closed it, a new request may be made.
		resolved := desk.StatusResolved
		if _, err := f.convs.Update(ctx, conversation.Actor{Name: "Anna"}, cv.ID, conversation.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		sanne.do(t, http.MethodPost, forget, url.Values{"confirm": {"1"}})
		if n := len(erasureRequestsOf(t, f, f.sanne.ID)); n != 2 {
			t.Errorf("%d requests after the first was resolved, want 2", n)
		}
	})
}

// TestPortalErasureRequestOnce: requests sent at once, or after one whose
// labelling failed, leave one labelled conversation.
func TestPortalErasureRequestOnce(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		ctx := context.Background()
		inbox, err := f.h.erasureInbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A request stored without its label, as if the node died between.
		half, err := f.convs.Ingest(ctx, desk.Inbound{InboxID: inbox.ID, ContactID: f.sanne.ID, NewConversation: true,
			ExternalID: "portal-" + ErasureLabel + ":" + strconv.FormatInt(f.sanne.ID, 10) + ":0", Body: "erase me"})
		if err != nil {
			t.Fatal(err)
		}
		sanne := f.login(t, "sanne@example.com")
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if rec := sanne.do(t, http.MethodPost, "/help/en/account/privacy/forget", url.Values{"confirm": {"1"}}); rec.Code != http.StatusSeeOther {
					t.Errorf("request: %d, want 303", rec.Code)
				}
			})
		}
		wg.Wait()
		var ids []int64
		for _, cv := range erasureRequestsOf(t, f, f.sanne.ID) {
			ids = append(ids, cv.ID)
		}
		if want := []int64{half.Conversation.ID}; !slices.Equal(ids, want) {
			t.Errorf("requests = %v, want only the half-done one, labelled: %v", ids, want)
		}
	})
}

func TestPortalPrivacyRefusesCrossSiteAndStrangers(t *testing.T) {
	forEachPortalStore(t, func(t *testing.T, f *portalFixture) {
		withPrivacy(t, f)
		sanne := f.login(t, "sanne@example.com")
		tests := []struct {
			name   string
			path   string
			site   string // Sec-Fetch-Site
			cookie bool
			want   int
		}{
			{"cross-site export", "/help/en/account/privacy/export", "cross-site", true, http.StatusNotFound},
			{"same-site export", "/help/en/account/privacy/export", "same-site", true, http.StatusNotFound},
			{"cross-site request", "/help/en/account/privacy/forget", "cross-site", true, http.StatusNotFound},
			{"export logged out", "/help/en/account/privacy/export", "same-origin", false, http.StatusSeeOther},
			{"request logged out", "/help/en/account/privacy/forget", "same-origin", false, http.StatusSeeOther},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("confirm=1"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", tc.site)
				req.RemoteAddr = "192.0.2.90:4000"
				if tc.cookie {
					req.AddCookie(sanne.cookie)
				}
				rec := httptest.NewRecorder()
				f.mux.ServeHTTP(rec, req)
				if rec.Code != tc.want || rec.Header().Get("Content-Type") == "application/zip" {
					t.Errorf("status %d (%s), want %d and no archive", rec.Code, rec.Header().Get("Content-Type"), tc.want)
				}
			})
		}
		if n := selfExports(t, f, f.sanne.ID); n != 0 {
			t.Errorf("%d exports logged, want none", n)
		}
		if n := len(erasureRequestsOf(t, f, f.sanne.ID)); n != 0 {
			t.Errorf("%d erasure requests, want none", n)
		}
	})
}

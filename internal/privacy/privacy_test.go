package privacy_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/privacy"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/store/storetest"
	"github.com/balie-dev/balie/internal/testenv"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	store   desk.Store
	blobDir string
	blob    *blob.Disk
	svc     *privacy.Service
	dbPath  string // SQLite only
}

// stores opens every store testenv offers, plus a SQLite one whose file
// the test can read byte by byte.
func stores(t *testing.T) map[string]func(t *testing.T) *env {
	out := map[string]func(t *testing.T) *env{}
	for _, o := range testenv.Stores() {
		if o.Name == "sqlite" {
			continue
		}
		out[o.Name] = func(t *testing.T) *env { return newEnv(t, o.Open(t), "") }
	}
	out["sqlite"] = func(t *testing.T) *env {
		path := filepath.Join(t.TempDir(), "balie.db")
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return newEnv(t, st, path)
	}
	return out
}

func newEnv(t *testing.T, st desk.Store, dbPath string) *env {
	dir := t.TempDir()
	d, err := blob.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: st, blobDir: dir, blob: d, dbPath: dbPath,
		svc: privacy.New(st, d, desk.ClockFunc(func() time.Time { return now }), nil)}
}

func (e *env) put(t *testing.T) func(string) string {
	return func(content string) string {
		k := blob.NewKey()
		if err := e.blob.Put(t.Context(), k, strings.NewReader(content), int64(len(content)), ""); err != nil {
			t.Fatalf("Put: %v", err)
		}
		return k
	}
}

// blobFiles lists the keys of the files in the blob directory.
func blobFiles(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestEraseLeavesNothing is the measured test of issue 7: a customer seeded
// across channels is erased, and then no row, index entry or file with
// their data is left, while another customer's data is untouched.
func TestEraseLeavesNothing(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			a := storetest.SeedCustomer(t, e.store, "aa", e.put(t))
			b := storetest.SeedCustomer(t, e.store, "bbb", e.put(t))
			if got := len(blobFiles(t, e.blobDir)); got != len(a.BlobKeys)+len(b.BlobKeys) {
				t.Fatalf("seeded %d files, want %d", got, len(a.BlobKeys)+len(b.BlobKeys))
			}

			r, err := e.svc.Erase(t.Context(), 42, a.Contact.ID)
			if err != nil {
				t.Fatalf("Erase: %v", err)
			}
			if !r.Complete || len(r.Residue) > 0 || r.Files != len(a.BlobKeys) || r.FilesFailed != 0 {
				t.Errorf("report = complete %v, residue %v, files %d (failed %d); want complete, none, %d",
					r.Complete, r.Residue, r.Files, r.FilesFailed, len(a.BlobKeys))
			}
			if r.Conversations != 3 || r.Messages != 5 || r.AgentID != 42 || r.Reason != "request" {
				t.Errorf("report = %d conversations, %d messages, agent %d, reason %q", r.Conversations, r.Messages, r.AgentID, r.Reason)
			}

			// Files: exactly the other customer's are left.
			want := slices.Clone(b.BlobKeys)
			slices.Sort(want)
			if got := blobFiles(t, e.blobDir); !slices.Equal(got, want) {
				t.Errorf("blob files after = %v, want the other customer's %v", got, want)
			}

			// Rows and index entries: the whole-schema scan, which must still
			// find the other customer.
			left, err := e.store.FindResidue(t.Context(), a.Probe())
			if err != nil || len(left) > 0 {
				t.Errorf("FindResidue(erased) = %v, %v; want nothing", left, err)
			}
			other, err := e.store.FindResidue(t.Context(), b.Probe())
			if err != nil || len(other) < 10 {
				t.Errorf("FindResidue(other) = %v, %v; want their rows", other, err)
			}
			for _, q := range []string{a.Marker, a.Contact.Email} {
				hits, err := e.store.SearchConversations(t.Context(), desk.SearchQuery{Text: q})
				if err != nil || len(hits) > 0 {
					t.Errorf("search %q = %d hits, %v; want none", q, len(hits), err)
				}
			}
			if hits, err := e.store.SearchConversations(t.Context(), desk.SearchQuery{Text: b.Marker}); err != nil || len(hits) != 3 {
				t.Errorf("search other's marker = %d hits, %v; want 3", len(hits), err)
			}

			// SQLite: not even the file's bytes (free pages, the full-text
			// index's segments, the WAL) hold the customer's values.
			if e.dbPath != "" {
				for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
					raw, err := os.ReadFile(f)
					if err != nil {
						continue
					}
					for _, v := range a.Values {
						if bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(v))) {
							t.Errorf("%s still holds %q", filepath.Base(f), v)
						}
					}
				}
			}

			reports, err := e.svc.Reports(t.Context(), 10)
			if err != nil || len(reports) != 1 || reports[0].ID != r.ID || !reports[0].Complete {
				t.Errorf("Reports = %+v, %v; want the one report", reports, err)
			}
			log, err := e.svc.Access(t.Context(), desk.AccessQuery{Action: desk.AccessErase})
			if err != nil || len(log) != 1 || log[0].ContactID != a.Contact.ID || log[0].AgentID != 42 {
				t.Errorf("access log = %+v, %v; want the erasure", log, err)
			}
		})
	}
}

func TestExport(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			a := storetest.SeedCustomer(t, e.store, "aa", e.put(t))
			b := storetest.SeedCustomer(t, e.store, "bbb", e.put(t))
			var buf bytes.Buffer
			if err := e.svc.Export(t.Context(), 7, a.Contact.ID, &buf); err != nil {
				t.Fatalf("Export: %v", err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatalf("zip: %v", err)
			}
			files := map[string]string{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				files[f.Name] = string(b)
			}
			for _, name := range []string{"README.txt", "contact.json", "data/contacts.json", "data/identities.json",
				"data/conversations.json", "data/messages.json", "data/attachments.json", "data/orders.json",
				"data/contact_merges.json", "data/bot_sessions.json", "data/flow_runs.json", "data/surveys.json"} {
				if _, ok := files[name]; !ok {
					t.Errorf("archive lacks %s", name)
				}
			}
			var manifest struct {
				ContactIDs []int64 `json:"contact_ids"`
				Files      []struct {
					Path    string `json:"path"`
					Kind    string `json:"kind"`
					Missing bool   `json:"missing"`
				} `json:"files"`
			}
			if err := json.Unmarshal([]byte(files["contact.json"]), &manifest); err != nil {
				t.Fatalf("contact.json: %v", err)
			}
			kinds := map[string]int{}
			for _, f := range manifest.Files {
				kinds[f.Kind]++
				if _, ok := files[f.Path]; !ok || f.Missing {
					t.Errorf("file %s missing from the archive", f.Path)
				}
			}
			if kinds["attachment"] != 2 || kinds["thumbnail"] != 1 || kinds["email_html"] != 1 {
				t.Errorf("file kinds = %v, want 2 attachments, 1 thumbnail, 1 email_html", kinds)
			}
			msgs := files["data/messages.json"]
			if !strings.Contains(msgs, "belde ook al") {
				t.Errorf("messages.json lacks the agent's note")
			}
			all := strings.ToLower(strings.Join(mapValues(files), "\n"))
			for _, v := range b.Values {
				if strings.Contains(all, strings.ToLower(v)) {
					t.Errorf("archive holds the other customer's %q", v)
				}
			}
			if !strings.Contains(all, a.Marker) {
				t.Errorf("archive lacks the customer's own words")
			}
			log, err := e.svc.Access(t.Context(), desk.AccessQuery{Action: desk.AccessExport})
			if err != nil || len(log) != 1 || log[0].AgentID != 7 || log[0].ContactID != a.Contact.ID {
				t.Errorf("access log = %+v, %v; want the export", log, err)
			}
		})
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestRetention(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			// Seeded conversations are from 2025; now is 2026-03.
			a := storetest.SeedCustomer(t, e.store, "aa", e.put(t))
			if err := e.svc.SetPolicies(t.Context(), []privacy.Policy{
				{Channel: desk.ChannelEmail, Days: 30, Mode: privacy.ModeDelete},
				{Channel: desk.ChannelWebChat, Days: 30, Mode: privacy.ModeAnonymise},
				{Channel: desk.ChannelWhatsApp, Days: 0, Mode: privacy.ModeDelete},
			}); err != nil {
				t.Fatalf("SetPolicies: %v", err)
			}
			reports, err := e.svc.ApplyRetention(t.Context())
			if err != nil {
				t.Fatalf("ApplyRetention: %v", err)
			}
			if len(reports) != 2 {
				t.Fatalf("reports = %+v, want email and web chat", reports)
			}
			for _, r := range reports {
				if !r.Complete || r.Reason != "retention" {
					t.Errorf("report = %+v, want complete retention", r)
				}
			}
			if got := len(blobFiles(t, e.blobDir)); got != 0 {
				t.Errorf("%d files left, want 0 (all were on email)", got)
			}
			mail, chat, wa := a.ConversationIDs[0], a.ConversationIDs[1], a.ConversationIDs[2]
			if _, err := e.store.ConversationByID(t.Context(), mail); err == nil {
				t.Errorf("email conversation still there")
			}
			if cv, err := e.store.ConversationByID(t.Context(), chat); err != nil || cv.Subject != "" {
				t.Errorf("web chat shell = %+v, %v", cv, err)
			}
			if msgs, err := e.store.ListMessages(t.Context(), wa, 0, 10); err != nil || len(msgs) != 1 {
				t.Errorf("WhatsApp (kept forever) messages = %d, %v; want 1", len(msgs), err)
			}
			if _, err := e.store.ContactByID(t.Context(), a.Contact.ID); err != nil {
				t.Errorf("contact after retention: %v, want kept", err)
			}
			again, err := e.svc.ApplyRetention(t.Context())
			if err != nil || len(again) != 0 {
				t.Errorf("second run = %v, %v; want nothing to do", again, err)
			}
		})
	}
}

func TestSetPoliciesRejects(t *testing.T) {
	e := stores(t)["sqlite"](t)
	tests := []struct {
		name string
		ps   []privacy.Policy
	}{
		{"unknown channel", []privacy.Policy{{Channel: "fax", Days: 1, Mode: privacy.ModeDelete}}},
		{"twice", []privacy.Policy{{Channel: desk.ChannelEmail, Days: 1, Mode: privacy.ModeDelete}, {Channel: desk.ChannelEmail, Days: 2, Mode: privacy.ModeDelete}}},
		{"negative days", []privacy.Policy{{Channel: desk.ChannelEmail, Days: -1, Mode: privacy.ModeDelete}}},
		{"mode", []privacy.Policy{{Channel: desk.ChannelEmail, Days: 1, Mode: "shred"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.svc.SetPolicies(t.Context(), tc.ps); !errorsIsInvalid(err) {
				t.Errorf("SetPolicies = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLogViewThrottles(t *testing.T) {
	e := stores(t)["sqlite"](t)
	for range 3 {
		if err := e.svc.LogView(t.Context(), 1, 5, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.LogView(t.Context(), 1, 5, 9); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.LogView(t.Context(), 2, 5, 0); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Access(t.Context(), desk.AccessQuery{})
	if err != nil || len(got) != 3 {
		t.Errorf("log = %+v, %v; want 3 rows (one per agent and subject)", got, err)
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, desk.ErrInvalid) }

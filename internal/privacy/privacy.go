// Package privacy carries out the data subject's rights under the GDPR:
// export everything held about a customer as a zip archive, erase a
// customer with a verified-complete report, apply retention policies per
// channel, and keep the log of who looked at personal data.
//
// privacy imports desk only (and the standard library): the store decides
// which tables hold personal data (desk.PrivacyStore).
package privacy

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Store is what the service needs from storage.
type Store interface {
	desk.PrivacyStore
	desk.SettingStore
}

// Service runs exports, erasures and retention, and logs access.
type Service struct {
	store Store
	blob  desk.Blob
	clock desk.Clock
	log   *slog.Logger
	// ViewEvery is how often one agent's views of one contact (or
	// conversation) are logged at most: a view log row per page load would
	// cost a write on every click for no extra accountability.
	viewEvery time.Duration

	mu         sync.Mutex
	seen       map[viewKey]time.Time
	retainedAt time.Time // last retention run (RetentionJob)
}

type viewKey struct {
	agent, contact, conversation int64
}

// New returns a service. log may be nil.
func New(st Store, blob desk.Blob, clock desk.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, blob: blob, clock: clock, log: log, viewEvery: 10 * time.Minute,
		seen: map[viewKey]time.Time{}}
}

// LogView records that an agent viewed a contact's page or a conversation,
// at most once per agent and subject every ten minutes (per node).
func (s *Service) LogView(ctx context.Context, agentID, contactID, conversationID int64) error {
	now := s.clock.Now()
	k := viewKey{agentID, contactID, conversationID}
	s.mu.Lock()
	last, ok := s.seen[k]
	fresh := ok && now.Sub(last) < s.viewEvery
	if !fresh {
		s.seen[k] = now
		if len(s.seen) > 10000 {
			// Forget old entries now and then; the cost is one extra row.
			for key, at := range s.seen {
				if now.Sub(at) >= s.viewEvery {
					delete(s.seen, key)
				}
			}
		}
	}
	s.mu.Unlock()
	if fresh {
		return nil
	}
	action := desk.AccessViewContact
	if conversationID != 0 {
		action = desk.AccessViewConversation
	}
	err := s.store.RecordAccess(ctx, desk.AccessEntry{AgentID: agentID, Action: action, ContactID: contactID,
		ConversationID: conversationID, At: now})
	if err != nil {
		return fmt.Errorf("privacy: log view: %w", err)
	}
	return nil
}

// Access lists the access log.
func (s *Service) Access(ctx context.Context, q desk.AccessQuery) ([]desk.AccessEntry, error) {
	out, err := s.store.ListAccess(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("privacy: access log: %w", err)
	}
	return out, nil
}

// Reports lists the stored erasure reports, newest first.
func (s *Service) Reports(ctx context.Context, limit int) ([]desk.ErasureReport, error) {
	out, err := s.store.ErasureReports(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("privacy: reports: %w", err)
	}
	return out, nil
}

// Export writes a zip archive of everything held about the contact to w:
// README.txt, contact.json (the export's own summary), one JSON file per
// table under data/, and the files under files/. Notes agents wrote about
// the customer are included: they are personal data the customer has a
// right to see. The export is logged.
func (s *Service) Export(ctx context.Context, agentID, contactID int64, w io.Writer) error {
	return s.export(ctx, desk.AccessEntry{AgentID: agentID, Action: desk.AccessExport, ContactID: contactID}, w)
}

// ExportOwn writes the same archive as Export for the customer who asked
// for it themselves, logged as desk.AccessExportSelf. The caller has proven
// that contactID is the logged-in customer.
func (s *Service) ExportOwn(ctx context.Context, contactID int64, w io.Writer) error {
	return s.export(ctx, desk.AccessEntry{Action: desk.AccessExportSelf, ContactID: contactID}, w)
}

// export writes the archive of entry.ContactID, logged as entry.
func (s *Service) export(ctx context.Context, entry desk.AccessEntry, w io.Writer) error {
	contactID := entry.ContactID
	pd, err := s.store.PersonalData(ctx, contactID)
	if err != nil {
		return fmt.Errorf("privacy: export: %w", err)
	}
	entry.At = s.clock.Now()
	if err := s.store.RecordAccess(ctx, entry); err != nil {
		return fmt.Errorf("privacy: export: log: %w", err)
	}
	zw := zip.NewWriter(w)
	now := s.clock.Now()
	add := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
	}
	writeJSON := func(name string, v any) error {
		f, err := add(name)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if f, err := add("README.txt"); err != nil {
		return fmt.Errorf("privacy: export: %w", err)
	} else if _, err := io.WriteString(f, readme); err != nil {
		return fmt.Errorf("privacy: export: %w", err)
	}
	type fileEntry struct {
		Path        string `json:"path"`
		Kind        string `json:"kind"`
		Name        string `json:"name,omitempty"`
		ContentType string `json:"content_type,omitempty"`
		MessageID   int64  `json:"message_id"`
		Missing     bool   `json:"missing,omitempty"`
	}
	manifest := struct {
		ContactID  int64          `json:"contact_id"`
		ContactIDs []int64        `json:"contact_ids"`
		ExportedAt time.Time      `json:"exported_at"`
		Tables     map[string]int `json:"tables"`
		Files      []fileEntry    `json:"files"`
	}{ContactID: contactID, ContactIDs: pd.ContactIDs, ExportedAt: now, Tables: map[string]int{}}
	for _, t := range pd.Tables {
		manifest.Tables[t.Name] = len(t.Rows)
		if err := writeJSON("data/"+t.Name+".json", t.Rows); err != nil {
			return fmt.Errorf("privacy: export: %s: %w", t.Name, err)
		}
	}
	for i, f := range pd.Files {
		e := fileEntry{Kind: f.Kind, Name: f.Name, ContentType: f.ContentType, MessageID: f.MessageID,
			Path: fmt.Sprintf("files/%s/%d-%d-%s", f.Kind, f.MessageID, i+1, safeName(f.Name))}
		if err := s.copyBlob(ctx, add, e.Path, f.Key); err != nil {
			if !errors.Is(err, desk.ErrNotFound) {
				return fmt.Errorf("privacy: export: file: %w", err)
			}
			e.Missing = true
		}
		manifest.Files = append(manifest.Files, e)
	}
	if err := writeJSON("contact.json", manifest); err != nil {
		return fmt.Errorf("privacy: export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("privacy: export: %w", err)
	}
	return nil
}

func (s *Service) copyBlob(ctx context.Context, add func(string) (io.Writer, error), name, key string) error {
	r, err := s.blob.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := add(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// safeName keeps a file name usable inside the archive.
func safeName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		return "file"
	}
	return name
}

const readme = `This archive holds everything this customer service keeps about you.

contact.json   summary: the profiles included, the number of records per table, the files
data/*.json    the records, one JSON file per table, exactly as stored (times in the
               database's own form: milliseconds since 1970 UTC, or ISO 8601)
files/         attachments you and our agents sent, their thumbnails, and the
               HTML version of your e-mails

Internal notes our agents wrote about your questions are included. Help-center
visits and searches are kept under an anonymous, salted network key and are not
linked to you, except where you were signed in.
`

// Erase erases a customer: the rows (one transaction), then their files,
// then a scan of the whole database for what identified them. The report
// (ids and counts only) is stored and returned; Complete is false when the
// scan found anything or a file could not be deleted.
func (s *Service) Erase(ctx context.Context, agentID, contactID int64) (*desk.ErasureReport, error) {
	e, err := s.store.EraseContact(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	r := &desk.ErasureReport{ContactID: contactID, AgentID: agentID, Reason: "request"}
	if err := s.finish(ctx, e, r, desk.ResidueProbe{ContactIDs: e.ContactIDs, ConversationIDs: e.ConversationIDs,
		MessageIDs: e.MessageIDs, Values: e.Values}); err != nil {
		return nil, err
	}
	if err := s.store.RecordAccess(ctx, desk.AccessEntry{AgentID: agentID, Action: desk.AccessErase,
		ContactID: contactID, At: r.At}); err != nil {
		return r, fmt.Errorf("privacy: erase: log: %w", err)
	}
	return r, nil
}

// finish deletes the erasure's files, verifies and stores the report.
func (s *Service) finish(ctx context.Context, e *desk.Erasure, r *desk.ErasureReport, probe desk.ResidueProbe) error {
	r.Conversations, r.Messages, r.Removed = len(e.ConversationIDs), len(e.MessageIDs), e.Removed
	for _, key := range e.BlobKeys {
		if err := s.blob.Delete(ctx, key); err != nil && !errors.Is(err, desk.ErrNotFound) {
			s.log.Error("privacy: delete file", "key", key, "err", err)
			r.FilesFailed++
			continue
		}
		// A file that is still there after Delete said yes is a failure too.
		if rc, err := s.blob.Open(ctx, key); err == nil {
			rc.Close()
			r.FilesFailed++
			continue
		}
		r.Files++
	}
	residue, err := s.store.FindResidue(ctx, probe)
	if err != nil {
		return fmt.Errorf("privacy: verify: %w", err)
	}
	if e.Unpurged {
		// Not a row: earlier copies of pages in the database's files.
		residue = append(residue, desk.Residue{Table: "(database files)", Column: "wal", Rows: 1})
	}
	r.Residue = residue
	r.Complete = len(residue) == 0 && r.FilesFailed == 0
	r.At = s.clock.Now()
	if err := s.store.CreateErasureReport(ctx, r); err != nil {
		return fmt.Errorf("privacy: report: %w", err)
	}
	return nil
}

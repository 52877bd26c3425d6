package desk

import (
	"context"
	"time"
)

// GDPR: what balie holds about a customer can be exported and erased, old
// conversations are removed by retention policies, and every look at
// personal data is logged.
//
// The store knows which of its tables hold personal data; services never
// list tables themselves. Export and erasure read and delete the same
// catalogue, so a table added to one is in the other.

// PrivacyStore is the storage side of the data subject's rights.
type PrivacyStore interface {
	// PersonalData reads every row held about a contact and the contacts
	// merged into it, table by table, with the files those rows point at.
	// A missing contact is ErrNotFound.
	PersonalData(ctx context.Context, contactID int64) (*PersonalData, error)
	// EraseContact deletes, in one transaction, a contact, the contacts
	// merged into it and everything they own: identities, conversations
	// with their messages, search index entries, attachments rows, bot and
	// flow state, orders, action logs, surveys, visits, merge history,
	// pending sends. Each conversation first leaves its anonymous facts
	// (channel, team, category, assignee, times: no contact, no text) in
	// erased_facts, so that analytics keep counting it. The files are not touched: the caller
	// deletes Erasure.BlobKeys from the blob store after the commit. A
	// missing contact is ErrNotFound.
	EraseContact(ctx context.Context, contactID int64) (*Erasure, error)
	// EraseConversations deletes the content of the given conversations
	// (messages, index entries, attachments rows, bot and flow state,
	// surveys...). With keepShell the conversation row stays, stripped of
	// its subject, last message and labels, on its contact's history;
	// without, the row goes too, leaving its anonymous facts. Unknown ids
	// are skipped.
	EraseConversations(ctx context.Context, ids []int64, keepShell bool) (*Erasure, error)
	// ExpiredConversations lists up to limit resolved conversations of a
	// channel whose last activity is before before and that still have
	// content (messages), oldest first.
	ExpiredConversations(ctx context.Context, channel ChannelKind, before time.Time, limit int) ([]int64, error)
	// FindResidue scans every table of the database for the probe: every
	// text column for the values (substring, ASCII case-insensitive),
	// contact, conversation and message id columns for the ids, and the
	// full-text indexes for the ids. The audit log and the erasure reports
	// are left out: they hold ids on purpose, and no other personal data.
	FindResidue(ctx context.Context, p ResidueProbe) ([]Residue, error)

	// RecordAccess appends entries to the personal-data access log.
	RecordAccess(ctx context.Context, entries ...AccessEntry) error
	// ListAccess lists the log newest first (ties by ID).
	ListAccess(ctx context.Context, q AccessQuery) ([]AccessEntry, error)
	// CreateErasureReport stores a report; sets ID and a zero At.
	CreateErasureReport(ctx context.Context, r *ErasureReport) error
	// ErasureReports lists reports newest first, at most limit (0: 50).
	ErasureReports(ctx context.Context, limit int) ([]ErasureReport, error)
}

// PersonalData is everything the database holds about one customer.
type PersonalData struct {
	// ContactIDs are the contact and the contacts merged into it.
	ContactIDs []int64
	// Tables holds the rows of each table with any, in catalogue order.
	Tables []PersonalTable
	// Files are the blobs the rows point at.
	Files []PersonalFile
}

// PersonalTable is a table's rows about a customer, each row as column
// name to value (numbers, strings, booleans, times as stored, nil).
type PersonalTable struct {
	Name string
	Rows []map[string]any
}

// PersonalFile is a blob referred to by a customer's row.
type PersonalFile struct {
	Key         string
	Name        string // the attachment's file name; "" for other files
	ContentType string
	// Kind is "attachment", "thumbnail" or "email_html".
	Kind      string
	MessageID int64
}

// Erasure is what one erasure removed from the database.
type Erasure struct {
	ContactIDs      []int64
	ConversationIDs []int64
	MessageIDs      []int64
	// Values are the contact's email addresses, phone numbers and identity
	// values, as they were: what a residue scan looks for. Never stored.
	Values []string
	// BlobKeys are the files the removed rows pointed at; the caller
	// deletes them.
	BlobKeys []string
	// Removed counts the deleted rows per table (and "index:<name>" for
	// full-text entries).
	Removed map[string]int
	// Unpurged is set when the rows are gone but the database files may
	// still hold earlier copies of them (SQLite: the WAL could not be
	// checkpointed because readers held it). A later erasure or restart
	// purges them.
	Unpurged bool
}

// ResidueProbe is what FindResidue looks for.
type ResidueProbe struct {
	ContactIDs      []int64
	ConversationIDs []int64
	MessageIDs      []int64
	// Values are searched in every text column; values shorter than 4
	// characters are ignored (they would match everywhere).
	Values []string
}

// Residue is a place where a probe was found: rows of a table whose column
// matched. It names no value, so reports holding it hold no personal data.
type Residue struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Rows   int    `json:"rows"`
}

// AccessAction is what an agent did with personal data.
type AccessAction string

const (
	AccessViewContact      AccessAction = "view_contact"
	AccessViewConversation AccessAction = "view_conversation"
	AccessExport           AccessAction = "export"
	AccessErase            AccessAction = "erase"
	// AccessExportSelf: the customer downloaded their own data from the
	// portal (AgentID 0).
	AccessExportSelf AccessAction = "export_self"
)

// AccessEntry is one line of the personal-data access log. AgentID 0 is
// balie itself (retention), an API token without an agent, or the customer
// for AccessExportSelf.
type AccessEntry struct {
	ID             int64
	AgentID        int64
	Action         AccessAction
	ContactID      int64
	ConversationID int64
	At             time.Time
}

// AccessQuery filters the access log; zero fields do not filter. Since is
// inclusive, Until exclusive. BeforeID pages: entries with a smaller ID.
type AccessQuery struct {
	AgentID   int64
	ContactID int64
	Action    AccessAction
	Since     time.Time
	Until     time.Time
	BeforeID  int64
	Limit     int // default 100, at most 1000
}

// ErasureReport is the accountability record of one erasure: who, when,
// what was removed (counts), and the scan that verified it. It holds ids
// and counts only, no personal data.
type ErasureReport struct {
	ID        int64
	ContactID int64 // 0 for a retention run over conversations
	AgentID   int64 // 0: balie itself
	// Reason is "request" (a customer's erasure) or "retention".
	Reason        string
	Conversations int
	Messages      int
	Removed       map[string]int
	Files         int // files deleted from the blob store
	FilesFailed   int // files that could not be deleted (see logs)
	Residue       []Residue
	// Complete is true when the scan found nothing and every file is gone.
	Complete bool
	At       time.Time
}

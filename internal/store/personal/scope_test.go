package personal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeDB answers queries from canned rows, picked by the first key of rows
// that the query contains, and records every statement it executes. Its
// dialect is PostgreSQL's: numbered placeholders, lists bound as they are.
type fakeDB struct {
	rows     map[string][][]any
	queries  []string
	args     [][]any // of each query
	execs    []string
	affected int64 // rows every Exec changes
}

func (f *fakeDB) Query(_ context.Context, scan func(Row) error, query string, args ...any) error {
	f.queries = append(f.queries, query)
	f.args = append(f.args, args)
	keys := make([]string, 0, len(f.rows))
	for k := range f.rows {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic when several keys match
	for _, k := range keys {
		if !strings.Contains(query, k) {
			continue
		}
		for _, r := range f.rows[k] {
			if err := scan(fakeRow(r)); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

func (f *fakeDB) Exec(_ context.Context, query string, args ...any) (int64, error) {
	f.execs = append(f.execs, query)
	return f.affected, nil
}

func (*fakeDB) In(column string, n int) string { return column + " = ANY($" + strconv.Itoa(n) + ")" }
func (*fakeDB) List(v any) any                 { return v }
func (*fakeDB) Contains(text string, n int) string {
	return "contains(" + text + ", $" + strconv.Itoa(n) + ")"
}

type fakeRow []any

func (r fakeRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scan %d values into %d", len(r), len(dest))
	}
	for i, d := range dest {
		switch d := d.(type) {
		case *int64:
			*d = r[i].(int64)
		case *string:
			*d = r[i].(string)
		case *[]byte:
			*d = []byte(r[i].(string))
		default:
			return fmt.Errorf("scan into %T", d)
		}
	}
	return nil
}

func TestPayloadMentions(t *testing.T) {
	sc := &Scope{Conversations: []int64{7}, Messages: []int64{70, 71}}
	tests := []struct {
		name    string
		payload string
		want    bool
	}{
		{"conversation", `{"data":{"conversation":{"id":7}}}`, true},
		{"other conversation", `{"data":{"conversation":{"id":8}}}`, false},
		{"message by id", `{"data":{"message":{"id":71,"conversation_id":9}}}`, true},
		{"message by conversation", `{"data":{"message":{"id":99,"conversation_id":7}}}`, true},
		{"other message", `{"data":{"message":{"id":99,"conversation_id":8}}}`, false},
		{"no data", `{"event":"ping"}`, false},
		{"not JSON", `conversation 7`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PayloadMentions([]byte(tt.payload), sc); got != tt.want {
				t.Errorf("PayloadMentions(%s) = %v, want %v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestWhere(t *testing.T) {
	sc := &Scope{Contacts: []int64{1, 2}, Conversations: []int64{10}, Emails: []string{"a@example.nl"}}
	tests := []struct {
		name      string
		table     Table
		args      []any
		want      string
		wantNArgs int
	}{
		{"one match", Table{Match: []Match{by("contact_id", Contact)}}, nil, "contact_id = ANY($1)", 1},
		{"numbered after args", Table{Match: []Match{by("contact_id", Contact)}}, []any{"x"}, "contact_id = ANY($2)", 2},
		{"any of two", Table{Match: []Match{by("conversation_id", Conversation), by("contact_id", Contact)}}, nil,
			"conversation_id = ANY($1) OR contact_id = ANY($2)", 2},
		{"email in any case", Table{Match: []Match{by("email", Email)}}, nil, "lower(email) = ANY($1)", 1},
		{"with condition", Table{Match: []Match{{Column: "target", Key: Conversation, Cond: "kind = 'x'"}}}, nil,
			"(target = ANY($1) AND kind = 'x')", 1},
		{"no ids of the kind", Table{Match: []Match{by("message_id", Message)}}, nil, "", 0},
		{"skips the empty kind", Table{Match: []Match{by("message_id", Message), by("contact_id", Contact)}}, nil,
			"contact_id = ANY($1)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, args := sc.Where(&fakeDB{}, tt.table, tt.args)
			if got != tt.want || len(args) != tt.wantNArgs {
				t.Errorf("Where = %q with %d args, want %q with %d", got, len(args), tt.want, tt.wantNArgs)
			}
		})
	}
}

func TestCustomerScope(t *testing.T) {
	db := &fakeDB{rows: map[string][][]any{
		"SELECT id FROM contacts": {{int64(1)}},
		"owners":                  {{int64(1)}, {int64(2)}},
		"FROM conversations":      {{int64(10)}},
		"FROM messages":           {{int64(100)}, {int64(101)}},
		"UNION":                   {{"Ann@Example.NL"}, {"+31612345678"}},
	}}
	sc, err := CustomerScope(t.Context(), db, "owners", 1)
	if err != nil {
		t.Fatalf("CustomerScope: %v", err)
	}
	if !slices.Equal(sc.Contacts, []int64{1, 2}) || !slices.Equal(sc.Conversations, []int64{10}) ||
		!slices.Equal(sc.Messages, []int64{100, 101}) {
		t.Errorf("ids = %v %v %v, want [1 2] [10] [100 101]", sc.Contacts, sc.Conversations, sc.Messages)
	}
	if !slices.Equal(sc.Emails, []string{"ann@example.nl"}) {
		t.Errorf("Emails = %v, want [ann@example.nl]", sc.Emails)
	}
	if !slices.Equal(sc.Values, []string{"Ann@Example.NL", "+31612345678"}) {
		t.Errorf("Values = %v, want them as stored", sc.Values)
	}

	_, err = CustomerScope(t.Context(), &fakeDB{}, "owners", 1)
	if !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("CustomerScope of a missing contact: err = %v, want ErrNotFound", err)
	}
}

// deleted lists the tables of the DELETE statements among execs, in order.
func deleted(execs []string) []string {
	var out []string
	for _, q := range execs {
		if rest, ok := strings.CutPrefix(q, "DELETE FROM "); ok {
			out = append(out, strings.Fields(rest)[0])
		}
	}
	return out
}

func TestErase(t *testing.T) {
	all := map[string]bool{}
	for _, tb := range Tables() {
		all[tb.Name] = true
	}
	rows := map[string][][]any{
		"FROM attachments": {{int64(100), "a.pdf", "application/pdf", "blob-a", ""}},
		"kind = 'webhook'": {{int64(5), `{"data":{"conversation":{"id":10}}}`}, {int64(6), `{"data":{"conversation":{"id":11}}}`}},
	}
	scope := func() *Scope {
		return &Scope{Contacts: []int64{1}, Conversations: []int64{10}, Messages: []int64{100},
			Emails: []string{"ann@example.nl"}, Values: []string{"ann@example.nl"}}
	}
	tests := []struct {
		name              string
		tables            map[string]bool
		onlyConversations bool
		keepShell         bool
		wantFirst         []string // the first DELETEs, in order
		wantLast          string   // the last DELETE
		wantNot           []string // tables not deleted from
		wantStrip         bool
	}{
		{name: "customer", tables: all, wantFirst: []string{"outbox", "attachments", "outbox", "messages"},
			wantLast: "contacts"},
		{name: "conversations", tables: all, onlyConversations: true, wantFirst: []string{"outbox", "attachments"},
			wantLast: "conversations", wantNot: []string{"contacts", "identities", "orders", "compliments"}},
		{name: "shells", tables: all, onlyConversations: true, keepShell: true, wantLast: "surveys",
			wantNot: []string{"conversations", "contacts"}, wantStrip: true},
		{name: "missing tables skipped", tables: map[string]bool{"messages": true, "contacts": true},
			wantFirst: []string{"outbox", "messages"}, wantLast: "contacts", wantNot: []string{"attachments", "orders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &fakeDB{rows: rows, affected: 1}
			purged := false
			er := Eraser{DB: db, Tables: tt.tables, EmptyLabels: "'{}'",
				PurgeIndex: func(_ context.Context, sc *Scope, e *desk.Erasure) error {
					purged = true
					if e.Removed["messages"] != 1 {
						t.Errorf("PurgeIndex ran before the messages were deleted: Removed = %v", e.Removed)
					}
					return nil
				}}
			e, err := er.Erase(t.Context(), scope(), tt.onlyConversations, tt.keepShell)
			if err != nil {
				t.Fatalf("Erase: %v", err)
			}
			got := deleted(db.execs)
			if len(got) < len(tt.wantFirst) || !slices.Equal(got[:len(tt.wantFirst)], tt.wantFirst) {
				t.Errorf("deleted %v, want it to begin with %v", got, tt.wantFirst)
			}
			if len(got) == 0 || got[len(got)-1] != tt.wantLast {
				t.Errorf("deleted %v, want it to end with %s", got, tt.wantLast)
			}
			for _, not := range tt.wantNot {
				if slices.Contains(got, not) {
					t.Errorf("deleted %v, want no %s", got, not)
				}
			}
			stripped := slices.ContainsFunc(db.execs, func(q string) bool {
				return strings.HasPrefix(q, "UPDATE conversations") && strings.Contains(q, "labels = '{}'")
			})
			if stripped != tt.wantStrip {
				t.Errorf("stripped conversations = %v, want %v (execs %v)", stripped, tt.wantStrip, db.execs)
			}
			facts := slices.IndexFunc(db.execs, func(q string) bool { return strings.HasPrefix(q, "INSERT INTO erased_facts") })
			convs := slices.Index(got, "conversations")
			if (convs >= 0) != (facts >= 0) {
				t.Errorf("conversations deleted: %v, facts kept: %v; want both or neither", convs >= 0, facts >= 0)
			}
			if !purged {
				t.Error("PurgeIndex was not called")
			}
			if !slices.Equal(e.BlobKeys, []string{"blob-a"}) {
				t.Errorf("BlobKeys = %v, want [blob-a]", e.BlobKeys)
			}
			if e.Removed["outbox"] < 1 {
				t.Errorf("Removed = %v, want the webhook row counted in outbox", e.Removed)
			}
			if !slices.Equal(e.Values, []string{"ann@example.nl"}) {
				t.Errorf("Values = %v, want the scope's", e.Values)
			}
		})
	}
}

func TestExport(t *testing.T) {
	db := &fakeDB{rows: map[string][][]any{
		"kind = 'webhook'": {{int64(5), `{"data":{"message":{"id":100}}}`}},
	}}
	sc := &Scope{Contacts: []int64{1}, Conversations: []int64{10}, Messages: []int64{100}}
	var read []string
	pd, err := Export(t.Context(), db, sc, map[string]bool{"outbox": true, "contacts": true, "orders": false},
		func(_ context.Context, table, where string, args []any) ([]map[string]any, error) {
			read = append(read, table+": "+where)
			if table == "contacts" {
				return []map[string]any{{"id": int64(1)}}, nil
			}
			return nil, nil
		})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	want := []string{
		"outbox: (target = ANY($1) AND kind = 'channel_send') OR id = ANY($2)",
		"contacts: id = ANY($1)",
	}
	if !slices.Equal(read, want) {
		t.Errorf("read %q, want %q", read, want)
	}
	if len(pd.Tables) != 1 || pd.Tables[0].Name != "contacts" {
		t.Errorf("Tables = %+v, want only contacts (the others have no rows)", pd.Tables)
	}
}

func TestFindResidue(t *testing.T) {
	db := &fakeDB{rows: map[string][][]any{"count(*)": {{int64(2)}}}}
	p := desk.ResidueProbe{ContactIDs: []int64{1}, MessageIDs: []int64{100}, Values: []string{"Ann@Example.nl", "abc"}}
	cols := []Column{
		{Table: "orders", Name: "contact_id", Integer: true},
		{Table: "orders", Name: "total", Integer: true},
		{Table: "orders", Name: "note", Text: "note::text"},
		{Table: "orders", Name: "conversation_id", Integer: true}, // the probe has no conversations
		{Table: "personal_data_access", Name: "contact_id", Integer: true},
	}
	got, err := FindResidue(t.Context(), db, p, cols, []Index{{Table: "message_fts", Key: Message}})
	if err != nil {
		t.Fatalf("FindResidue: %v", err)
	}
	want := []desk.Residue{{Table: "orders", Column: "contact_id", Rows: 2}, {Table: "orders", Column: "note", Rows: 2},
		{Table: "outbox", Column: "target", Rows: 2}, {Table: "message_fts", Column: "rowid", Rows: 2}}
	if !slices.Equal(got, want) {
		t.Errorf("FindResidue = %+v, want %+v", got, want)
	}
	i := slices.Index(db.queries, `SELECT count(*) FROM "orders" WHERE contains(note::text, $1)`)
	if i < 0 {
		t.Fatalf("queries %q lack the value search of orders.note", db.queries)
	}
	// Lower case, and too short a value is left out.
	if got, want := fmt.Sprint(db.args[i]), "[[ann@example.nl]]"; got != want {
		t.Errorf("value search bound %s, want %s", got, want)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"table", []string{"orders"}, `"orders"`},
		{"column", []string{"orders", "note"}, `"orders"."note"`},
		{"quote inside", []string{`we"ird`}, `"we""ird"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.parts...); got != tt.want {
				t.Errorf("Quote(%q) = %s, want %s", tt.parts, got, tt.want)
			}
		})
	}
}

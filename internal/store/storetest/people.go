package storetest

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var agentTests = []test{
	{"create and read back", func(t *testing.T, s desk.Store) {
		a := &desk.Agent{Email: "Anna@Example.com", Name: "Anna", Role: desk.RoleSupervisor,
			Locale: "en", PasswordHash: "$argon2id$v=19$abc", Availability: desk.Away,
			CreatedAt: at(0), UpdatedAt: at(1)}
		must(t, s.CreateAgent(ctx(t), a), "CreateAgent")
		if a.ID == 0 {
			t.Fatal("CreateAgent did not set ID")
		}
		for _, get := range []struct {
			name string
			fn   func() (*desk.Agent, error)
		}{
			{"by id", func() (*desk.Agent, error) { return s.AgentByID(ctx(t), a.ID) }},
			{"by email exact", func() (*desk.Agent, error) { return s.AgentByEmail(ctx(t), "Anna@Example.com") }},
			{"by email other case", func() (*desk.Agent, error) { return s.AgentByEmail(ctx(t), "anna@EXAMPLE.com") }},
		} {
			got, err := get.fn()
			must(t, err, get.name)
			if got.ID != a.ID || got.Email != a.Email || got.Name != "Anna" || got.Role != desk.RoleSupervisor ||
				got.Locale != "en" || got.PasswordHash != a.PasswordHash || got.Availability != desk.Away || got.Disabled {
				t.Errorf("%s: got %+v, want %+v", get.name, got, a)
			}
			checkTime(t, get.name+" CreatedAt", got.CreatedAt, at(0))
		}
	}},
	{"zero CreatedAt is set", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Bo", "bo@example.com")
		if a.CreatedAt.IsZero() {
			t.Error("CreatedAt not set")
		}
		got, err := s.AgentByID(ctx(t), a.ID)
		must(t, err, "AgentByID")
		checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	}},
	{"email unique case-insensitive", func(t *testing.T, s desk.Store) {
		newAgent(t, s, "Anna", "anna@example.com")
		err := s.CreateAgent(ctx(t), &desk.Agent{Email: "ANNA@example.com", Name: "Other", Role: desk.RoleAgent})
		wantErr(t, err, desk.ErrConflict, "CreateAgent duplicate email")
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.AgentByID(ctx(t), 424242)
		wantErr(t, err, desk.ErrNotFound, "AgentByID")
		_, err = s.AgentByEmail(ctx(t), "nobody@example.com")
		wantErr(t, err, desk.ErrNotFound, "AgentByEmail")
		err = s.UpdateAgent(ctx(t), &desk.Agent{ID: 424242, Name: "x", Role: desk.RoleAgent})
		wantErr(t, err, desk.ErrNotFound, "UpdateAgent")
		err = s.SetAgentTeams(ctx(t), 424242, nil)
		wantErr(t, err, desk.ErrNotFound, "SetAgentTeams")
	}},
	{"update", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "anna@example.com")
		a.Name, a.Role, a.Locale, a.PasswordHash = "Anna B", desk.RoleAdmin, "en", "$argon2id$new"
		a.Availability, a.Disabled, a.UpdatedAt = desk.Offline, true, at(5)
		must(t, s.UpdateAgent(ctx(t), a), "UpdateAgent")
		got, err := s.AgentByID(ctx(t), a.ID)
		must(t, err, "AgentByID")
		if got.Name != "Anna B" || got.Role != desk.RoleAdmin || got.Locale != "en" ||
			got.PasswordHash != "$argon2id$new" || got.Availability != desk.Offline || !got.Disabled {
			t.Errorf("after update got %+v", got)
		}
		if got.Email != "anna@example.com" {
			t.Errorf("Email = %q, want unchanged", got.Email)
		}
	}},
	{"list by name with teams", func(t *testing.T, s desk.Store) {
		c := newAgent(t, s, "Cees", "c@example.com")
		a := newAgent(t, s, "Anna", "a@example.com")
		b := newAgent(t, s, "Bram", "b@example.com")
		t1, t2 := newTeam(t, s, "Billing"), newTeam(t, s, "Support")
		must(t, s.SetAgentTeams(ctx(t), b.ID, []int64{t2.ID, t1.ID}), "SetAgentTeams")
		got, err := s.ListAgents(ctx(t))
		must(t, err, "ListAgents")
		if want := []int64{a.ID, b.ID, c.ID}; !sameIDs(ids(got, func(a desk.Agent) int64 { return a.ID }), want) {
			t.Fatalf("ListAgents ids = %v, want %v", ids(got, func(a desk.Agent) int64 { return a.ID }), want)
		}
		if !sameSet(got[1].TeamIDs, []int64{t1.ID, t2.ID}) {
			t.Errorf("Bram TeamIDs = %v, want %v", got[1].TeamIDs, []int64{t1.ID, t2.ID})
		}
		if len(got[0].TeamIDs) != 0 {
			t.Errorf("Anna TeamIDs = %v, want none", got[0].TeamIDs)
		}
	}},
	{"set teams replaces", func(t *testing.T, s desk.Store) {
		a := newAgent(t, s, "Anna", "a@example.com")
		t1, t2, t3 := newTeam(t, s, "One"), newTeam(t, s, "Two"), newTeam(t, s, "Three")
		must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{t1.ID, t2.ID}), "SetAgentTeams 1")
		must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{t3.ID, t3.ID}), "SetAgentTeams 2")
		got, err := s.AgentByID(ctx(t), a.ID)
		must(t, err, "AgentByID")
		if !sameSet(got.TeamIDs, []int64{t3.ID}) {
			t.Errorf("TeamIDs = %v, want [%d]", got.TeamIDs, t3.ID)
		}
		must(t, s.SetAgentTeams(ctx(t), a.ID, nil), "SetAgentTeams empty")
		got, err = s.AgentByEmail(ctx(t), "a@example.com")
		must(t, err, "AgentByEmail")
		if len(got.TeamIDs) != 0 {
			t.Errorf("TeamIDs = %v, want none", got.TeamIDs)
		}
	}},
}

var teamTests = []test{
	{"create read update list", func(t *testing.T, s desk.Store) {
		b := newTeam(t, s, "Support")
		a := newTeam(t, s, "Billing")
		if a.ID == 0 || a.CreatedAt.IsZero() {
			t.Fatalf("CreateTeam did not set ID/CreatedAt: %+v", a)
		}
		b.Name, b.Description = "Service", "front line"
		must(t, s.UpdateTeam(ctx(t), b), "UpdateTeam")
		got, err := s.TeamByID(ctx(t), b.ID)
		must(t, err, "TeamByID")
		if got.Name != "Service" || got.Description != "front line" {
			t.Errorf("TeamByID = %+v", got)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, b.CreatedAt)
		list, err := s.ListTeams(ctx(t))
		must(t, err, "ListTeams")
		if gotIDs := ids(list, func(t desk.Team) int64 { return t.ID }); !sameIDs(gotIDs, []int64{a.ID, b.ID}) {
			t.Errorf("ListTeams = %v, want %v", gotIDs, []int64{a.ID, b.ID})
		}
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.TeamByID(ctx(t), 99)
		wantErr(t, err, desk.ErrNotFound, "TeamByID")
		wantErr(t, s.UpdateTeam(ctx(t), &desk.Team{ID: 99, Name: "x"}), desk.ErrNotFound, "UpdateTeam")
		wantErr(t, s.DeleteTeam(ctx(t), 99), desk.ErrNotFound, "DeleteTeam")
	}},
	{"members", func(t *testing.T, s desk.Store) {
		tm, other := newTeam(t, s, "Support"), newTeam(t, s, "Other")
		z := newAgent(t, s, "Zoe", "z@example.com")
		a := newAgent(t, s, "Anna", "a@example.com")
		newAgent(t, s, "Bram", "b@example.com")
		must(t, s.SetAgentTeams(ctx(t), z.ID, []int64{tm.ID}), "SetAgentTeams z")
		must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{tm.ID, other.ID}), "SetAgentTeams a")
		got, err := s.TeamMembers(ctx(t), tm.ID)
		must(t, err, "TeamMembers")
		if gotIDs := ids(got, func(a desk.Agent) int64 { return a.ID }); !sameIDs(gotIDs, []int64{a.ID, z.ID}) {
			t.Errorf("TeamMembers = %v, want %v (by name)", gotIDs, []int64{a.ID, z.ID})
		}
		if len(got) == 2 && !sameSet(got[0].TeamIDs, []int64{tm.ID, other.ID}) {
			t.Errorf("member TeamIDs = %v, want both teams", got[0].TeamIDs)
		}
	}},
	{"delete clears memberships and conversations", func(t *testing.T, s desk.Store) {
		tm, keep := newTeam(t, s, "Support"), newTeam(t, s, "Keep")
		a := newAgent(t, s, "Anna", "a@example.com")
		must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{tm.ID, keep.ID}), "SetAgentTeams")
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		cv.TeamID = tm.ID
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")

		must(t, s.DeleteTeam(ctx(t), tm.ID), "DeleteTeam")
		_, err := s.TeamByID(ctx(t), tm.ID)
		wantErr(t, err, desk.ErrNotFound, "TeamByID after delete")
		got, err := s.AgentByID(ctx(t), a.ID)
		must(t, err, "AgentByID")
		if !sameSet(got.TeamIDs, []int64{keep.ID}) {
			t.Errorf("TeamIDs = %v, want [%d]", got.TeamIDs, keep.ID)
		}
		gotCv, err := s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID")
		if gotCv.TeamID != 0 {
			t.Errorf("conversation TeamID = %d, want 0", gotCv.TeamID)
		}
		n, err := s.CountConversations(ctx(t), desk.ConversationQuery{View: desk.ViewAll, TeamID: tm.ID})
		must(t, err, "CountConversations")
		if n != 0 {
			t.Errorf("conversations of deleted team = %d, want 0", n)
		}
	}},
	{"delete clears inboxes, keeps other teams' references", func(t *testing.T, s desk.Store) {
		gone, keep := newTeam(t, s, "Gone"), newTeam(t, s, "Keep")
		inGone := &desk.Inbox{Name: "web", Channel: desk.ChannelWebChat, PublicKey: "pk1", TeamID: gone.ID}
		inKeep := &desk.Inbox{Name: "mail", Channel: desk.ChannelEmail, PublicKey: "pk2", TeamID: keep.ID}
		must(t, s.CreateInbox(ctx(t), inGone), "CreateInbox gone")
		must(t, s.CreateInbox(ctx(t), inKeep), "CreateInbox keep")
		c := newContact(t, s, "Jan", "", "")
		cvGone, cvKeep := newConversation(t, s, inGone, c, at(0)), newConversation(t, s, inKeep, c, at(1))
		cvGone.TeamID, cvKeep.TeamID = gone.ID, keep.ID
		must(t, s.UpdateConversation(ctx(t), cvGone), "UpdateConversation gone")
		must(t, s.UpdateConversation(ctx(t), cvKeep), "UpdateConversation keep")

		must(t, s.DeleteTeam(ctx(t), gone.ID), "DeleteTeam")
		for _, tc := range []struct {
			name  string
			inbox int64
			want  int64
		}{
			{"inbox of the deleted team", inGone.ID, 0},
			{"inbox of another team", inKeep.ID, keep.ID},
		} {
			got, err := s.InboxByID(ctx(t), tc.inbox)
			must(t, err, "InboxByID")
			if got.TeamID != tc.want {
				t.Errorf("%s: TeamID = %d, want %d", tc.name, got.TeamID, tc.want)
			}
		}
		for _, tc := range []struct {
			name string
			conv int64
			want int64
		}{
			{"conversation of the deleted team", cvGone.ID, 0},
			{"conversation of another team", cvKeep.ID, keep.ID},
		} {
			got, err := s.ConversationByID(ctx(t), tc.conv)
			must(t, err, "ConversationByID")
			if got.TeamID != tc.want {
				t.Errorf("%s: TeamID = %d, want %d", tc.name, got.TeamID, tc.want)
			}
		}
	}},
	{"references to a missing team are refused", func(t *testing.T, s desk.Store) {
		gone := newTeam(t, s, "Gone")
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		// Read before the team is deleted, written back after: the write
		// must not bring the deleted team back.
		staleIn, staleCv := *in, *cv
		staleIn.TeamID, staleCv.TeamID = gone.ID, gone.ID
		must(t, s.DeleteTeam(ctx(t), gone.ID), "DeleteTeam")

		wantErr(t, s.UpdateInbox(ctx(t), &staleIn), desk.ErrNotFound, "UpdateInbox with a deleted team")
		wantErr(t, s.UpdateConversation(ctx(t), &staleCv), desk.ErrNotFound, "UpdateConversation with a deleted team")
		wantErr(t, s.CreateInbox(ctx(t), &desk.Inbox{Name: "x", Channel: desk.ChannelEmail, PublicKey: "pk-x", TeamID: gone.ID}),
			desk.ErrNotFound, "CreateInbox with a deleted team")
		bad := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
			Priority: desk.PriorityNone, TeamID: gone.ID, LastActivityAt: at(1)}
		wantErr(t, s.CreateConversation(ctx(t), bad), desk.ErrNotFound, "CreateConversation with a deleted team")

		gotIn, err := s.InboxByID(ctx(t), in.ID)
		must(t, err, "InboxByID")
		gotCv, err := s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID")
		if gotIn.TeamID != 0 || gotCv.TeamID != 0 {
			t.Errorf("TeamID inbox %d conversation %d, want 0 and 0", gotIn.TeamID, gotCv.TeamID)
		}
	}},
	{"set members", func(t *testing.T, s desk.Store) {
		tm, other := newTeam(t, s, "Support"), newTeam(t, s, "Other")
		a := newAgent(t, s, "Anna", "a@example.com")
		b := newAgent(t, s, "Bram", "b@example.com")
		z := newAgent(t, s, "Zoe", "z@example.com")
		must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{tm.ID, other.ID}), "SetAgentTeams a")
		must(t, s.SetAgentTeams(ctx(t), z.ID, []int64{other.ID}), "SetAgentTeams z")

		members := func() []int64 {
			t.Helper()
			got, err := s.TeamMembers(ctx(t), tm.ID)
			must(t, err, "TeamMembers")
			return ids(got, func(a desk.Agent) int64 { return a.ID })
		}
		steps := []struct {
			name   string
			team   int64
			agents []int64
			err    error
			want   []int64 // members of tm afterwards, by name
		}{
			{"replace", tm.ID, []int64{b.ID, z.ID}, nil, []int64{b.ID, z.ID}},
			{"duplicates", tm.ID, []int64{a.ID, a.ID, b.ID}, nil, []int64{a.ID, b.ID}},
			{"unknown agent writes nothing", tm.ID, []int64{z.ID, 999}, desk.ErrInvalid, []int64{a.ID, b.ID}},
			{"missing team", 999, []int64{a.ID}, desk.ErrNotFound, []int64{a.ID, b.ID}},
			{"empty", tm.ID, nil, nil, nil},
			{"again", tm.ID, []int64{z.ID}, nil, []int64{z.ID}},
		}
		for _, st := range steps {
			err := s.SetTeamMembers(ctx(t), st.team, st.agents)
			if st.err == nil {
				must(t, err, "SetTeamMembers "+st.name)
			} else {
				wantErr(t, err, st.err, "SetTeamMembers "+st.name)
			}
			if got := members(); !sameIDs(got, st.want) {
				t.Errorf("%s: members = %v, want %v", st.name, got, st.want)
			}
		}
		// The other team is untouched throughout.
		got, err := s.AgentByID(ctx(t), a.ID)
		must(t, err, "AgentByID")
		if !sameSet(got.TeamIDs, []int64{other.ID}) {
			t.Errorf("Anna's teams = %v, want [%d]", got.TeamIDs, other.ID)
		}
		got, err = s.AgentByID(ctx(t), z.ID)
		must(t, err, "AgentByID")
		if !sameSet(got.TeamIDs, []int64{tm.ID, other.ID}) {
			t.Errorf("Zoe's teams = %v, want both", got.TeamIDs)
		}
	}},
	{"set members inside a transaction", func(t *testing.T, s desk.Store) {
		tm := newTeam(t, s, "Support")
		a := newAgent(t, s, "Anna", "a@example.com")
		must(t, s.SetTeamMembers(ctx(t), tm.ID, []int64{a.ID}), "SetTeamMembers")
		// A failed call handled inside the transaction leaves it usable
		// and the members as they were.
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			wantErr(t, tx.SetTeamMembers(ctx(t), tm.ID, []int64{777}), desk.ErrInvalid, "SetTeamMembers unknown in tx")
			return tx.UpdateTeam(ctx(t), &desk.Team{ID: tm.ID, Name: "Service"})
		})
		must(t, err, "InTx")
		got, err := s.TeamMembers(ctx(t), tm.ID)
		must(t, err, "TeamMembers")
		if gotIDs := ids(got, func(a desk.Agent) int64 { return a.ID }); !sameIDs(gotIDs, []int64{a.ID}) {
			t.Errorf("members = %v, want [%d]", gotIDs, a.ID)
		}
		team, err := s.TeamByID(ctx(t), tm.ID)
		must(t, err, "TeamByID")
		if team.Name != "Service" {
			t.Errorf("team name = %q, want the update after the handled error", team.Name)
		}
	}},
}

var inboxTests = []test{
	{"create read update list", func(t *testing.T, s desk.Store) {
		tm := newTeam(t, s, "Support")
		in := &desk.Inbox{Name: "Website", Channel: desk.ChannelWebChat, PublicKey: "pk_web",
			TeamID: tm.ID, Settings: map[string]string{"greeting": "Hoi!", "color": "#0a0"}}
		must(t, s.CreateInbox(ctx(t), in), "CreateInbox")
		if in.ID == 0 || in.CreatedAt.IsZero() {
			t.Fatalf("CreateInbox did not set ID/CreatedAt: %+v", in)
		}
		mail := newInbox(t, s, "mail", desk.ChannelEmail)
		for _, get := range []struct {
			name string
			fn   func() (*desk.Inbox, error)
		}{
			{"by id", func() (*desk.Inbox, error) { return s.InboxByID(ctx(t), in.ID) }},
			{"by key", func() (*desk.Inbox, error) { return s.InboxByKey(ctx(t), "pk_web") }},
		} {
			got, err := get.fn()
			must(t, err, get.name)
			if got.ID != in.ID || got.Name != "Website" || got.Channel != desk.ChannelWebChat ||
				got.PublicKey != "pk_web" || got.TeamID != tm.ID || got.Settings["greeting"] != "Hoi!" ||
				got.Settings["color"] != "#0a0" || len(got.Settings) != 2 {
				t.Errorf("%s = %+v, want %+v", get.name, got, in)
			}
		}
		in.Name, in.TeamID, in.Settings = "Site", 0, map[string]string{"greeting": "Hello"}
		must(t, s.UpdateInbox(ctx(t), in), "UpdateInbox")
		got, err := s.InboxByID(ctx(t), in.ID)
		must(t, err, "InboxByID")
		if got.Name != "Site" || got.TeamID != 0 || len(got.Settings) != 1 || got.Settings["greeting"] != "Hello" {
			t.Errorf("after update = %+v", got)
		}
		list, err := s.ListInboxes(ctx(t))
		must(t, err, "ListInboxes")
		if gotIDs := ids(list, func(i desk.Inbox) int64 { return i.ID }); !sameIDs(gotIDs, []int64{in.ID, mail.ID}) {
			t.Errorf("ListInboxes = %v, want %v", gotIDs, []int64{in.ID, mail.ID})
		}
	}},
	{"public key unique", func(t *testing.T, s desk.Store) {
		newInbox(t, s, "web", desk.ChannelWebChat)
		err := s.CreateInbox(ctx(t), &desk.Inbox{Name: "again", Channel: desk.ChannelEmail, PublicKey: "key-web"})
		wantErr(t, err, desk.ErrConflict, "CreateInbox duplicate key")
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.InboxByID(ctx(t), 7)
		wantErr(t, err, desk.ErrNotFound, "InboxByID")
		_, err = s.InboxByKey(ctx(t), "nope")
		wantErr(t, err, desk.ErrNotFound, "InboxByKey")
		wantErr(t, s.UpdateInbox(ctx(t), &desk.Inbox{ID: 7, Name: "x", Channel: desk.ChannelAPI, PublicKey: "x"}),
			desk.ErrNotFound, "UpdateInbox")
	}},
}

var contactTests = []test{
	{"create read update", func(t *testing.T, s desk.Store) {
		c := &desk.Contact{Name: "Jan de Vries", Email: "jan@example.nl", Phone: "+31612345678", Locale: "nl",
			Attributes: map[string]string{"plan": "gold"}, CreatedAt: at(0), UpdatedAt: at(0)}
		must(t, s.CreateContact(ctx(t), c), "CreateContact")
		if c.ID == 0 {
			t.Fatal("CreateContact did not set ID")
		}
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl", Verified: true}), "AddIdentity")
		got, err := s.ContactByID(ctx(t), c.ID)
		must(t, err, "ContactByID")
		if got.Name != c.Name || got.Email != c.Email || got.Phone != c.Phone || got.Locale != "nl" || got.Attributes["plan"] != "gold" {
			t.Errorf("ContactByID = %+v, want %+v", got, c)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, at(0))
		if len(got.Identities) != 1 || got.Identities[0].Value != "jan@example.nl" || !got.Identities[0].Verified ||
			got.Identities[0].ContactID != c.ID || got.Identities[0].ID == 0 {
			t.Errorf("Identities = %+v", got.Identities)
		}

		c.Name, c.Email, c.Attributes, c.UpdatedAt = "Jan", "", map[string]string{"plan": "silver", "vip": "yes"}, at(3)
		must(t, s.UpdateContact(ctx(t), c), "UpdateContact")
		got, err = s.ContactByID(ctx(t), c.ID)
		must(t, err, "ContactByID")
		if got.Name != "Jan" || got.Email != "" || got.Attributes["plan"] != "silver" || got.Attributes["vip"] != "yes" {
			t.Errorf("after update = %+v", got)
		}
		checkTime(t, "UpdatedAt", got.UpdatedAt, at(3))
	}},
	{"by identity", func(t *testing.T, s desk.Store) {
		a := newContact(t, s, "Anna", "", "")
		b := newContact(t, s, "Bram", "", "")
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: a.ID, Kind: desk.IdentityVisitor, Value: "v1"}), "AddIdentity a")
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: b.ID, Kind: desk.IdentityPhone, Value: "v1"}), "AddIdentity b")
		for _, tc := range []struct {
			kind desk.IdentityKind
			want int64
		}{{desk.IdentityVisitor, a.ID}, {desk.IdentityPhone, b.ID}} {
			got, err := s.ContactByIdentity(ctx(t), tc.kind, "v1")
			must(t, err, "ContactByIdentity "+string(tc.kind))
			if got.ID != tc.want {
				t.Errorf("ContactByIdentity(%s) = %d, want %d", tc.kind, got.ID, tc.want)
			}
		}
		_, err := s.ContactByIdentity(ctx(t), desk.IdentityEmail, "v1")
		wantErr(t, err, desk.ErrNotFound, "ContactByIdentity other kind")
	}},
	{"identity owned by another contact", func(t *testing.T, s desk.Store) {
		a := newContact(t, s, "Anna", "", "")
		b := newContact(t, s, "Bram", "", "")
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: a.ID, Kind: desk.IdentityEmail, Value: "x@example.com"}), "AddIdentity a")
		err := s.AddIdentity(ctx(t), &desk.Identity{ContactID: b.ID, Kind: desk.IdentityEmail, Value: "x@example.com"})
		wantErr(t, err, desk.ErrConflict, "AddIdentity to b")
		got, err := s.ContactByIdentity(ctx(t), desk.IdentityEmail, "x@example.com")
		must(t, err, "ContactByIdentity")
		if got.ID != a.ID {
			t.Errorf("owner = %d, want %d", got.ID, a.ID)
		}
	}},
	{"identity added twice to the same contact", func(t *testing.T, s desk.Store) {
		a := newContact(t, s, "Anna", "", "")
		for i := range 2 {
			err := s.AddIdentity(ctx(t), &desk.Identity{ContactID: a.ID, Kind: desk.IdentityEmail, Value: "a@example.com"})
			if err != nil {
				t.Fatalf("AddIdentity #%d: %v", i+1, err)
			}
		}
		got, err := s.ContactByID(ctx(t), a.ID)
		must(t, err, "ContactByID")
		if len(got.Identities) != 1 {
			t.Errorf("Identities = %+v, want 1", got.Identities)
		}
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.ContactByID(ctx(t), 5)
		wantErr(t, err, desk.ErrNotFound, "ContactByID")
		_, err = s.ContactByIdentity(ctx(t), desk.IdentityEmail, "nobody@example.com")
		wantErr(t, err, desk.ErrNotFound, "ContactByIdentity")
		wantErr(t, s.UpdateContact(ctx(t), &desk.Contact{ID: 5, Name: "x"}), desk.ErrNotFound, "UpdateContact")
		err = s.AddIdentity(ctx(t), &desk.Identity{ContactID: 5, Kind: desk.IdentityEmail, Value: "x@example.com"})
		wantErr(t, err, desk.ErrNotFound, "AddIdentity to missing contact")
	}},
	{"list and search", func(t *testing.T, s desk.Store) {
		jan := newContact(t, s, "Jan de Vries", "Jan.Vries@Example.nl", "+31612345678")
		piet := newContact(t, s, "Piet Jansen", "piet@example.com", "+31687654321")
		anna := newContact(t, s, "Anna Smit", "", "")
		for _, tc := range []struct {
			name   string
			search string
			want   []int64
		}{
			{"all newest first", "", []int64{anna.ID, piet.ID, jan.ID}},
			{"name word", "vries", []int64{jan.ID}},
			{"name word other case", "SMIT", []int64{anna.ID}},
			{"two name words", "piet jansen", []int64{piet.ID}},
			{"email exact other case", "jan.vries@example.nl", []int64{jan.ID}},
			{"phone", "+31687654321", []int64{piet.ID}},
			{"no match", "zzyzx", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListContacts(ctx(t), desk.ContactQuery{Search: tc.search})
				must(t, err, "ListContacts")
				if gotIDs := ids(got, func(c desk.Contact) int64 { return c.ID }); !sameIDs(gotIDs, tc.want) {
					t.Errorf("ListContacts(%q) = %v, want %v", tc.search, gotIDs, tc.want)
				}
			})
		}
		got, err := s.ListContacts(ctx(t), desk.ContactQuery{Limit: 1, Offset: 1})
		must(t, err, "ListContacts paged")
		if gotIDs := ids(got, func(c desk.Contact) int64 { return c.ID }); !sameIDs(gotIDs, []int64{piet.ID}) {
			t.Errorf("ListContacts limit 1 offset 1 = %v, want [%d]", gotIDs, piet.ID)
		}
	}},
}

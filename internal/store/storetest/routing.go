package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Routing and service levels (desk/routing.go): agents' skills and
// capacity, teams' mode and settings, contacts' owners, the SLA and
// reporting fields of conversations, routing rules, SLA policies, the
// assignees' load and the SLA sweep's list.
//
// What the suite pins down beyond the interface:
//   - Agent.Capacity and Team.Settings round trip; empty ones come back nil.
//     Agent.Skills are filled by every agent read (ByID, ByEmail, List,
//     TeamMembers) in name order; SetAgentSkills replaces them exactly; a
//     skill without a name, with a level outside 1..5 or a name twice is
//     ErrInvalid and writes nothing; a missing agent is ErrNotFound.
//     CreateAgent does not write Skills.
//   - Contact.OwnerID is written by Create, Update and merges (kept
//     without an owner takes the merged one's; undo restores it) and read
//     by every contact read.
//   - a conversation's FirstReplyAt, HandedOverAt, Reopens, SLAPolicyID,
//     SLADueAt and SLAState are stored by Create, written by Update and read
//     by every read (zero times stay zero).
//   - routing rules and SLA policies: lists by Position, then ID, disabled
//     ones included; empty lists come back nil; Create sets ID, a zero
//     CreatedAt to now and a zero UpdatedAt to CreatedAt; Update writes all
//     but ID and CreatedAt and sets UpdatedAt to now; Update/Delete of a
//     missing one is ErrNotFound; a rule's unknown team is ErrNotFound, and
//     a deleted team's rules stay, with TeamID 0. Deleting a policy takes it
//     off its conversations: SLAPolicyID 0, SLADueAt zero, SLAState "" unless
//     breached.
//   - AssigneeLoad counts assigned conversations that are not resolved, per
//     agent and channel; agents with none are absent.
//   - SLADue lists conversations not resolved with a policy, by SLADueAt
//     (zero last), then ID; limit <= 0 is a default of the driver's.

// routingOf returns s as a RoutingStore. A store that is not one (a
// wrapper embedding desk.Store before the contract held RoutingStore) is
// skipped: the drivers assert the interface at compile time.
func routingOf(t *testing.T, s desk.Store) desk.RoutingStore {
	t.Helper()
	st, ok := s.(desk.RoutingStore)
	if !ok {
		t.Skipf("%T does not implement desk.RoutingStore", s)
	}
	return st
}

var routingTests = []test{
	{"AgentCapacity", testAgentCapacity},
	{"AgentSkills", testAgentSkills},
	{"AgentSkillsInvalid", testAgentSkillsInvalid},
	{"TeamModeAndSettings", testTeamModeAndSettings},
	{"ContactOwner", testContactOwner},
	{"ContactOwnerMerge", testContactOwnerMerge},
	{"ConversationFields", testConversationRoutingFields},
	{"Rules", testRoutingRules},
	{"RuleTeam", testRoutingRuleTeam},
	{"Policies", testSLAPolicies},
	{"DeletePolicyClearsConversations", testDeleteSLAPolicy},
	{"AssigneeLoad", testAssigneeLoad},
	{"SLADue", testSLADue},
}

// agentReads reads agent id through every agent read there is.
func agentReads(t *testing.T, s desk.Store, a *desk.Agent, teamID int64) map[string]*desk.Agent {
	t.Helper()
	out := map[string]*desk.Agent{}
	got, err := s.AgentByID(ctx(t), a.ID)
	must(t, err, "AgentByID")
	out["AgentByID"] = got
	got, err = s.AgentByEmail(ctx(t), a.Email)
	must(t, err, "AgentByEmail")
	out["AgentByEmail"] = got
	list, err := s.ListAgents(ctx(t))
	must(t, err, "ListAgents")
	for i := range list {
		if list[i].ID == a.ID {
			out["ListAgents"] = &list[i]
		}
	}
	members, err := s.TeamMembers(ctx(t), teamID)
	must(t, err, "TeamMembers")
	for i := range members {
		if members[i].ID == a.ID {
			out["TeamMembers"] = &members[i]
		}
	}
	for _, via := range []string{"ListAgents", "TeamMembers"} {
		if out[via] == nil {
			t.Fatalf("%s: agent %d missing", via, a.ID)
		}
	}
	return out
}

func testAgentCapacity(t *testing.T, s desk.Store) {
	team := newTeam(t, s, "Support")
	a := &desk.Agent{Email: "anna@example.com", Name: "Anna", Role: desk.RoleAgent,
		Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: 3, desk.ChannelEmail: 10, desk.ChannelPhone: 0}}
	must(t, s.CreateAgent(ctx(t), a), "CreateAgent")
	must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{team.ID}), "SetAgentTeams")
	steps := []struct {
		name string
		set  map[desk.ChannelKind]int
		want map[desk.ChannelKind]int
	}{
		{"created", a.Capacity, map[desk.ChannelKind]int{desk.ChannelWebChat: 3, desk.ChannelEmail: 10, desk.ChannelPhone: 0}},
		{"updated", map[desk.ChannelKind]int{desk.ChannelWhatsApp: 5}, map[desk.ChannelKind]int{desk.ChannelWhatsApp: 5}},
		{"cleared", nil, nil},
		{"empty is none", map[desk.ChannelKind]int{}, nil},
	}
	for i, st := range steps {
		if i > 0 {
			a.Capacity = st.set
			must(t, s.UpdateAgent(ctx(t), a), "UpdateAgent "+st.name)
		}
		for via, got := range agentReads(t, s, a, team.ID) {
			if !maps.Equal(got.Capacity, st.want) || (got.Capacity == nil) != (st.want == nil) {
				t.Errorf("%s: %s Capacity = %v, want %v", st.name, via, got.Capacity, st.want)
			}
		}
	}
}

func testAgentSkills(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	team := newTeam(t, s, "Support")
	a := newAgent(t, s, "Anna", "anna@example.com")
	other := newAgent(t, s, "Bert", "bert@example.com")
	must(t, s.SetAgentTeams(ctx(t), a.ID, []int64{team.ID}), "SetAgentTeams")
	must(t, rs.SetAgentSkills(ctx(t), other.ID, []desk.Skill{{Name: "lang:en", Level: 2}}), "SetAgentSkills other")
	steps := []struct {
		name string
		set  []desk.Skill
		want []desk.Skill
	}{
		{"none yet", nil, nil},
		{"set, read by name", []desk.Skill{{Name: "lang:nl", Level: 5}, {Name: "category:billing", Level: 3}},
			[]desk.Skill{{Name: "category:billing", Level: 3}, {Name: "lang:nl", Level: 5}}},
		{"replaced exactly", []desk.Skill{{Name: "lang:nl", Level: 1}, {Name: "channel:email", Level: 4}},
			[]desk.Skill{{Name: "channel:email", Level: 4}, {Name: "lang:nl", Level: 1}}},
		{"cleared", []desk.Skill{}, nil},
	}
	for i, st := range steps {
		if i > 0 {
			must(t, rs.SetAgentSkills(ctx(t), a.ID, st.set), "SetAgentSkills "+st.name)
		}
		for via, got := range agentReads(t, s, a, team.ID) {
			if !slices.Equal(got.Skills, st.want) {
				t.Errorf("%s: %s Skills = %v, want %v", st.name, via, got.Skills, st.want)
			}
		}
	}
	got, err := s.AgentByID(ctx(t), other.ID)
	must(t, err, "AgentByID other")
	if want := []desk.Skill{{Name: "lang:en", Level: 2}}; !slices.Equal(got.Skills, want) {
		t.Errorf("other agent's Skills = %v, want %v (untouched)", got.Skills, want)
	}
	list, err := s.ListAgents(ctx(t))
	must(t, err, "ListAgents")
	for _, g := range list {
		if g.ID == other.ID && !slices.Equal(g.Skills, []desk.Skill{{Name: "lang:en", Level: 2}}) {
			t.Errorf("ListAgents: other agent's Skills = %v, want its own", g.Skills)
		}
	}
	wantErr(t, rs.SetAgentSkills(ctx(t), 424242, []desk.Skill{{Name: "x", Level: 1}}), desk.ErrNotFound,
		"SetAgentSkills of a missing agent")
}

func testAgentSkillsInvalid(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	a := newAgent(t, s, "Anna", "anna@example.com")
	kept := []desk.Skill{{Name: "lang:nl", Level: 3}}
	must(t, rs.SetAgentSkills(ctx(t), a.ID, kept), "SetAgentSkills")
	for _, tc := range []struct {
		name   string
		skills []desk.Skill
	}{
		{"no name", []desk.Skill{{Name: "lang:en", Level: 2}, {Name: "", Level: 2}}},
		{"level 0", []desk.Skill{{Name: "lang:en", Level: 0}}},
		{"level 6", []desk.Skill{{Name: "lang:en", Level: 6}}},
		{"name twice", []desk.Skill{{Name: "lang:en", Level: 2}, {Name: "lang:en", Level: 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, rs.SetAgentSkills(ctx(t), a.ID, tc.skills), desk.ErrInvalid, "SetAgentSkills")
			got, err := s.AgentByID(ctx(t), a.ID)
			must(t, err, "AgentByID")
			if !slices.Equal(got.Skills, kept) {
				t.Errorf("Skills after a refused set = %v, want %v", got.Skills, kept)
			}
		})
	}
}

func testTeamModeAndSettings(t *testing.T, s desk.Store) {
	tm := &desk.Team{Name: "Billing", Mode: desk.RouteRoundRobin,
		Settings: map[string]string{desk.TeamHours: `{"mon":["09:00","17:00"]}`, desk.TeamAwayNL: "We zijn {{next_open}} terug."}}
	must(t, s.CreateTeam(ctx(t), tm), "CreateTeam")
	newTeam(t, s, "Logistics")
	check := func(step string, mode desk.RoutingMode, settings map[string]string) {
		t.Helper()
		got, err := s.TeamByID(ctx(t), tm.ID)
		must(t, err, "TeamByID")
		list, err := s.ListTeams(ctx(t))
		must(t, err, "ListTeams")
		if len(list) != 2 {
			t.Fatalf("ListTeams: %d teams, want 2", len(list))
		}
		for via, g := range map[string]desk.Team{"TeamByID": *got, "ListTeams": list[0]} {
			if g.ID != tm.ID {
				t.Fatalf("%s: %s ID = %d, want %d", step, via, g.ID, tm.ID)
			}
			if g.Mode != mode {
				t.Errorf("%s: %s Mode = %q, want %q", step, via, g.Mode, mode)
			}
			if !maps.Equal(g.Settings, settings) || (g.Settings == nil) != (settings == nil) {
				t.Errorf("%s: %s Settings = %v, want %v", step, via, g.Settings, settings)
			}
		}
		if list[1].Mode != "" || list[1].Settings != nil {
			t.Errorf("%s: other team Mode, Settings = %q, %v, want defaults", step, list[1].Mode, list[1].Settings)
		}
	}
	check("created", desk.RouteRoundRobin, tm.Settings)
	tm.Mode, tm.Settings = desk.RouteManual, map[string]string{desk.TeamAwayEN: "Back {{next_open}}."}
	must(t, s.UpdateTeam(ctx(t), tm), "UpdateTeam")
	check("updated", desk.RouteManual, map[string]string{desk.TeamAwayEN: "Back {{next_open}}."})
	tm.Mode, tm.Settings = "", nil
	must(t, s.UpdateTeam(ctx(t), tm), "UpdateTeam cleared")
	check("cleared", "", nil)
}

// contactReads reads contact c through every contact read there is, with
// an open conversation of it in in and a customer message in it.
func contactReads(t *testing.T, s desk.Store, c *desk.Contact, in *desk.Inbox, msg *desk.Message) map[string]desk.Contact {
	t.Helper()
	out := map[string]desk.Contact{}
	got, err := s.ContactByID(ctx(t), c.ID)
	must(t, err, "ContactByID")
	out["ContactByID"] = *got
	got, err = s.ContactByIdentity(ctx(t), desk.IdentityEmail, c.Email)
	must(t, err, "ContactByIdentity")
	out["ContactByIdentity"] = *got
	list, err := s.ListContacts(ctx(t), desk.ContactQuery{})
	must(t, err, "ListContacts")
	for _, l := range list {
		if l.ID == c.ID {
			out["ListContacts"] = l
		}
	}
	list, err = s.ListContacts(ctx(t), desk.ContactQuery{Search: c.Email})
	must(t, err, "ListContacts search")
	for _, l := range list {
		if l.ID == c.ID {
			out["ListContacts search"] = l
		}
	}
	page, err := s.ListConversations(ctx(t), desk.ConversationQuery{WithContact: true, ContactID: c.ID})
	must(t, err, "ListConversations")
	if len(page.Items) == 1 && page.Items[0].Contact != nil {
		out["ListConversations WithContact"] = *page.Items[0].Contact
	}
	ob, err := s.OutboundFor(ctx(t), msg.ID)
	must(t, err, "OutboundFor")
	out["OutboundFor"] = ob.Contact
	if is, ok := s.(desk.IdentityStore); ok {
		found, err := is.ContactsWithEmail(ctx(t), c.Email)
		must(t, err, "ContactsWithEmail")
		if len(found) == 1 {
			out["ContactsWithEmail"] = found[0]
		}
	}
	for _, via := range []string{"ListContacts", "ListContacts search", "ListConversations WithContact"} {
		if _, ok := out[via]; !ok {
			t.Fatalf("%s: contact %d missing", via, c.ID)
		}
	}
	return out
}

func testContactOwner(t *testing.T, s desk.Store) {
	anna := newAgent(t, s, "Anna", "anna@example.com")
	bert := newAgent(t, s, "Bert", "bert@example.com")
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := &desk.Contact{Name: "Carla", Email: "carla@example.com", OwnerID: anna.ID}
	must(t, s.CreateContact(ctx(t), c), "CreateContact")
	must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: c.Email}), "AddIdentity")
	cv := newConversation(t, s, in, c, at(0))
	msg := newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "hallo")
	for i, st := range []struct {
		name  string
		owner int64
	}{
		{"created", anna.ID},
		{"updated", bert.ID},
		{"cleared", 0},
	} {
		if i > 0 {
			c.OwnerID = st.owner
			must(t, s.UpdateContact(ctx(t), c), "UpdateContact "+st.name)
		}
		for via, got := range contactReads(t, s, c, in, msg) {
			if got.OwnerID != st.owner {
				t.Errorf("%s: %s OwnerID = %d, want %d", st.name, via, got.OwnerID, st.owner)
			}
		}
	}
}

func testContactOwnerMerge(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	anna := newAgent(t, s, "Anna", "anna@example.com")
	bert := newAgent(t, s, "Bert", "bert@example.com")
	for _, tc := range []struct {
		name                   string
		keptOwner, mergedOwner int64
		want                   int64
	}{
		{"kept has none: takes merged's", 0, anna.ID, anna.ID},
		{"kept has one: keeps it", bert.ID, anna.ID, bert.ID},
		{"neither", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept := &desk.Contact{Name: "Kept", OwnerID: tc.keptOwner}
			merged := &desk.Contact{Name: "Merged", OwnerID: tc.mergedOwner}
			must(t, s.CreateContact(ctx(t), kept), "CreateContact kept")
			must(t, s.CreateContact(ctx(t), merged), "CreateContact merged")
			m, err := is.MergeContacts(ctx(t), kept.ID, merged.ID, 0, "test")
			must(t, err, "MergeContacts")
			if m.Merged.OwnerID != tc.mergedOwner {
				t.Errorf("record's Merged.OwnerID = %d, want %d", m.Merged.OwnerID, tc.mergedOwner)
			}
			got, err := s.ContactByID(ctx(t), kept.ID)
			must(t, err, "ContactByID kept")
			if got.OwnerID != tc.want {
				t.Errorf("kept OwnerID after merge = %d, want %d", got.OwnerID, tc.want)
			}
			_, err = is.UndoMerge(ctx(t), m.ID, time.Time{})
			must(t, err, "UndoMerge")
			back, err := s.ContactByID(ctx(t), merged.ID)
			must(t, err, "ContactByID merged")
			if back.OwnerID != tc.mergedOwner {
				t.Errorf("merged OwnerID after undo = %d, want %d", back.OwnerID, tc.mergedOwner)
			}
		})
	}
}

// routingFields is what a conversation's new fields hold at one step.
type routingFields struct {
	firstReply, handedOver, due time.Time
	reopens                     int
	policy                      int64
	state                       desk.SLAState
}

func (f routingFields) set(c *desk.Conversation) {
	c.FirstReplyAt, c.HandedOverAt, c.Reopens = f.firstReply, f.handedOver, f.reopens
	c.SLAPolicyID, c.SLADueAt, c.SLAState = f.policy, f.due, f.state
}

func (f routingFields) check(t *testing.T, what string, c *desk.Conversation) {
	t.Helper()
	checkTime(t, what+" FirstReplyAt", c.FirstReplyAt, f.firstReply)
	checkTime(t, what+" HandedOverAt", c.HandedOverAt, f.handedOver)
	checkTime(t, what+" SLADueAt", c.SLADueAt, f.due)
	if c.Reopens != f.reopens || c.SLAPolicyID != f.policy || c.SLAState != f.state {
		t.Errorf("%s Reopens, SLAPolicyID, SLAState = %d, %d, %q, want %d, %d, %q", what,
			c.Reopens, c.SLAPolicyID, c.SLAState, f.reopens, f.policy, f.state)
	}
}

func testConversationRoutingFields(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Dirk Jansen", "dirk@example.com", "")
	plain := newConversation(t, s, in, c, at(-60)) // another conversation of the contact, all defaults

	steps := []struct {
		name string
		f    routingFields
	}{
		{"created", routingFields{firstReply: at(2), handedOver: at(1), due: at(30), reopens: 1, policy: 7,
			state: desk.SLARunning}},
		{"updated", routingFields{firstReply: at(3), handedOver: at(2), due: at(90), reopens: 2, policy: 8,
			state: desk.SLABreached}},
		{"cleared", routingFields{}},
	}
	cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Subject: "bestelling",
		Status: desk.StatusOpen, LastActivityAt: at(0), CreatedAt: at(0)}
	steps[0].f.set(cv)
	must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
	msg := newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "waar blijft mijn bestelling")

	for i, st := range steps {
		if i > 0 {
			st.f.set(cv)
			must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation "+st.name)
		}
		reads := map[string]*desk.Conversation{}
		got, err := s.ConversationByID(ctx(t), cv.ID)
		must(t, err, "ConversationByID")
		reads["ConversationByID"] = got
		got, err = s.OpenConversationFor(ctx(t), in.ID, c.ID)
		must(t, err, "OpenConversationFor")
		reads["OpenConversationFor"] = got
		page, err := s.ListConversations(ctx(t), desk.ConversationQuery{ContactID: c.ID})
		must(t, err, "ListConversations")
		of, err := s.ConversationsOfContact(ctx(t), c.ID, 10)
		must(t, err, "ConversationsOfContact")
		hits, err := s.SearchConversations(ctx(t), desk.SearchQuery{Text: "Jansen"})
		must(t, err, "SearchConversations")
		ob, err := s.OutboundFor(ctx(t), msg.ID)
		must(t, err, "OutboundFor")
		reads["OutboundFor"] = &ob.Conversation
		for via, list := range map[string][]desk.Conversation{
			"ListConversations": page.Items, "ConversationsOfContact": of,
			"SearchConversations": func() []desk.Conversation {
				var out []desk.Conversation
				for _, h := range hits {
					out = append(out, h.Conversation)
				}
				return out
			}(),
		} {
			for j := range list {
				switch list[j].ID {
				case cv.ID:
					reads[via] = &list[j]
				case plain.ID:
					routingFields{}.check(t, st.name+": "+via+" (defaults)", &list[j])
				}
			}
			if reads[via] == nil {
				t.Errorf("%s: %s: conversation %d missing", st.name, via, cv.ID)
			}
		}
		for via, got := range reads {
			if got.ID != cv.ID {
				t.Errorf("%s: %s ID = %d, want %d", st.name, via, got.ID, cv.ID)
				continue
			}
			st.f.check(t, st.name+": "+via, got)
		}
	}

	// WakeSnoozed returns what it woke with every column.
	f := routingFields{firstReply: at(5), due: at(100), reopens: 3, policy: 9, state: desk.SLAWarning}
	f.set(cv)
	cv.Status, cv.SnoozedUntil = desk.StatusSnoozed, at(10)
	must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation snoozed")
	woke, err := s.WakeSnoozed(ctx(t), at(11))
	must(t, err, "WakeSnoozed")
	if len(woke) != 1 {
		t.Fatalf("WakeSnoozed woke %d, want 1", len(woke))
	}
	f.check(t, "WakeSnoozed", &woke[0])
}

func newRule(t *testing.T, rs desk.RoutingStore, r desk.RoutingRule) *desk.RoutingRule {
	t.Helper()
	must(t, rs.CreateRoutingRule(ctx(t), &r), "CreateRoutingRule "+r.Name)
	return &r
}

func ruleIDs(rs []desk.RoutingRule) []int64 {
	return ids(rs, func(r desk.RoutingRule) int64 { return r.ID })
}

func checkRule(t *testing.T, what string, got, want *desk.RoutingRule) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Position != want.Position || got.Enabled != want.Enabled ||
		!slices.Equal(got.Categories, want.Categories) || !slices.Equal(got.Languages, want.Languages) ||
		!slices.Equal(got.Channels, want.Channels) || !slices.Equal(got.Segments, want.Segments) ||
		got.MinPriority != want.MinPriority || got.TeamID != want.TeamID || !slices.Equal(got.Skills, want.Skills) ||
		got.Priority != want.Priority {
		t.Errorf("%s = %+v, want %+v", what, *got, *want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testRoutingRules(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	team := newTeam(t, s, "Billing")
	full := newRule(t, rs, desk.RoutingRule{Name: "Billing NL", Position: 2, Enabled: true,
		Categories: []string{"billing", "refund"}, Languages: []string{"nl"},
		Channels: []desk.ChannelKind{desk.ChannelEmail, desk.ChannelWhatsApp}, Segments: []string{"vip"},
		MinPriority: desk.PriorityHigh, TeamID: team.ID,
		Skills:   []desk.Skill{{Name: "lang:nl", Level: 3}, {Name: "category:billing", Level: 2}},
		Priority: desk.PriorityUrgent, CreatedAt: at(0)})
	empty := newRule(t, rs, desk.RoutingRule{Name: "Catch all", Position: 9})
	first := newRule(t, rs, desk.RoutingRule{Name: "First", Position: 1, Enabled: true, CreatedAt: at(1)})
	tie := newRule(t, rs, desk.RoutingRule{Name: "Tie", Position: 1, CreatedAt: at(2)})

	if full.ID == 0 || full.UpdatedAt != full.CreatedAt {
		t.Errorf("Create set ID, UpdatedAt = %d, %v; want an ID and UpdatedAt = CreatedAt %v", full.ID, full.UpdatedAt, full.CreatedAt)
	}
	if time.Since(empty.CreatedAt) > time.Minute || empty.CreatedAt.Location() != time.UTC {
		t.Errorf("zero CreatedAt became %v, want now in UTC", empty.CreatedAt)
	}
	list, err := rs.ListRoutingRules(ctx(t))
	must(t, err, "ListRoutingRules")
	if got, want := ruleIDs(list), []int64{first.ID, tie.ID, full.ID, empty.ID}; !sameIDs(got, want) {
		t.Fatalf("ListRoutingRules = %v, want %v (by position, then id; disabled too)", got, want)
	}
	checkRule(t, "listed full rule", &list[2], full)
	checkRule(t, "listed empty rule", &list[3], empty)
	if l := list[3]; l.Categories != nil || l.Languages != nil || l.Channels != nil || l.Segments != nil || l.Skills != nil {
		t.Errorf("empty rule's lists = %v %v %v %v %v, want nil", l.Categories, l.Languages, l.Channels, l.Segments, l.Skills)
	}

	before := time.Now().Add(-time.Second)
	upd := *full
	upd.Name, upd.Position, upd.Enabled = "Billing EN", 0, false
	upd.Categories, upd.Languages, upd.Channels, upd.Segments = []string{"invoice"}, nil, []desk.ChannelKind{desk.ChannelWebChat}, nil
	upd.MinPriority, upd.TeamID, upd.Skills, upd.Priority = "", 0, []desk.Skill{{Name: "lang:en", Level: 5}}, ""
	upd.CreatedAt = at(500) // not written
	must(t, rs.UpdateRoutingRule(ctx(t), &upd), "UpdateRoutingRule")
	if upd.UpdatedAt.Before(before) {
		t.Errorf("UpdateRoutingRule set UpdatedAt = %v, want now", upd.UpdatedAt)
	}
	list, err = rs.ListRoutingRules(ctx(t))
	must(t, err, "ListRoutingRules after update")
	if got, want := ruleIDs(list), []int64{full.ID, first.ID, tie.ID, empty.ID}; !sameIDs(got, want) {
		t.Fatalf("ListRoutingRules after update = %v, want %v", got, want)
	}
	want := upd
	want.CreatedAt = full.CreatedAt
	checkRule(t, "updated rule", &list[0], &want)

	for _, tc := range []struct {
		name string
		err  error
	}{
		{"update missing", rs.UpdateRoutingRule(ctx(t), &desk.RoutingRule{ID: 424242, Name: "x"})},
		{"delete missing", rs.DeleteRoutingRule(ctx(t), 424242)},
		{"create with unknown team", rs.CreateRoutingRule(ctx(t), &desk.RoutingRule{Name: "x", TeamID: 424242})},
		{"update to unknown team", rs.UpdateRoutingRule(ctx(t), &desk.RoutingRule{ID: tie.ID, Name: "x", TeamID: 424242})},
	} {
		wantErr(t, tc.err, desk.ErrNotFound, tc.name)
	}

	must(t, rs.DeleteRoutingRule(ctx(t), tie.ID), "DeleteRoutingRule")
	list, err = rs.ListRoutingRules(ctx(t))
	must(t, err, "ListRoutingRules after delete")
	if got, want := ruleIDs(list), []int64{full.ID, first.ID, empty.ID}; !sameIDs(got, want) {
		t.Errorf("ListRoutingRules after delete = %v, want %v", got, want)
	}
}

func testRoutingRuleTeam(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	gone := newTeam(t, s, "Gone")
	stays := newTeam(t, s, "Stays")
	r1 := newRule(t, rs, desk.RoutingRule{Name: "to gone", Enabled: true, Categories: []string{"x"}, TeamID: gone.ID})
	r2 := newRule(t, rs, desk.RoutingRule{Name: "to stays", Position: 1, TeamID: stays.ID})
	must(t, s.DeleteTeam(ctx(t), gone.ID), "DeleteTeam")
	list, err := rs.ListRoutingRules(ctx(t))
	must(t, err, "ListRoutingRules")
	if got, want := ruleIDs(list), []int64{r1.ID, r2.ID}; !sameIDs(got, want) {
		t.Fatalf("ListRoutingRules = %v, want %v (a deleted team's rule is kept)", got, want)
	}
	if list[0].TeamID != 0 || !list[0].Enabled || !slices.Equal(list[0].Categories, []string{"x"}) {
		t.Errorf("rule of the deleted team = %+v, want TeamID 0 and the rest as it was", list[0])
	}
	if list[1].TeamID != stays.ID {
		t.Errorf("other rule's TeamID = %d, want %d", list[1].TeamID, stays.ID)
	}
}

func policyIDs(ps []desk.SLAPolicy) []int64 {
	return ids(ps, func(p desk.SLAPolicy) int64 { return p.ID })
}

func checkPolicy(t *testing.T, what string, got, want *desk.SLAPolicy) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Position != want.Position || got.Enabled != want.Enabled ||
		!slices.Equal(got.Priorities, want.Priorities) || !slices.Equal(got.Channels, want.Channels) ||
		!slices.Equal(got.Segments, want.Segments) || got.FirstResponse != want.FirstResponse ||
		got.NextResponse != want.NextResponse || got.Resolution != want.Resolution || got.WarnAt != want.WarnAt ||
		got.BusinessHours != want.BusinessHours {
		t.Errorf("%s = %+v, want %+v", what, *got, *want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testSLAPolicies(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	newPolicy := func(p desk.SLAPolicy) *desk.SLAPolicy {
		t.Helper()
		must(t, rs.CreateSLAPolicy(ctx(t), &p), "CreateSLAPolicy "+p.Name)
		return &p
	}
	vip := newPolicy(desk.SLAPolicy{Name: "VIP", Position: 1, Enabled: true,
		Priorities: []desk.Priority{desk.PriorityHigh, desk.PriorityUrgent},
		Channels:   []desk.ChannelKind{desk.ChannelWebChat}, Segments: []string{"vip", "b2b"},
		FirstResponse: 5 * time.Minute, NextResponse: 90 * time.Second, Resolution: 8 * time.Hour,
		WarnAt: 0.75, BusinessHours: true, CreatedAt: at(0), UpdatedAt: at(1)})
	base := newPolicy(desk.SLAPolicy{Name: "Default", Position: 5})
	early := newPolicy(desk.SLAPolicy{Name: "Early", Position: 1, FirstResponse: time.Hour})

	if vip.UpdatedAt != at(1) {
		t.Errorf("Create changed a given UpdatedAt to %v, want %v", vip.UpdatedAt, at(1))
	}
	if base.UpdatedAt != base.CreatedAt || time.Since(base.CreatedAt) > time.Minute {
		t.Errorf("zero times became CreatedAt %v, UpdatedAt %v; want now, twice", base.CreatedAt, base.UpdatedAt)
	}
	list, err := rs.ListSLAPolicies(ctx(t))
	must(t, err, "ListSLAPolicies")
	if got, want := policyIDs(list), []int64{vip.ID, early.ID, base.ID}; !sameIDs(got, want) {
		t.Fatalf("ListSLAPolicies = %v, want %v (by position, then id; disabled too)", got, want)
	}
	checkPolicy(t, "listed VIP", &list[0], vip)
	checkPolicy(t, "listed default", &list[2], base)
	if l := list[2]; l.Priorities != nil || l.Channels != nil || l.Segments != nil {
		t.Errorf("default policy's lists = %v %v %v, want nil", l.Priorities, l.Channels, l.Segments)
	}

	before := time.Now().Add(-time.Second)
	upd := *vip
	upd.Name, upd.Position, upd.Enabled, upd.BusinessHours = "VIP 2", 10, false, false
	upd.Priorities, upd.Channels, upd.Segments = nil, []desk.ChannelKind{desk.ChannelEmail}, []string{"gold"}
	upd.FirstResponse, upd.NextResponse, upd.Resolution, upd.WarnAt = 0, time.Hour, 48*time.Hour, 0.9
	upd.CreatedAt = at(500) // not written
	must(t, rs.UpdateSLAPolicy(ctx(t), &upd), "UpdateSLAPolicy")
	if upd.UpdatedAt.Before(before) {
		t.Errorf("UpdateSLAPolicy set UpdatedAt = %v, want now", upd.UpdatedAt)
	}
	list, err = rs.ListSLAPolicies(ctx(t))
	must(t, err, "ListSLAPolicies after update")
	if got, want := policyIDs(list), []int64{early.ID, base.ID, vip.ID}; !sameIDs(got, want) {
		t.Fatalf("ListSLAPolicies after update = %v, want %v", got, want)
	}
	want := upd
	want.CreatedAt = vip.CreatedAt
	checkPolicy(t, "updated VIP", &list[2], &want)

	wantErr(t, rs.UpdateSLAPolicy(ctx(t), &desk.SLAPolicy{ID: 424242, Name: "x"}), desk.ErrNotFound, "update missing")
	wantErr(t, rs.DeleteSLAPolicy(ctx(t), 424242), desk.ErrNotFound, "delete missing")
	must(t, rs.DeleteSLAPolicy(ctx(t), early.ID), "DeleteSLAPolicy")
	list, err = rs.ListSLAPolicies(ctx(t))
	must(t, err, "ListSLAPolicies after delete")
	if got, want := policyIDs(list), []int64{base.ID, vip.ID}; !sameIDs(got, want) {
		t.Errorf("ListSLAPolicies after delete = %v, want %v", got, want)
	}
}

func testDeleteSLAPolicy(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	gone := &desk.SLAPolicy{Name: "gone"}
	kept := &desk.SLAPolicy{Name: "kept"}
	must(t, rs.CreateSLAPolicy(ctx(t), gone), "CreateSLAPolicy")
	must(t, rs.CreateSLAPolicy(ctx(t), kept), "CreateSLAPolicy")
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Eva", "", "")
	cases := []struct {
		name   string
		policy int64
		state  desk.SLAState
		status desk.Status
		want   routingFields
	}{
		{"running", gone.ID, desk.SLARunning, desk.StatusOpen, routingFields{}},
		{"warning", gone.ID, desk.SLAWarning, desk.StatusPending, routingFields{}},
		{"breached stays breached", gone.ID, desk.SLABreached, desk.StatusResolved, routingFields{state: desk.SLABreached}},
		{"other policy untouched", kept.ID, desk.SLARunning, desk.StatusOpen,
			routingFields{policy: kept.ID, due: at(10), state: desk.SLARunning}},
	}
	convs := make([]*desk.Conversation, len(cases))
	for i, tc := range cases {
		cv := newConversation(t, s, in, c, at(i))
		cv.Status, cv.SLAPolicyID, cv.SLADueAt, cv.SLAState = tc.status, tc.policy, at(10), tc.state
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		convs[i] = cv
	}
	must(t, rs.DeleteSLAPolicy(ctx(t), gone.ID), "DeleteSLAPolicy")
	for i, tc := range cases {
		got, err := s.ConversationByID(ctx(t), convs[i].ID)
		must(t, err, "ConversationByID")
		tc.want.check(t, tc.name, got)
	}
}

func testAssigneeLoad(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	anna := newAgent(t, s, "Anna", "anna@example.com")
	bert := newAgent(t, s, "Bert", "bert@example.com")
	idle := newAgent(t, s, "Idle", "idle@example.com")
	mail := newInbox(t, s, "mail", desk.ChannelEmail)
	chat := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Fleur", "", "")
	for i, cv := range []struct {
		in       *desk.Inbox
		assignee int64
		status   desk.Status
	}{
		{mail, anna.ID, desk.StatusOpen},
		{mail, anna.ID, desk.StatusPending},
		{mail, anna.ID, desk.StatusResolved}, // done: no load
		{chat, anna.ID, desk.StatusSnoozed},
		{chat, bert.ID, desk.StatusOpen},
		{chat, 0, desk.StatusOpen},           // unassigned
		{mail, idle.ID, desk.StatusResolved}, // only resolved ones: absent
	} {
		conv := newConversation(t, s, cv.in, c, at(i))
		conv.AssigneeID, conv.Status = cv.assignee, cv.status
		must(t, s.UpdateConversation(ctx(t), conv), "UpdateConversation")
	}
	got, err := rs.AssigneeLoad(ctx(t))
	must(t, err, "AssigneeLoad")
	want := map[int64]map[desk.ChannelKind]int{
		anna.ID: {desk.ChannelEmail: 2, desk.ChannelWebChat: 1},
		bert.ID: {desk.ChannelWebChat: 1},
	}
	if !maps.EqualFunc(got, want, func(a, b map[desk.ChannelKind]int) bool { return maps.Equal(a, b) }) {
		t.Errorf("AssigneeLoad = %v, want %v", got, want)
	}
}

func testSLADue(t *testing.T, s desk.Store) {
	rs := routingOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Gijs", "", "")
	type spec struct {
		policy int64
		due    time.Time
		status desk.Status
	}
	specs := []spec{
		{1, at(30), desk.StatusOpen},      // 0
		{1, at(10), desk.StatusPending},   // 1
		{2, time.Time{}, desk.StatusOpen}, // 2: nothing due: last
		{2, at(10), desk.StatusSnoozed},   // 3: ties with 1, by id
		{1, at(5), desk.StatusResolved},   // 4: resolved: out
		{0, at(1), desk.StatusOpen},       // 5: no policy: out
		{1, at(20), desk.StatusOpen},      // 6
		{3, time.Time{}, desk.StatusOpen}, // 7: nothing due, after 2
	}
	convs := make([]int64, len(specs))
	for i, sp := range specs {
		cv := newConversation(t, s, in, c, at(i))
		cv.SLAPolicyID, cv.SLADueAt, cv.Status, cv.SLAState = sp.policy, sp.due, sp.status, desk.SLARunning
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		convs[i] = cv.ID
	}
	pick := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, x := range idx {
			out[i] = convs[x]
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		limit int
		want  []int64
	}{
		{"all", 100, pick(1, 3, 6, 0, 2, 7)},
		{"limited", 3, pick(1, 3, 6)},
		{"limit reaching the undue", 5, pick(1, 3, 6, 0, 2)},
		{"zero is the default", 0, pick(1, 3, 6, 0, 2, 7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rs.SLADue(ctx(t), tc.limit)
			must(t, err, "SLADue")
			if !sameIDs(convIDs(got), tc.want) {
				t.Errorf("SLADue(%d) = %v, want %v", tc.limit, convIDs(got), tc.want)
			}
			for _, g := range got {
				if g.SLAPolicyID == 0 || g.SLAState != desk.SLARunning || g.Status == desk.StatusResolved {
					t.Errorf("SLADue gave conversation %d with policy %d, state %q, status %q", g.ID, g.SLAPolicyID,
						g.SLAState, g.Status)
				}
			}
		})
	}
}

package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Feedback (desk/feedback.go): surveys, compliments and improvement
// signals.
//
// Pinned down here: SurveyCandidates lists resolved conversations in the
// window with no survey row (sent or skipped), oldest resolution first; a
// second survey for a conversation is ErrConflict; AnswerSurvey acts on
// sent or answered surveys only (skipped: ErrConflict, missing:
// ErrNotFound); MarkSurveyFollowUp succeeds once; SurveyStats sums per
// group over surveys sent in [From, To), skipped ones left out;
// ListSurveys is newest answer first with its filters; improvements count
// signals and distinct customers, the same conversation signals a problem
// once, and a closed problem cannot be closed again.

var feedbackTests = []test{
	{"SurveyCandidates", testSurveyCandidates},
	{"SurveyOnce", testSurveyOnce},
	{"AnswerSurvey", testAnswerSurvey},
	{"SurveyFollowUpAndReview", testSurveyFollowUpAndReview},
	{"SurveyStats", testSurveyStats},
	{"ListSurveys", testListSurveys},
	{"Compliments", testCompliments},
	{"Improvements", testImprovements},
}

func resolvedConversation(t *testing.T, s desk.Store, in *desk.Inbox, c *desk.Contact, resolved int) *desk.Conversation {
	t.Helper()
	cv := newConversation(t, s, in, c, at(resolved-10))
	cv.Status, cv.ResolvedAt, cv.UpdatedAt = desk.StatusResolved, at(resolved), at(resolved)
	must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation resolved")
	return cv
}

func sentSurvey(cv *desk.Conversation, token string, sent int) *desk.Survey {
	return &desk.Survey{ConversationID: cv.ID, ContactID: cv.ContactID, Channel: cv.Channel, Locale: "nl",
		TokenHash: token, State: desk.SurveySent, SentAt: at(sent), NPS: desk.NoNPS}
}

func testSurveyCandidates(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	early := resolvedConversation(t, s, in, c, 10)
	late := resolvedConversation(t, s, in, c, 20)
	surveyed := resolvedConversation(t, s, in, c, 15)
	skipped := resolvedConversation(t, s, in, c, 16)
	resolvedConversation(t, s, in, c, -100) // before the window
	resolvedConversation(t, s, in, c, 100)  // after it
	newConversation(t, s, in, c, at(5))     // not resolved
	must(t, s.CreateSurvey(ctx(t), sentSurvey(surveyed, "hash-1", 16)), "CreateSurvey")
	must(t, s.CreateSurvey(ctx(t), &desk.Survey{ConversationID: skipped.ID, State: desk.SurveySkipped, Reason: "bot"}),
		"CreateSurvey skipped")
	got, err := s.SurveyCandidates(ctx(t), at(0), at(60), 10)
	must(t, err, "SurveyCandidates")
	if want := []int64{early.ID, late.ID}; !sameIDs(convIDs(got), want) {
		t.Errorf("candidates = %v, want %v (resolved in the window, no survey, oldest first)", convIDs(got), want)
	}
	got, err = s.SurveyCandidates(ctx(t), at(0), at(60), 1)
	must(t, err, "SurveyCandidates limit")
	if want := []int64{early.ID}; !sameIDs(convIDs(got), want) {
		t.Errorf("candidates with limit 1 = %v, want %v", convIDs(got), want)
	}
}

func testSurveyOnce(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	cv := resolvedConversation(t, s, in, c, 10)
	sv := sentSurvey(cv, "hash-once", 20)
	sv.AgentID, sv.TeamID, sv.Category = 7, 3, "delivery"
	must(t, s.CreateSurvey(ctx(t), sv), "CreateSurvey")
	if sv.ID == 0 {
		t.Fatal("CreateSurvey set no ID")
	}
	wantErr(t, s.CreateSurvey(ctx(t), sentSurvey(cv, "hash-other", 21)), desk.ErrConflict, "second survey")
	wantErr(t, s.CreateSurvey(ctx(t), &desk.Survey{ConversationID: cv.ID, State: desk.SurveySent}), desk.ErrInvalid,
		"sent survey without token")

	got, err := s.SurveyByTokenHash(ctx(t), "hash-once")
	must(t, err, "SurveyByTokenHash")
	if got.ID != sv.ID || got.ConversationID != cv.ID || got.ContactID != c.ID || got.Channel != desk.ChannelEmail ||
		got.AgentID != 7 || got.TeamID != 3 || got.Category != "delivery" || got.Locale != "nl" ||
		got.State != desk.SurveySent || got.NPS != desk.NoNPS || got.CSAT != 0 || got.Answers != nil {
		t.Errorf("SurveyByTokenHash = %+v, want what was stored", got)
	}
	checkTime(t, "SentAt", got.SentAt, at(20))
	checkTime(t, "AnsweredAt", got.AnsweredAt, time.Time{})
	byConv, err := s.SurveyByConversation(ctx(t), cv.ID)
	must(t, err, "SurveyByConversation")
	if byConv.ID != sv.ID {
		t.Errorf("SurveyByConversation id = %d, want %d", byConv.ID, sv.ID)
	}
	_, err = s.SurveyByTokenHash(ctx(t), "nope")
	wantErr(t, err, desk.ErrNotFound, "unknown token")
	_, err = s.SurveyByTokenHash(ctx(t), "")
	wantErr(t, err, desk.ErrNotFound, "empty token")
}

func testAnswerSurvey(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	cv := resolvedConversation(t, s, in, c, 10)
	sv := sentSurvey(cv, "hash-a", 20)
	must(t, s.CreateSurvey(ctx(t), sv), "CreateSurvey")

	sv.State, sv.CSAT, sv.NPS, sv.Comment = desk.SurveyAnswered, 4, 9, "Snel geholpen"
	sv.Answers = map[string]string{"q1": "5", "q2": "Prima"}
	sv.AnsweredAt, sv.UpdatedAt = at(30), at(30)
	must(t, s.AnswerSurvey(ctx(t), sv), "AnswerSurvey")
	sv.CSAT, sv.UpdatedAt = 5, at(40)
	must(t, s.AnswerSurvey(ctx(t), sv), "AnswerSurvey edit")
	got, err := s.SurveyByTokenHash(ctx(t), "hash-a")
	must(t, err, "SurveyByTokenHash")
	if got.State != desk.SurveyAnswered || got.CSAT != 5 || got.NPS != 9 || got.Comment != "Snel geholpen" ||
		!reflect.DeepEqual(got.Answers, sv.Answers) {
		t.Errorf("answered survey = %+v, want CSAT 5, NPS 9, comment and answers %v", got, sv.Answers)
	}
	checkTime(t, "AnsweredAt", got.AnsweredAt, at(30))
	checkTime(t, "UpdatedAt", got.UpdatedAt, at(40))

	skip := &desk.Survey{ConversationID: resolvedConversation(t, s, in, c, 11).ID, State: desk.SurveySkipped}
	must(t, s.CreateSurvey(ctx(t), skip), "CreateSurvey skipped")
	skip.State, skip.CSAT = desk.SurveyAnswered, 3
	wantErr(t, s.AnswerSurvey(ctx(t), skip), desk.ErrConflict, "answer a skipped survey")
	wantErr(t, s.AnswerSurvey(ctx(t), &desk.Survey{ID: 99999, State: desk.SurveyAnswered, CSAT: 3}), desk.ErrNotFound,
		"answer a missing survey")
}

func testSurveyFollowUpAndReview(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	other := newContact(t, s, "Bram", "bram@example.nl", "")
	sv := sentSurvey(resolvedConversation(t, s, in, c, 10), "hash-f", 20)
	must(t, s.CreateSurvey(ctx(t), sv), "CreateSurvey")
	must(t, s.MarkSurveyFollowUp(ctx(t), sv.ID, at(30)), "MarkSurveyFollowUp")
	wantErr(t, s.MarkSurveyFollowUp(ctx(t), sv.ID, at(31)), desk.ErrConflict, "second follow-up")
	wantErr(t, s.MarkSurveyFollowUp(ctx(t), 99999, at(31)), desk.ErrNotFound, "follow-up of a missing survey")

	last, err := s.LastReviewInvite(ctx(t), c.ID)
	must(t, err, "LastReviewInvite before")
	checkTime(t, "LastReviewInvite before any", last, time.Time{})
	sv2 := sentSurvey(resolvedConversation(t, s, in, c, 11), "hash-g", 21)
	must(t, s.CreateSurvey(ctx(t), sv2), "CreateSurvey 2")
	must(t, s.MarkReviewInvited(ctx(t), sv.ID, at(40)), "MarkReviewInvited")
	must(t, s.MarkReviewInvited(ctx(t), sv2.ID, at(50)), "MarkReviewInvited 2")
	wantErr(t, s.MarkReviewInvited(ctx(t), 99999, at(50)), desk.ErrNotFound, "invite on a missing survey")
	last, err = s.LastReviewInvite(ctx(t), c.ID)
	must(t, err, "LastReviewInvite")
	checkTime(t, "LastReviewInvite", last, at(50))
	last, err = s.LastReviewInvite(ctx(t), other.ID)
	must(t, err, "LastReviewInvite other")
	checkTime(t, "LastReviewInvite of another customer", last, time.Time{})
	got, err := s.SurveyByConversation(ctx(t), sv.ConversationID)
	must(t, err, "SurveyByConversation")
	checkTime(t, "FollowUpAt", got.FollowUpAt, at(30))
	checkTime(t, "ReviewInvitedAt", got.ReviewInvitedAt, at(40))
}

func answer(t *testing.T, s desk.Store, sv *desk.Survey, csat, nps int, comment string, when int) {
	t.Helper()
	sv.State, sv.CSAT, sv.NPS, sv.Comment, sv.AnsweredAt, sv.UpdatedAt = desk.SurveyAnswered, csat, nps, comment, at(when), at(when)
	must(t, s.AnswerSurvey(ctx(t), sv), "AnswerSurvey")
}

func testSurveyStats(t *testing.T, s desk.Store) {
	mail := newInbox(t, s, "mail", desk.ChannelEmail)
	chat := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	mk := func(in *desk.Inbox, agent int64, cat string, sent int) *desk.Survey {
		sv := sentSurvey(resolvedConversation(t, s, in, c, sent-5), "h"+name(sent), sent)
		sv.AgentID, sv.Category = agent, cat
		must(t, s.CreateSurvey(ctx(t), sv), "CreateSurvey")
		return sv
	}
	a := mk(mail, 1, "delivery", 10)
	b := mk(mail, 1, "delivery", 20)
	d := mk(chat, 2, "returns", 30)
	mk(chat, 2, "returns", 40)       // sent, not answered
	mk(chat, 2, "returns", 24*60+10) // the next day: outside To
	must(t, s.CreateSurvey(ctx(t), &desk.Survey{ConversationID: resolvedConversation(t, s, mail, c, 5).ID,
		State: desk.SurveySkipped}), "CreateSurvey skipped")
	answer(t, s, a, 5, 10, "", 50)
	answer(t, s, b, 2, 3, "Te laat", 50)
	answer(t, s, d, 4, desk.NoNPS, "", 50)

	cases := []struct {
		by   desk.SurveyDim
		want []desk.SurveyStat
	}{
		{desk.SurveyByTotal, []desk.SurveyStat{{Key: "", Sent: 4, Answered: 3, CSATSum: 11, Satisfied: 2, NPSCount: 2, Promoters: 1, Detract: 1}}},
		{desk.SurveyByAgent, []desk.SurveyStat{
			{Key: "1", Sent: 2, Answered: 2, CSATSum: 7, Satisfied: 1, NPSCount: 2, Promoters: 1, Detract: 1},
			{Key: "2", Sent: 2, Answered: 1, CSATSum: 4, Satisfied: 1}}},
		{desk.SurveyByChannel, []desk.SurveyStat{
			{Key: "email", Sent: 2, Answered: 2, CSATSum: 7, Satisfied: 1, NPSCount: 2, Promoters: 1, Detract: 1},
			{Key: "webchat", Sent: 2, Answered: 1, CSATSum: 4, Satisfied: 1}}},
		{desk.SurveyByCategory, []desk.SurveyStat{
			{Key: "delivery", Sent: 2, Answered: 2, CSATSum: 7, Satisfied: 1, NPSCount: 2, Promoters: 1, Detract: 1},
			{Key: "returns", Sent: 2, Answered: 1, CSATSum: 4, Satisfied: 1}}},
		{desk.SurveyByDay, []desk.SurveyStat{{Key: "2025-03-14", Sent: 4, Answered: 3, CSATSum: 11, Satisfied: 2, NPSCount: 2, Promoters: 1, Detract: 1}}},
	}
	for _, tc := range cases {
		t.Run("by "+string(tc.by), func(t *testing.T) {
			got, err := s.SurveyStats(ctx(t), desk.SurveyStatsQuery{From: at(0), To: at(600), By: tc.by})
			must(t, err, "SurveyStats")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SurveyStats by %q =\n %+v\nwant\n %+v", tc.by, got, tc.want)
			}
		})
	}
	_, err := s.SurveyStats(ctx(t), desk.SurveyStatsQuery{By: "colour"})
	wantErr(t, err, desk.ErrInvalid, "unknown dimension")
}

func testListSurveys(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "sanne@example.nl", "")
	var svs []*desk.Survey
	for i, a := range []struct {
		csat    int
		comment string
	}{{5, "Top"}, {1, "Slecht"}, {2, ""}, {4, ""}} {
		sv := sentSurvey(resolvedConversation(t, s, in, c, i), "l"+name(i), i+1)
		must(t, s.CreateSurvey(ctx(t), sv), "CreateSurvey")
		answer(t, s, sv, a.csat, desk.NoNPS, a.comment, 10+i)
		svs = append(svs, sv)
	}
	must(t, s.CreateSurvey(ctx(t), sentSurvey(resolvedConversation(t, s, in, c, 9), "unanswered", 9)), "CreateSurvey")
	surveyIDs := func(l []desk.Survey) []int64 { return ids(l, func(s desk.Survey) int64 { return s.ID }) }
	cases := []struct {
		name string
		q    desk.SurveyQuery
		want []int64
	}{
		{"all answered, newest first", desk.SurveyQuery{}, []int64{svs[3].ID, svs[2].ID, svs[1].ID, svs[0].ID}},
		{"with comment", desk.SurveyQuery{WithComment: true}, []int64{svs[1].ID, svs[0].ID}},
		{"low scores", desk.SurveyQuery{MaxCSAT: 2}, []int64{svs[2].ID, svs[1].ID}},
		{"period", desk.SurveyQuery{From: at(11), To: at(13)}, []int64{svs[2].ID, svs[1].ID}},
		{"limit", desk.SurveyQuery{Limit: 1}, []int64{svs[3].ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListSurveys(ctx(t), tc.q)
			must(t, err, "ListSurveys")
			if !sameIDs(surveyIDs(got), tc.want) {
				t.Errorf("ListSurveys(%+v) = %v, want %v", tc.q, surveyIDs(got), tc.want)
			}
		})
	}
}

func testCompliments(t *testing.T, s desk.Store) {
	first := &desk.Compliment{Name: "Sanne", Email: "sanne@example.nl", Body: "Anna was geweldig", Locale: "nl",
		About: "Anna", CreatedAt: at(1)}
	must(t, s.CreateCompliment(ctx(t), first), "CreateCompliment")
	second := &desk.Compliment{Body: "Great service", Locale: "en", CreatedAt: at(2)}
	must(t, s.CreateCompliment(ctx(t), second), "CreateCompliment 2")
	wantErr(t, s.CreateCompliment(ctx(t), &desk.Compliment{}), desk.ErrInvalid, "empty compliment")
	got, err := s.ListCompliments(ctx(t), 10)
	must(t, err, "ListCompliments")
	if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
		t.Fatalf("ListCompliments = %+v, want the two, newest first", got)
	}
	g := got[1]
	if g.Name != "Sanne" || g.Email != "sanne@example.nl" || g.Body != "Anna was geweldig" || g.Locale != "nl" || g.About != "Anna" {
		t.Errorf("compliment = %+v, want what was stored", g)
	}
	checkTime(t, "CreatedAt", g.CreatedAt, at(1))
}

func testImprovements(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	team := newTeam(t, s, "Finance")
	sanne := newContact(t, s, "Sanne", "sanne@example.nl", "")
	bram := newContact(t, s, "Bram", "bram@example.nl", "")
	vat := &desk.Improvement{Title: "Factuur toont verkeerde btw", TeamID: team.ID, CreatedBy: 1, CreatedAt: at(1)}
	must(t, s.CreateImprovement(ctx(t), vat), "CreateImprovement")
	small := &desk.Improvement{Title: "Typo op de site", CreatedAt: at(2)}
	must(t, s.CreateImprovement(ctx(t), small), "CreateImprovement 2")
	wantErr(t, s.CreateImprovement(ctx(t), &desk.Improvement{}), desk.ErrInvalid, "no title")

	c1 := newConversation(t, s, in, sanne, at(3))
	c2 := newConversation(t, s, in, sanne, at(4))
	c3 := newConversation(t, s, in, bram, at(5))
	for i, cv := range []*desk.Conversation{c1, c2, c3} {
		sig := &desk.ImprovementSignal{ImprovementID: vat.ID, ConversationID: cv.ID, ContactID: cv.ContactID,
			Note: "btw", CreatedBy: 1, CreatedAt: at(10 + i)}
		must(t, s.AddImprovementSignal(ctx(t), sig), "AddImprovementSignal")
	}
	err := s.AddImprovementSignal(ctx(t), &desk.ImprovementSignal{ImprovementID: vat.ID, ConversationID: c1.ID,
		ContactID: sanne.ID})
	wantErr(t, err, desk.ErrConflict, "the same conversation twice")
	err = s.AddImprovementSignal(ctx(t), &desk.ImprovementSignal{ImprovementID: 99999, ConversationID: c1.ID})
	wantErr(t, err, desk.ErrNotFound, "signal of a missing problem")
	must(t, s.AddImprovementSignal(ctx(t), &desk.ImprovementSignal{ImprovementID: small.ID, ConversationID: c1.ID,
		ContactID: sanne.ID, CreatedAt: at(20)}), "AddImprovementSignal small")

	list, err := s.ListImprovements(ctx(t), desk.ImprovementOpen)
	must(t, err, "ListImprovements")
	if len(list) != 2 || list[0].ID != vat.ID || list[0].Signals != 3 || list[0].Customers != 2 ||
		list[0].TeamID != team.ID || list[0].State != desk.ImprovementOpen || list[1].Customers != 1 {
		t.Fatalf("ListImprovements = %+v, want the VAT problem first with 3 signals from 2 customers", list)
	}
	sigs, err := s.ImprovementSignals(ctx(t), vat.ID)
	must(t, err, "ImprovementSignals")
	if got := ids(sigs, func(g desk.ImprovementSignal) int64 { return g.ConversationID }); !sameIDs(got, []int64{c1.ID, c2.ID, c3.ID}) {
		t.Errorf("signals' conversations = %v, want %v oldest first", got, []int64{c1.ID, c2.ID, c3.ID})
	}
	must(t, s.MarkSignalNotified(ctx(t), sigs[0].ID, at(30)), "MarkSignalNotified")
	wantErr(t, s.MarkSignalNotified(ctx(t), 99999, at(30)), desk.ErrNotFound, "notify a missing signal")
	sigs, err = s.ImprovementSignals(ctx(t), vat.ID)
	must(t, err, "ImprovementSignals")
	checkTime(t, "NotifiedAt", sigs[0].NotifiedAt, at(30))
	checkTime(t, "NotifiedAt of another", sigs[1].NotifiedAt, time.Time{})

	must(t, s.CloseImprovement(ctx(t), vat.ID, 5, at(40)), "CloseImprovement")
	wantErr(t, s.CloseImprovement(ctx(t), vat.ID, 5, at(41)), desk.ErrConflict, "close twice")
	wantErr(t, s.CloseImprovement(ctx(t), 99999, 5, at(41)), desk.ErrNotFound, "close a missing problem")
	got, err := s.ImprovementByID(ctx(t), vat.ID)
	must(t, err, "ImprovementByID")
	if got.State != desk.ImprovementClosed || got.ClosedBy != 5 || got.Title != vat.Title {
		t.Errorf("closed problem = %+v, want closed by 5", got)
	}
	checkTime(t, "ClosedAt", got.ClosedAt, at(40))
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	open, err := s.ListImprovements(ctx(t), desk.ImprovementOpen)
	must(t, err, "ListImprovements open")
	if len(open) != 1 || open[0].ID != small.ID {
		t.Errorf("open problems = %+v, want only the typo", open)
	}
	all, err := s.ListImprovements(ctx(t), "")
	must(t, err, "ListImprovements all")
	if len(all) != 2 {
		t.Errorf("all problems = %d, want 2", len(all))
	}
	_, err = s.ImprovementByID(ctx(t), 99999)
	if !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("ImprovementByID(missing) = %v, want ErrNotFound", err)
	}
}

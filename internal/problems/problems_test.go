package problems_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problems"
	"github.com/balie-dev/balie/internal/testenv"
)

// steady is a week of ordinary questions; the surge is an hour of failed
// payments on top of it.
var (
	steady = []string{
		"Waar blijft mijn pakket? Het is nog niet bezorgd",
		"Mijn pakket is nog steeds niet bezorgd, waar is het",
		"Hoe kan ik mijn bezorgadres wijzigen voor de levering",
		"Ik wil mijn bezorgadres aanpassen",
		"Kan ik mijn bestelling retourneren en mijn geld terugkrijgen",
		"Hoe werkt retourneren van een fiets",
		"Mijn wachtwoord werkt niet, ik kan niet inloggen",
		"Inloggen lukt niet, wachtwoord vergeten",
	}
	surge = []string{
		"Mijn betaling is mislukt bij het afrekenen",
		"Betaling mislukt met iDEAL, wat nu?",
		"iDEAL betaling mislukt steeds opnieuw",
		"Afrekenen lukt niet, betaling mislukt",
		"De betaling is mislukt maar het geld is wel weg",
	}
)

func TestReportFindsTopicsAndTheSurge(t *testing.T) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			ctx := context.Background()
			st := o.Open(t)
			now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
			in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat"}
			if err := st.CreateInbox(ctx, in); err != nil {
				t.Fatal(err)
			}
			c := &desk.Contact{Name: "Klant"}
			if err := st.CreateContact(ctx, c); err != nil {
				t.Fatal(err)
			}
			add := func(text string, at time.Time) {
				t.Helper()
				cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
					Priority: desk.PriorityNone, Category: "order", LastActivityAt: at, CreatedAt: at, UpdatedAt: at}
				if err := st.CreateConversation(ctx, cv); err != nil {
					t.Fatal(err)
				}
				m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact,
					SenderID: c.ID, Body: text, CreatedAt: at}
				if err := st.CreateMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			// A week of steady traffic: every steady text every 4 hours,
			// and a failed payment now and then.
			n := 0
			for at := now.Add(-7 * 24 * time.Hour); at.Before(now.Add(-time.Hour)); at = at.Add(4 * time.Hour) {
				for _, s := range steady {
					add(s, at.Add(time.Duration(n%200)*time.Second))
					n++
				}
				if n%40 == 0 {
					add(surge[n%len(surge)], at)
				}
			}
			// The last hour: 20 customers about failed payments, and the
			// usual traffic.
			for i := range 20 {
				add(surge[i%len(surge)]+fmt.Sprintf(" (%d)", i), now.Add(-time.Duration(50-i)*time.Minute))
			}
			for i, s := range steady[:2] {
				add(s, now.Add(-time.Duration(30+i)*time.Minute))
			}

			svc := problems.New(st, desk.ClockFunc(func() time.Time { return now }), nil, problems.Options{})
			if _, err := svc.Latest(ctx); err == nil {
				t.Fatal("Latest before the first run: want not found")
			}
			rep, err := svc.Refresh(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Topics) < 3 {
				t.Fatalf("%d topics, want at least the four problems: %+v", len(rep.Topics), rep.Topics)
			}
			if len(rep.Surges) != 1 {
				t.Fatalf("surges = %+v, want exactly the failed payments", rep.Surges)
			}
			sg := rep.Surges[0]
			if !strings.Contains(sg.Topic.Label, "betaling") && !strings.Contains(sg.Topic.Label, "mislukt") {
				t.Errorf("surge topic %q, want the failed payments", sg.Topic.Label)
			}
			if sg.Recent < 18 || sg.Expected > 5 {
				t.Errorf("surge recent %d expected %.1f, want about 20 against a few", sg.Recent, sg.Expected)
			}
			if sg.Topic.Categories["order"] == 0 || len(sg.Topic.Conversations) == 0 {
				t.Errorf("surge topic lacks its conversations or categories: %+v", sg.Topic)
			}
			// Stored for every node; not computed again within the hour.
			got, err := svc.Latest(ctx)
			if err != nil || !got.At.Equal(rep.At) || len(got.Surges) != 1 {
				t.Fatalf("Latest = %+v, %v; want the report just made", got, err)
			}
			now = now.Add(10 * time.Minute)
			again, err := svc.Refresh(ctx, false)
			if err != nil || !again.At.Equal(rep.At) {
				t.Errorf("Refresh within the hour made a new report (at %v, %v)", again.At, err)
			}
		})
	}
}

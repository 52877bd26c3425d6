package web

import (
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// activityKeys are the catalogue keys activity lines are made of: for each
// desk.Activity* key "activity.<key>", and "activity.<key>_none" for the
// keys whose argument may be empty. app.js renders live lines from the
// same keys.
var activityKeys = []string{
	"activity." + desk.ActivityResolved,
	"activity." + desk.ActivityReopened,
	"activity." + desk.ActivityPending,
	"activity." + desk.ActivitySnoozed,
	"activity." + desk.ActivityPriority,
	"activity." + desk.ActivityPriority + "_none",
	"activity." + desk.ActivityLabels,
	"activity." + desk.ActivityLabels + "_none",
	"activity." + desk.ActivityTeam,
	"activity." + desk.ActivityTeam + "_none",
	"activity." + desk.ActivityAssigned,
	"activity." + desk.ActivityAssigned + "_none",
	"activity." + desk.ActivitySnoozeEnded,
	"activity." + desk.ActivityCategory,
	"activity." + desk.ActivityCategory + "_none",
	"activity." + desk.ActivityHandover,
	"activity." + desk.ActivityHandover + "_none",
	"activity." + desk.ActivityContinuedIn,
	"activity." + desk.ActivityContinuedFrom,
}

// activityActor names who made a change when no agent did.
const activityActor = "balie"

// activityLine renders an activity message in c's language: the actor,
// then each change ("Anna de Vries: toegewezen aan Bram; prioriteit hoog").
// datetime formats times in the page's zone. A message without Activity
// (written before it existed), or with a change this version cannot
// render, shows its English Body instead.
func activityLine(c catalog, datetime func(time.Time) string, m desk.Message) string {
	if len(m.Activity) == 0 {
		return m.Body
	}
	parts := make([]string, 0, len(m.Activity))
	for _, it := range m.Activity {
		s, ok := activityPart(c, datetime, it)
		if !ok {
			return m.Body
		}
		parts = append(parts, s)
	}
	who := m.SenderName
	if who == "" {
		who = activityActor
	}
	return who + ": " + strings.Join(parts, "; ")
}

// activityPart renders one change; false when its key or argument is not
// one it knows.
func activityPart(c catalog, datetime func(time.Time) string, it desk.ActivityItem) (string, bool) {
	key := "activity." + it.Key
	text := func(key string, args ...any) (string, bool) {
		if _, ok := c[key]; !ok {
			return "", false
		}
		return c.T(key, args...), true
	}
	switch it.Key {
	case desk.ActivityResolved, desk.ActivityReopened, desk.ActivityPending, desk.ActivitySnoozeEnded:
		return text(key)
	}
	if len(it.Args) == 0 {
		return "", false
	}
	arg := it.Args[0]
	switch it.Key {
	case desk.ActivitySnoozed:
		t, err := time.Parse(time.RFC3339, arg)
		if err != nil {
			return "", false
		}
		return text(key, datetime(t))
	case desk.ActivityPriority:
		if arg == "" || arg == string(desk.PriorityNone) {
			return text(key + "_none")
		}
		name, ok := c["priority."+arg]
		if !ok {
			return "", false
		}
		// The catalogue's priority names are labels ("Hoog"); within a
		// sentence both languages we ship write them in lower case.
		return text(key, strings.ToLower(name))
	case desk.ActivityLabels:
		if arg == "" {
			return text(key + "_none")
		}
		return text(key, strings.ReplaceAll(arg, ",", ", "))
	case desk.ActivityContinuedIn, desk.ActivityContinuedFrom:
		channel, ok := c["channel."+arg]
		if !ok || len(it.Args) < 2 {
			return "", false
		}
		return text(key, channel, it.Args[1])
	case desk.ActivityTeam, desk.ActivityAssigned, desk.ActivityCategory, desk.ActivityHandover:
		if arg == "" {
			return text(key + "_none")
		}
		return text(key, arg)
	}
	return "", false
}

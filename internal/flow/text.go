package flow

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// words are the few texts the runner says itself, in a flow's locale.
type words struct {
	yes, no        string
	helped         string // asked after an article
	solved         string // end after "yes, that helped"
	handover       string // end when the runner gives up
	pick           string // hint after an answer that matches no option
	input          string // hint after an input that does not fit
	read           string // before an article's link
	articleOutcome string // end in an article without a message
}

func wordsFor(locale string) words {
	if locale == "nl" {
		return words{
			yes:            "Ja",
			no:             "Nee",
			helped:         "Is je probleem hiermee opgelost?",
			solved:         "Fijn dat het is opgelost!",
			handover:       "Ik breng je in contact met een medewerker.",
			pick:           "Sorry, dat begreep ik niet. Antwoord met het nummer of de tekst van een van de keuzes.",
			input:          "Sorry, dat lijkt niet te kloppen. Probeer het nog eens.",
			read:           "Lees:",
			articleOutcome: "Dit artikel beantwoordt je vraag:",
		}
	}
	return words{
		yes:            "Yes",
		no:             "No",
		helped:         "Did this solve your problem?",
		solved:         "Glad it is solved!",
		handover:       "Let me put you in touch with a colleague.",
		pick:           "Sorry, I did not understand that. Answer with the number or the text of one of the choices.",
		input:          "Sorry, that does not look right. Please try again.",
		read:           "Read:",
		articleOutcome: "This article answers your question:",
	}
}

// Plain renders v as text for channels without buttons: messages first,
// then the hint after a misunderstood answer, the text, the article, the
// question about it and the numbered choices ("1. Ja  2. Nee").
func (v View) Plain() string {
	var parts []string
	parts = append(parts, v.Messages...)
	if v.Hint != "" {
		parts = append(parts, v.Hint)
	}
	if v.Text != "" {
		parts = append(parts, v.Text)
	}
	if v.Article != nil {
		parts = append(parts, v.Article.line())
	}
	if v.Question != "" {
		parts = append(parts, v.Question)
	}
	if len(v.Options) > 0 {
		parts = append(parts, numbered(v.Options))
	}
	return strings.Join(parts, "\n\n")
}

func (a *ArticleRef) line() string {
	title := a.Title
	if title == "" {
		title = "#" + strconv.FormatInt(a.GroupID, 10)
	}
	if a.URL == "" {
		return title
	}
	return title + "\n" + a.URL
}

// numbered puts short choices on one line and long ones on a line each.
func numbered(opts []Choice) string {
	items := make([]string, len(opts))
	width := 0
	for i, o := range opts {
		items[i] = strconv.Itoa(o.Number) + ". " + o.Label
		width += utf8.RuneCountInString(items[i]) + 2
	}
	if width <= 60 {
		return strings.Join(items, "  ")
	}
	return strings.Join(items, "\n")
}

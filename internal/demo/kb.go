package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// The demo help center: De Spaak's articles in Dutch and English (Markdown
// files with front matter under kb/, imported the way `balie import kb`
// does), its categories, synonyms, theme, and two months of customers
// searching, reading and voting, so that search analytics and the
// contextual FAQ have something to show.

//go:embed kb
var kbFiles embed.FS

type categorySpec struct {
	slugNL, nameNL, descNL string
	slugEN, nameEN, descEN string
	icon                   string
}

func categoryList() []categorySpec {
	return []categorySpec{
		{"bestellen-en-betalen", "Bestellen en betalen", "Betaalmethoden, facturen en zakelijk bestellen.",
			"ordering-and-payment", "Ordering and payment", "Payment methods, invoices and business orders.", "cart"},
		{"bezorging", "Bezorging", "Levertijden, verzendkosten en je bestelling volgen.",
			"delivery", "Delivery", "Delivery times, shipping costs and tracking your order.", "truck"},
		{"retourneren", "Retourneren", "Retour aanmelden en je geld terug.",
			"returns", "Returns", "Returning an order and getting your money back.", "return"},
		{"onderhoud-en-garantie", "Onderhoud en garantie", "E-bike-accu's, reparaties en garantie.",
			"maintenance-and-warranty", "Maintenance and warranty", "E-bike batteries, repairs and warranty.", "wrench"},
	}
}

// seedKB writes the help center as agent author would have, then replays
// customer activity over the past weeks with the seeder's moving clock.
func (s *seeder) seedKB(ctx context.Context) error {
	svc := kb.New(s.st, nopBus{}, s.clock, slog.New(slog.DiscardHandler), kb.Options{})
	author := s.agents["mark"]
	s.clock.set(s.now.Add(-65 * day))
	for _, c := range categoryList() {
		nl, err := svc.CreateCategory(ctx, kb.CategoryInput{Locale: "nl", Slug: c.slugNL, Name: c.nameNL, Description: c.descNL, Icon: c.icon})
		if err != nil {
			return fmt.Errorf("category %s: %w", c.slugNL, err)
		}
		if _, err := svc.CreateCategory(ctx, kb.CategoryInput{Locale: "en", Slug: c.slugEN, Name: c.nameEN, Description: c.descEN,
			Icon: c.icon, TranslationOf: nl.ID}); err != nil {
			return fmt.Errorf("category %s: %w", c.slugEN, err)
		}
	}
	var files []kbfile.File
	err := fs.WalkDir(kbFiles, "kb", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := kbFiles.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := kbfile.Parse(path, b)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("articles: %w", err)
	}
	rep := svc.Import(ctx, author, files, nil)
	if len(rep.Errors) > 0 {
		return fmt.Errorf("articles: %w", rep.Errors[0])
	}
	if err := svc.SetSynonyms(ctx, [][]string{
		{"retour", "terugsturen", "retourneren", "return"},
		{"pakket", "pakketje", "zending", "parcel", "package"},
		{"accu", "batterij", "battery"},
		{"kapot", "defect", "stuk", "broken"},
		{"terugbetaling", "terugbetalen", "refund"},
	}); err != nil {
		return fmt.Errorf("synonyms: %w", err)
	}
	if err := svc.SetTheme(ctx, kb.Theme{Name: "Fietsenwinkel De Spaak", PrimaryColor: "#1d6b4f",
		ContactURL: "", Footer: "Fietsenwinkel De Spaak · Utrecht · KvK 12345678",
		Links: []kb.Link{{Label: "Webshop", URL: "https://despaak.example/"}}}); err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	return s.kbActivity(ctx, svc)
}

// visit is a kind of customer visit to the help center, repeated n times
// over the past weeks by different customers.
type visit struct {
	n       int
	locale  string
	query   string // "" for a visit without search
	context string // page the customer came from
	open    string // slug of the article opened ("" none)
	helpful int    // 1 yes, -1 no, 0 no vote
	comment string
}

func visitList() []visit {
	return []visit{
		{n: 14, locale: "nl", query: "bezorgadres wijzigen", context: "/checkout", open: "bezorgadres-wijzigen", helpful: 1},
		{n: 9, locale: "nl", query: "pakket niet ontvangen", open: "bestelling-volgen", helpful: 1},
		{n: 6, locale: "nl", query: "wanneer krijg ik mijn geld terug", open: "terugbetaling", helpful: 1},
		{n: 5, locale: "nl", query: "accu laadt niet op", open: "e-bike-accu-opladen", helpful: -1,
			comment: "Mijn lampje knippert oranje, dat staat er niet bij."},
		{n: 4, locale: "nl", query: "retour fiets", context: "/account/bestellingen", open: "retour-aanmelden", helpful: 1},
		{n: 7, locale: "nl", query: "fietslease via werkgever"},
		{n: 5, locale: "nl", query: "klarna achteraf betalen", context: "/checkout"},
		{n: 3, locale: "nl", query: "proefrit maken in de winkel"},
		{n: 4, locale: "nl", query: "verzendkosten", context: "/checkout"},
		{n: 8, locale: "nl", context: "/checkout", open: "betaalmethoden"},
		{n: 6, locale: "nl", context: "/checkout", open: "levertijden-en-verzendkosten", helpful: 1},
		{n: 6, locale: "en", query: "change delivery address", open: "change-delivery-address", helpful: 1},
		{n: 4, locale: "en", query: "package never arrived", open: "where-is-my-order", helpful: 1},
		{n: 3, locale: "en", query: "bike insurance"},
		{n: 3, locale: "en", query: "warranty battery", open: "warranty", helpful: -1, comment: "What about the charger?"},
	}
}

func (s *seeder) kbActivity(ctx context.Context, svc *kb.Service) error {
	span := 56 * day
	ip := 0
	for vi, v := range visitList() {
		var art *desk.Article
		if v.open != "" {
			a, err := s.st.ArticleBySlug(ctx, v.locale, v.open)
			if err != nil {
				return fmt.Errorf("visit %d: %s: %w", vi, v.open, err)
			}
			art = a
		}
		for i := range v.n {
			ip++
			at := s.now.Add(-span + time.Duration(ip*7919%int(span/time.Hour))*time.Hour)
			s.clock.set(at)
			visitor := kb.Visitor{IP: fmt.Sprintf("100.%d.%d.9", 64+ip/250, ip%250)}
			var searchID int64
			if v.query != "" {
				res, err := svc.Search(ctx, kb.SearchRequest{Query: v.query, Locale: v.locale, Source: desk.SourceHelpCenter,
					Context: v.context, Visitor: visitor})
				if err != nil {
					return fmt.Errorf("visit %d: %w", vi, err)
				}
				searchID = res.SearchID
			}
			if art == nil {
				continue
			}
			if searchID != 0 {
				if err := svc.Click(ctx, searchID, art.ID, visitor); err != nil {
					return fmt.Errorf("visit %d: %w", vi, err)
				}
			}
			svc.View(ctx, art.ID, v.context, v.locale, visitor)
			// Not everyone votes.
			if v.helpful == 0 || i%3 == 2 {
				continue
			}
			comment := ""
			if i == 0 {
				comment = v.comment
			}
			if err := svc.Feedback(ctx, kb.FeedbackInput{ArticleID: art.ID, Helpful: v.helpful > 0, Comment: comment,
				SearchID: searchID, Visitor: visitor}); err != nil {
				return fmt.Errorf("visit %d: %w", vi, err)
			}
		}
	}
	return svc.Flush(ctx)
}

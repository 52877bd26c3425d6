package webchat

import "strings"

// uiStrings returns the widget's texts in lang ("nl" or "en"), a fresh map
// the caller may change. The widget shows them with textContent; {name} is
// replaced in the browser.
func uiStrings(lang string) map[string]string {
	if lang == "nl" {
		return map[string]string{
			"title":          "Chat met ons",
			"open":           "Chat openen",
			"close":          "Chat sluiten",
			"placeholder":    "Typ je bericht…",
			"send":           "Versturen",
			"attach":         "Bestand bijvoegen",
			"typing":         "{name} is aan het typen…",
			"you":            "Jij",
			"agent":          "Klantenservice",
			"empty":          "Stel gerust je vraag. We antwoorden meestal binnen een paar minuten.",
			"offline":        "We zijn nu niet online. Laat je naam en e-mailadres achter, dan antwoorden we per e-mail.",
			"name":           "Naam",
			"email":          "E-mailadres",
			"save":           "Gegevens versturen",
			"saved":          "Bedankt! We antwoorden per e-mail op {email}.",
			"too_large":      "Dat bestand is te groot (maximaal 10 MB).",
			"bad_type":       "Dit soort bestand kan niet verstuurd worden. Afbeeldingen, pdf, tekst en kantoordocumenten kunnen wel.",
			"send_failed":    "Je bericht kon niet worden verstuurd. Probeer het opnieuw.",
			"rate_limited":   "Je verstuurt erg snel berichten. Wacht even.",
			"invalid_email":  "Vul een geldig e-mailadres in.",
			"reconnecting":   "Verbinding verbroken, opnieuw verbinden…",
			"resolved":       "Dit gesprek is afgesloten. Schrijf opnieuw om een nieuw gesprek te beginnen.",
			"new_message":    "Nieuw bericht",
			"uploading":      "{name} uploaden…",
			"attachment_alt": "Afbeelding {name}",
		}
	}
	return map[string]string{
		"title":          "Chat with us",
		"open":           "Open chat",
		"close":          "Close chat",
		"placeholder":    "Type your message…",
		"send":           "Send",
		"attach":         "Attach a file",
		"typing":         "{name} is typing…",
		"you":            "You",
		"agent":          "Support",
		"empty":          "Ask us anything. We usually answer within a few minutes.",
		"offline":        "We're not online right now. Leave your name and email address and we'll answer by email.",
		"name":           "Name",
		"email":          "Email address",
		"save":           "Send details",
		"saved":          "Thanks! We'll answer by email at {email}.",
		"too_large":      "That file is too large (10 MB at most).",
		"bad_type":       "That kind of file can't be sent. Images, PDF, text and office documents are fine.",
		"send_failed":    "Your message could not be sent. Please try again.",
		"rate_limited":   "You're sending messages very quickly. Please wait a moment.",
		"invalid_email":  "Please enter a valid email address.",
		"reconnecting":   "Connection lost, reconnecting…",
		"resolved":       "This conversation was closed. Write again to start a new one.",
		"new_message":    "New message",
		"uploading":      "Uploading {name}…",
		"attachment_alt": "Image {name}",
	}
}

// locale picks nl or en from what the widget asked for (default en).
func locale(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if strings.HasPrefix(l, "nl") {
		return "nl"
	}
	return "en"
}

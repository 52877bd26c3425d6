package whatsapp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Texts balie writes into a message body for content that is not text
// (reactions, locations, orders...). The thread is stored once, in the
// company's language; balie's first market is Dutch.
const (
	textReaction    = "reageerde met %s op een bericht"
	textLocation    = "📍 Locatie"
	textContactCard = "👤 Contactkaart"
	textOrder       = "🛒 Bestelling"
	textForm        = "📋 Formulier ingevuld"
	textEdited      = "(bewerkt) "
	textViaAd       = "via advertentie"
	textCallAllowed = "Bellen toegestaan: %s"
)

// content is what one WhatsApp message becomes: text, and at most one
// media file to download. skip, when set, says why the message is not
// stored at all.
type content struct {
	body  string
	media *media
	kind  string // the media's type: image, video, audio, document, sticker
	skip  string
}

// normalise turns a message of any type into content. It never fails: a
// type balie does not know is skipped with a reason for the log.
func normalise(m message) content {
	var c content
	switch m.Type {
	case "text":
		if m.Text != nil {
			c.body = m.Text.Body
		}
	case "image", "video", "audio", "document", "sticker":
		c.kind = m.Type
		c.media = map[string]*media{"image": m.Image, "video": m.Video, "audio": m.Audio,
			"document": m.Document, "sticker": m.Sticker}[m.Type]
		if c.media == nil || c.media.ID == "" {
			return content{skip: m.Type + " without media id"}
		}
		c.body = c.media.Caption
	case "location":
		if m.Location == nil {
			return content{skip: "location without coordinates"}
		}
		c.body = locationText(*m.Location)
	case "contacts":
		c.body = cardsText(m.Contacts)
	case "interactive":
		c.body = interactiveText(m.Interactive)
		if c.body == "" {
			return content{skip: "interactive reply of an unknown kind"}
		}
	case "button":
		if m.Button != nil {
			c.body = firstNonEmpty(m.Button.Text, m.Button.Payload)
		}
	case "reaction":
		// Removing a reaction sends an empty emoji: nothing to show.
		if m.Reaction == nil || m.Reaction.Emoji == "" {
			return content{skip: "reaction removed"}
		}
		c.body = fmt.Sprintf(textReaction, m.Reaction.Emoji)
	case "order":
		if m.Order == nil {
			return content{skip: "order without items"}
		}
		c.body = orderText(*m.Order)
	case "edit":
		// An edit is shown as a new message with the new content; the
		// original stays as it was, so the thread keeps what was said.
		if m.Edit == nil || m.Edit.Message.Type == "edit" {
			return content{skip: "edit without content"}
		}
		c = normalise(m.Edit.Message)
		if c.skip != "" {
			return c
		}
		c.body = strings.TrimSpace(textEdited + c.body)
		return c
	case "system":
		return content{skip: "system message (number or identity change)"}
	case "revoke":
		return content{skip: "message deleted by the customer"}
	case "unsupported", "unknown":
		return content{skip: "unsupported message type " + unsupportedDetail(m)}
	default:
		return content{skip: "unknown message type " + strconv.Quote(m.Type)}
	}
	if m.Referral != nil && (m.Referral.Headline != "" || m.Referral.SourceURL != "") {
		c.body = strings.TrimSpace(c.body + "\n\n(" + textViaAd + ": " +
			strings.TrimSpace(m.Referral.Headline+" "+m.Referral.SourceURL) + ")")
	}
	if strings.TrimSpace(c.body) == "" && c.media == nil {
		return content{skip: m.Type + " without content"}
	}
	return c
}

func unsupportedDetail(m message) string {
	if len(m.Errors) > 0 {
		return strconv.Quote(firstNonEmpty(m.Errors[0].ErrorData.Details, m.Errors[0].Title))
	}
	return ""
}

// locationText names the place and links to it on OpenStreetMap.
func locationText(l location) string {
	lat := strconv.FormatFloat(l.Latitude, 'f', -1, 64)
	lon := strconv.FormatFloat(l.Longitude, 'f', -1, 64)
	lines := []string{textLocation}
	if l.Name != "" {
		lines[0] = "📍 " + l.Name
	}
	if l.Address != "" {
		lines = append(lines, l.Address)
	}
	lines = append(lines, "https://www.openstreetmap.org/?mlat="+lat+"&mlon="+lon+"#map=17/"+lat+"/"+lon)
	return strings.Join(lines, "\n")
}

// cardsText lists shared contact cards, one line each.
func cardsText(cards []sharedCard) string {
	var lines []string
	for _, k := range cards {
		name := firstNonEmpty(k.Name.FormattedName, strings.TrimSpace(k.Name.FirstName+" "+k.Name.LastName))
		parts := []string{}
		if name != "" {
			parts = append(parts, name)
		}
		if k.Org.Company != "" {
			parts = append(parts, k.Org.Company)
		}
		for _, p := range k.Phones {
			if p.Phone != "" {
				parts = append(parts, p.Phone)
			}
		}
		for _, e := range k.Emails {
			if e.Email != "" {
				parts = append(parts, e.Email)
			}
		}
		if len(parts) > 0 {
			lines = append(lines, "- "+strings.Join(parts, ", "))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return textContactCard + "\n" + strings.Join(lines, "\n")
}

// interactiveText is the customer's choice in a button, list or form reply.
func interactiveText(in *interactive) string {
	if in == nil {
		return ""
	}
	switch {
	case in.ButtonReply != nil:
		return firstNonEmpty(in.ButtonReply.Title, in.ButtonReply.ID)
	case in.ListReply != nil:
		return firstNonEmpty(in.ListReply.Title, in.ListReply.ID)
	case in.NFMReply != nil:
		return formText(in.NFMReply.Body, in.NFMReply.ResponseJSON)
	case in.CallPermissionReply != nil && in.CallPermissionReply.Response != "":
		return fmt.Sprintf(textCallAllowed, in.CallPermissionReply.Response)
	}
	return ""
}

// formText lists a WhatsApp Flow's answers, sorted by field, leaving out
// the flow token (an opaque id, not an answer).
func formText(body, responseJSON string) string {
	var answers map[string]any
	if err := json.Unmarshal([]byte(responseJSON), &answers); err != nil {
		return strings.TrimSpace(textForm + "\n" + body)
	}
	keys := make([]string, 0, len(answers))
	for k := range answers {
		if k != "flow_token" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	lines := []string{textForm}
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("%s: %v", k, answers[k]))
	}
	return strings.Join(lines, "\n")
}

// orderText lists a catalogue order's items.
func orderText(o order) string {
	lines := []string{textOrder}
	for _, it := range o.Items {
		line := fmt.Sprintf("- %s × %s", it.Quantity, it.ProductRetailerID)
		if it.ItemPrice != "" {
			line += fmt.Sprintf(" (%s %s)", it.ItemPrice, it.Currency)
		}
		lines = append(lines, line)
	}
	if o.Text != "" {
		lines = append(lines, o.Text)
	}
	return strings.Join(lines, "\n")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

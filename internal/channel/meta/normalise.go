package meta

import (
	"fmt"
	"strconv"
	"strings"
)

// Texts balie writes into a message body for content that is not text. The
// thread is stored once, in the company's language; balie's first market is
// Dutch.
const (
	textReaction     = "reageerde met %s op een bericht"
	textLocation     = "📍 Locatie"
	textShared       = "🔗 Gedeeld"
	textStoryMention = "📣 Noemde je in een verhaal"
	textStoryReply   = "↩️ Reactie op je verhaal"
	textEdited       = "(bewerkt) "
	textMoreFiles    = "📎 %d bestand(en) meer niet opgehaald"
)

// likeSticker is Messenger's thumbs-up button, sent as a sticker.
const likeSticker = "369239263222822"

// reactionEmoji is the emoji of a reaction that names it only.
var reactionEmoji = map[string]string{
	"like": "👍", "love": "❤️", "haha": "😆", "wow": "😮", "sad": "😢", "angry": "😠", "dislike": "👎",
}

// mediaRef is an attachment to download.
type mediaRef struct {
	url  string
	kind string // image, video, audio, file
}

// content is what one event becomes: text and the files to download. skip,
// when set, says why nothing is stored.
type content struct {
	body  string
	media []mediaRef
	skip  string
}

// normaliseMessage turns a message event into content. It never fails: what
// balie does not know is skipped with a reason for the log.
func normaliseMessage(m *message) content {
	switch {
	case m.IsEcho:
		return content{skip: "echo of the page's own message"}
	case m.IsDeleted:
		return content{skip: "message deleted by the customer"}
	case m.IsUnsupported:
		return content{skip: "unsupported message"}
	}
	var c content
	var lines []string
	if m.ReplyTo != nil && m.ReplyTo.Story != nil {
		lines = append(lines, joinNonEmpty(": ", textStoryReply, m.ReplyTo.Story.URL))
	}
	text := m.Text
	if strings.TrimSpace(text) == "" && m.QuickReply != nil {
		text = m.QuickReply.Payload
	}
	if strings.TrimSpace(text) != "" {
		lines = append(lines, text)
	}
	for _, a := range m.Attachments {
		p := a.Payload
		switch a.Type {
		case "image", "video", "audio", "file":
			if p.URL == "" {
				continue
			}
			if a.Type == "image" && p.stickerID() == likeSticker {
				lines = append(lines, "👍")
				continue
			}
			c.media = append(c.media, mediaRef{url: p.URL, kind: a.Type})
		case "location":
			if p.Coordinates != nil {
				lines = append(lines, locationText(p.Title, p.Coordinates.Lat, p.Coordinates.Long))
			}
		case "story_mention":
			lines = append(lines, joinNonEmpty(": ", textStoryMention, p.URL))
		case "fallback", "share", "ig_reel", "reel", "ig_post", "ig_story", "template", "product":
			title := firstNonEmpty(p.Title, a.Title, templateTitle(p))
			lines = append(lines, joinNonEmpty(": ", textShared, joinNonEmpty(" ", title, firstNonEmpty(p.URL, a.URL))))
		default:
			lines = append(lines, joinNonEmpty(": ", textShared, firstNonEmpty(p.URL, a.URL, a.Type)))
		}
	}
	c.body = strings.Join(lines, "\n")
	if strings.TrimSpace(c.body) == "" && len(c.media) == 0 {
		return content{skip: "message without content"}
	}
	return c
}

// templateTitle is the first element's title of a shared template or
// product.
func templateTitle(p attachmentPayload) string {
	if len(p.Elements) > 0 {
		return joinNonEmpty(" – ", p.Elements[0].Title, p.Elements[0].Subtitle)
	}
	if p.Product != nil && len(p.Product.Elements) > 0 {
		return p.Product.Elements[0].Title
	}
	return ""
}

// postbackText is the button the customer pressed: its title, or its
// payload when there is no title.
func postbackText(p *postback) string {
	return strings.TrimSpace(firstNonEmpty(p.Title, p.Payload))
}

// reactionText is a reaction as a short line; "" for a removed reaction.
func reactionText(r *reaction) string {
	if r.Action == "unreact" {
		return ""
	}
	emoji := firstNonEmpty(r.Emoji, reactionEmoji[r.Name], r.Name)
	if emoji == "" {
		return ""
	}
	return fmt.Sprintf(textReaction, emoji)
}

// locationText names the place and links to it on OpenStreetMap.
func locationText(name string, lat, lon float64) string {
	la := strconv.FormatFloat(lat, 'f', -1, 64)
	lo := strconv.FormatFloat(lon, 'f', -1, 64)
	first := textLocation
	if strings.TrimSpace(name) != "" {
		first = "📍 " + strings.TrimSpace(name)
	}
	return first + "\nhttps://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=17/" + la + "/" + lo
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// joinNonEmpty joins the non-blank parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

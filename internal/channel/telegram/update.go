package telegram

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// The parts of the Bot API's Update that balie reads. Unknown fields are
// ignored: Telegram adds new ones often.
type update struct {
	UpdateID          int64          `json:"update_id"`
	Message           *message       `json:"message"`
	EditedMessage     *message       `json:"edited_message"`
	ChannelPost       *message       `json:"channel_post"`
	EditedChannelPost *message       `json:"edited_channel_post"`
	CallbackQuery     *callbackQuery `json:"callback_query"`
}

type user struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Title     string `json:"title"` // not a User field; Telegram's own docs send a chat here
}

func (u *user) name() string {
	if u == nil {
		return ""
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	if u.Title != "" {
		return u.Title
	}
	if u.Username != "" {
		return "@" + u.Username
	}
	return ""
}

type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// private reports whether the chat is a one-to-one chat with a user. A chat
// without a type (Telegram's own webhook examples omit it) counts as private
// when its id is positive: users have positive ids, groups and channels
// negative ones.
func (c chat) private() bool {
	return c.Type == "private" || c.Type == "" && c.ID > 0
}

type message struct {
	MessageID      int64        `json:"message_id"`
	From           *user        `json:"from"`
	Chat           chat         `json:"chat"`
	Date           int64        `json:"date"`
	EditDate       int64        `json:"edit_date"`
	Text           string       `json:"text"`
	Caption        string       `json:"caption"`
	Photo          []photoSize  `json:"photo"`
	Document       *file        `json:"document"`
	Audio          *file        `json:"audio"`
	Voice          *file        `json:"voice"`
	Video          *file        `json:"video"`
	VideoNote      *file        `json:"video_note"`
	Animation      *file        `json:"animation"`
	Sticker        *sticker     `json:"sticker"`
	Location       *location    `json:"location"`
	Venue          *venue       `json:"venue"`
	Contact        *contactCard `json:"contact"`
	Dice           *dice        `json:"dice"`
	Poll           *poll        `json:"poll"`
	ReplyToMessage *message     `json:"reply_to_message"`
	Quote          *struct {
		Text string `json:"text"`
	} `json:"quote"`
	ForwardFrom       *user  `json:"forward_from"`
	ForwardFromChat   *chat  `json:"forward_from_chat"`
	ForwardSenderName string `json:"forward_sender_name"`
	ForwardOrigin     *struct {
		SenderUser     *user  `json:"sender_user"`
		SenderUserName string `json:"sender_user_name"`
		Chat           *chat  `json:"chat"`
		SenderChat     *chat  `json:"sender_chat"`
	} `json:"forward_origin"`
	ReplyMarkup *struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	} `json:"reply_markup"`
}

type photoSize struct {
	FileID   string `json:"file_id"`
	FileSize int64  `json:"file_size"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

type file struct {
	FileID    string `json:"file_id"`
	FileName  string `json:"file_name"`
	MimeType  string `json:"mime_type"`
	FileSize  int64  `json:"file_size"`
	Title     string `json:"title"`
	Performer string `json:"performer"`
}

type sticker struct {
	Emoji   string `json:"emoji"`
	SetName string `json:"set_name"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type venue struct {
	Location location `json:"location"`
	Title    string   `json:"title"`
	Address  string   `json:"address"`
}

type contactCard struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	UserID      int64  `json:"user_id"`
}

type dice struct {
	Emoji string `json:"emoji"`
	Value int    `json:"value"`
}

type poll struct {
	Question string `json:"question"`
	Options  []struct {
		Text string `json:"text"`
	} `json:"options"`
}

type callbackQuery struct {
	ID              string   `json:"id"`
	From            user     `json:"from"`
	Message         *message `json:"message"`
	InlineMessageID string   `json:"inline_message_id"`
	Data            string   `json:"data"`
	GameShortName   string   `json:"game_short_name"`
}

// The few words balie adds to a customer's text, for the agents. Agents of
// a Dutch company read them; they are short on purpose.
const (
	labelEdited    = "bewerkt: "
	labelForwarded = "doorgestuurd van "
	// textMediaMissing says why a file is not attached, worded as the
	// WhatsApp and Meta channels word it.
	textMediaMissing = "📎 Bijlage kon niet worden opgehaald (%s)"
	labelButton      = "knop: "
)

// quoteRunes is how much of a replied-to message is repeated.
const quoteRunes = 100

// media is a file of a message to download.
type media struct {
	FileID   string
	Name     string // file name to show; may be empty (then from file_path)
	MimeType string // as Telegram declares it; the bytes decide
	Size     int64  // declared; 0 when unknown
}

// normalised is what an update means to balie.
type normalised struct {
	// Ignore, when set, says why the update is acknowledged and dropped.
	Ignore string
	In     desk.Inbound // without attachments
	Media  *media
	// Reply, when set, is a Bot API method call sent back as the webhook's
	// answer (answerCallbackQuery).
	Reply map[string]any
}

// normalise turns an update into an inbound message, without I/O.
//
// Edited messages are stored as a new message "bewerkt: <new text>" (one per
// edit: the external id carries the edit date), so that agents see the
// change and nothing they already read silently changes.
func normalise(u *update, inboxID int64) normalised {
	switch {
	case u.Message != nil:
		return normaliseMessage(u.Message, inboxID, false)
	case u.EditedMessage != nil:
		return normaliseMessage(u.EditedMessage, inboxID, true)
	case u.CallbackQuery != nil:
		return normaliseCallback(u.CallbackQuery, inboxID)
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		return normalised{Ignore: "channel post"}
	}
	return normalised{Ignore: "update type not handled"}
}

func normaliseMessage(m *message, inboxID int64, edited bool) normalised {
	if !m.Chat.private() {
		return normalised{Ignore: "not a private chat (" + m.Chat.Type + ")"}
	}
	from := m.From
	if from == nil {
		from = &user{ID: m.Chat.ID, FirstName: m.Chat.FirstName, LastName: m.Chat.LastName, Username: m.Chat.Username}
	}
	if from.IsBot {
		return normalised{Ignore: "sent by a bot"}
	}
	n := normalised{In: desk.Inbound{
		InboxID:    inboxID,
		ExternalID: fmt.Sprintf("%d:%d", m.Chat.ID, m.MessageID),
		From:       desk.Identity{Kind: desk.IdentityTelegram, Value: strconv.FormatInt(from.ID, 10)},
		FromName:   from.name(),
		At:         unixTime(m.Date),
	}}
	if edited {
		n.In.ExternalID += fmt.Sprintf(":edit:%d", m.EditDate)
		n.In.At = unixTime(m.EditDate)
	}

	var lines []string
	if fwd := forwardedFrom(m); fwd != "" {
		lines = append(lines, labelForwarded+fwd+":")
	}
	if q := quoted(m); q != "" {
		lines = append(lines, "> "+q)
	}
	content := m.Text
	if content == "" {
		content = m.Caption
	}
	extra, md := contentOf(m)
	if extra != "" {
		lines = append(lines, extra)
	}
	if content != "" {
		lines = append(lines, content)
	}
	n.Media = md
	if content == "" && extra == "" && md == nil {
		// Games, invoices, payments, service messages (members joined,
		// title changed...): nothing a customer wrote.
		return normalised{Ignore: "message without content balie shows"}
	}
	body := strings.Join(lines, "\n")
	if edited {
		body = labelEdited + body
	}
	n.In.Body = body
	return n
}

// contentOf renders what is not text (a location, a contact card...) as
// text, and names the file to download, if any.
func contentOf(m *message) (string, *media) {
	switch {
	case len(m.Photo) > 0:
		// Telegram sends every size it made; the largest is last, but pick
		// by area in case the order ever changes.
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height > best.Width*best.Height {
				best = p
			}
		}
		return "", &media{FileID: best.FileID, Size: best.FileSize, MimeType: "image/jpeg"}
	case m.Document != nil:
		return "", fileMedia(m.Document)
	case m.Audio != nil:
		md := fileMedia(m.Audio)
		title := m.Audio.Title
		if m.Audio.Performer != "" && title != "" {
			title = m.Audio.Performer + " – " + title
		}
		if title != "" {
			title = "🎵 " + title
		}
		return title, md
	case m.Voice != nil:
		return "", fileMedia(m.Voice)
	case m.Video != nil:
		return "", fileMedia(m.Video)
	case m.VideoNote != nil:
		return "", fileMedia(m.VideoNote)
	case m.Animation != nil:
		return "", fileMedia(m.Animation)
	case m.Sticker != nil:
		// A sticker says what its emoji says; the image itself (WebP,
		// often animated) is not worth storing.
		if m.Sticker.Emoji != "" {
			return m.Sticker.Emoji, nil
		}
		return "[sticker]", nil
	case m.Venue != nil:
		return "📍 " + strings.TrimSpace(m.Venue.Title+", "+m.Venue.Address) + "\n" + osmLink(m.Venue.Location), nil
	case m.Location != nil:
		return "📍 " + osmLink(*m.Location), nil
	case m.Contact != nil:
		c := m.Contact
		s := "👤 " + strings.TrimSpace(c.FirstName+" "+c.LastName)
		if c.PhoneNumber != "" {
			s += ", " + c.PhoneNumber
		}
		return s, nil
	case m.Dice != nil:
		return fmt.Sprintf("%s %d", m.Dice.Emoji, m.Dice.Value), nil
	case m.Poll != nil:
		s := "📊 " + m.Poll.Question
		for _, o := range m.Poll.Options {
			s += "\n- " + o.Text
		}
		return s, nil
	}
	return "", nil
}

func fileMedia(f *file) *media {
	return &media{FileID: f.FileID, Name: f.FileName, MimeType: f.MimeType, Size: f.FileSize}
}

// osmLink points at a location on OpenStreetMap.
func osmLink(l location) string {
	lat := strconv.FormatFloat(l.Latitude, 'f', -1, 64)
	lon := strconv.FormatFloat(l.Longitude, 'f', -1, 64)
	return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon
}

// forwardedFrom names the original sender of a forwarded message.
func forwardedFrom(m *message) string {
	if o := m.ForwardOrigin; o != nil {
		switch {
		case o.SenderUser != nil:
			return o.SenderUser.name()
		case o.SenderUserName != "":
			return o.SenderUserName
		case o.Chat != nil:
			return o.Chat.Title
		case o.SenderChat != nil:
			return o.SenderChat.Title
		}
		return "?"
	}
	switch {
	case m.ForwardFrom != nil:
		if n := m.ForwardFrom.name(); n != "" {
			return n
		}
		return "?"
	case m.ForwardFromChat != nil:
		return m.ForwardFromChat.Title
	case m.ForwardSenderName != "":
		return m.ForwardSenderName
	}
	return ""
}

// quoted is a short reminder of the message replied to: the quoted part if
// the customer picked one, else the start of that message.
func quoted(m *message) string {
	var q string
	switch {
	case m.Quote != nil && m.Quote.Text != "":
		q = m.Quote.Text
	case m.ReplyToMessage == nil:
		return ""
	case m.ReplyToMessage.Text != "":
		q = m.ReplyToMessage.Text
	case m.ReplyToMessage.Caption != "":
		q = m.ReplyToMessage.Caption
	default:
		q = "…"
	}
	q = strings.Join(strings.Fields(q), " ")
	if utf8.RuneCountInString(q) > quoteRunes {
		q = string([]rune(q)[:quoteRunes]) + "…"
	}
	return q
}

// normaliseCallback turns a button press into a message: the button's text
// when the keyboard is at hand, else its data. The press is answered (the
// button stops spinning) with answerCallbackQuery in the webhook's reply.
func normaliseCallback(q *callbackQuery, inboxID int64) normalised {
	answer := map[string]any{"method": "answerCallbackQuery", "callback_query_id": q.ID}
	chatID := q.From.ID
	var at time.Time
	if q.Message != nil {
		if !q.Message.Chat.private() {
			return normalised{Ignore: "button in a group chat", Reply: answer}
		}
		chatID = q.Message.Chat.ID
	}
	body := buttonText(q)
	if body == "" || q.From.IsBot {
		return normalised{Ignore: "button press without data", Reply: answer}
	}
	return normalised{Reply: answer, In: desk.Inbound{
		InboxID:    inboxID,
		ExternalID: fmt.Sprintf("%d:cb:%s", chatID, q.ID),
		From:       desk.Identity{Kind: desk.IdentityTelegram, Value: strconv.FormatInt(q.From.ID, 10)},
		FromName:   q.From.name(),
		Body:       labelButton + body,
		At:         at, // callback queries carry no date: now
	}}
}

func buttonText(q *callbackQuery) string {
	if q.Data == "" {
		return ""
	}
	if q.Message != nil && q.Message.ReplyMarkup != nil {
		for _, row := range q.Message.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData == q.Data && b.Text != "" {
					return b.Text
				}
			}
		}
	}
	return q.Data
}

func unixTime(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

package whatsapp

import "encoding/json"

// The shapes of a WhatsApp Cloud API webhook, as far as balie reads them.
// Unknown fields are ignored: Meta adds fields without notice.

type payload struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      string   `json:"id"`
	Changes []change `json:"changes"`
}

type change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// messagesValue is the value of a "messages" change.
type messagesValue struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []message `json:"messages"`
	Statuses []status  `json:"statuses"`
}

type message struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Context   *struct {
		From      string `json:"from"`
		ID        string `json:"id"`
		Forwarded bool   `json:"forwarded"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image       *media         `json:"image"`
	Video       *media         `json:"video"`
	Audio       *media         `json:"audio"`
	Document    *media         `json:"document"`
	Sticker     *media         `json:"sticker"`
	Location    *location      `json:"location"`
	Contacts    []sharedCard   `json:"contacts"`
	Interactive *interactive   `json:"interactive"`
	Button      *buttonReply   `json:"button"`
	Reaction    *reaction      `json:"reaction"`
	Order       *order         `json:"order"`
	Referral    *referral      `json:"referral"`
	Edit        *edit          `json:"edit"`
	Errors      []providerErr  `json:"errors"`
	System      *systemMessage `json:"system"`
}

// edited is the new content of an edited message: a message without
// sender, id and time.
type edit struct {
	OriginalMessageID string  `json:"original_message_id"`
	Message           message `json:"message"`
}

type media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
	Animated bool   `json:"animated"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

type sharedCard struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
		Type  string `json:"type"`
	} `json:"phones"`
	Emails []struct {
		Email string `json:"email"`
	} `json:"emails"`
	Org struct {
		Company string `json:"company"`
	} `json:"org"`
}

type interactive struct {
	Type        string `json:"type"`
	ButtonReply *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"button_reply"`
	ListReply *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"list_reply"`
	NFMReply *struct {
		Name         string `json:"name"`
		Body         string `json:"body"`
		ResponseJSON string `json:"response_json"`
	} `json:"nfm_reply"`
	CallPermissionReply *struct {
		Response string `json:"response"`
	} `json:"call_permission_reply"`
}

type buttonReply struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

type order struct {
	Text  string `json:"text"`
	Items []struct {
		ProductRetailerID string      `json:"product_retailer_id"`
		Quantity          json.Number `json:"quantity"`
		ItemPrice         json.Number `json:"item_price"`
		Currency          string      `json:"currency"`
	} `json:"product_items"`
}

type referral struct {
	SourceURL string `json:"source_url"`
	Headline  string `json:"headline"`
}

type systemMessage struct {
	Body string `json:"body"`
	Type string `json:"type"`
}

type providerErr struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type status struct {
	ID          string        `json:"id"`
	Status      string        `json:"status"`
	Type        string        `json:"type"`
	RecipientID string        `json:"recipient_id"`
	Errors      []providerErr `json:"errors"`
}

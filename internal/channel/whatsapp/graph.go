package whatsapp

// Graph API error codes balie reacts to.
const (
	codeReengagement = 131047 // more than 24 hours since the customer's last message
)

// temporaryCodes are Graph API error codes worth retrying even when the
// status is 400: rate limits and "service unavailable".
var temporaryCodes = map[int]bool{
	4:      true, // application request limit
	80007:  true, // WhatsApp Business Account rate limit
	130429: true, // throughput rate limit
	131016: true, // service unavailable
	131048: true, // spam rate limit
	131056: true, // pair rate limit: too many messages to this number
	133004: true, // server temporarily unavailable
}

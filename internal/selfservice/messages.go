package selfservice

import (
	"errors"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// What customers and agents are told, in plain language, per locale. A
// failure always ends by offering a colleague: the customer should never
// be stuck with "that did not work".
var messages = map[string]map[string]string{
	"nl": {
		"status.placed":    "Bestelling %s is ontvangen en wordt klaargezet.",
		"status.paid":      "Bestelling %s is betaald en wordt klaargezet voor verzending.",
		"status.shipped":   "Bestelling %s is onderweg met %s.",
		"status.delivered": "Bestelling %s is bezorgd.",
		"status.cancelled": "Bestelling %s is geannuleerd.",
		"status.returned":  "Voor bestelling %s is een retour aangemeld.",
		"track":            "Volg je pakket: %s",
		"address_changed":  "Het bezorgadres van bestelling %s is nu: %s.",
		"cancelled":        "Bestelling %s is geannuleerd. Je krijgt het bedrag binnen 5 werkdagen terug.",
		"return_started":   "De retour voor bestelling %s is aangemeld. Print het retourlabel: %s",
		"invoice":          "De factuur van bestelling %s: %s",
		"contact_updated":  "Je gegevens zijn bijgewerkt.",
		"pending.cancel_order": "Bestelling %s is al verzonden. Een collega kijkt of we hem nog kunnen tegenhouden " +
			"en laat het je zo snel mogelijk weten.",
		"pending.start_return": "De bedenktijd van bestelling %s is voorbij. Een collega bekijkt je retour " +
			"en laat het je zo snel mogelijk weten.",
		"approved":                     "Een collega heeft je verzoek goedgekeurd.",
		"rejected":                     "Een collega heeft je verzoek voor bestelling %s bekeken, maar het kan helaas niet.",
		"fail.not_found":               "Ik kan bestelling %s niet vinden bij jouw gegevens. Klopt het nummer?",
		"fail.denied":                  "Dat kan ik voor deze bestelling niet voor je doen.",
		"fail.conflict.change_address": "Het adres van bestelling %s kan niet meer veranderen: hij is al %s.",
		"fail.conflict.cancel_order":   "Bestelling %s kan niet meer geannuleerd worden: hij is al %s.",
		"fail.conflict.start_return":   "Voor bestelling %s kan nog geen retour worden aangemeld: hij is %s.",
		"fail.no_invoice":              "Voor bestelling %s is nog geen factuur.",
		"fail.unavailable":             "Ons bestelsysteem is even niet bereikbaar, dus ik kan dit nu niet regelen.",
		"fail.invalid":                 "Dat klopt nog niet helemaal: %s.",
		"fail.other":                   "Dat is niet gelukt.",
		"handover":                     "Zal ik je doorverbinden met een collega?",
		"word.placed":                  "geplaatst",
		"word.paid":                    "betaald",
		"word.shipped":                 "verzonden",
		"word.delivered":               "bezorgd",
		"word.cancelled":               "geannuleerd",
		"word.returned":                "geretourneerd",
		"word.carrier":                 "de vervoerder",
		"invalid.required":             "vul %s in",
		"invalid.order":                "%s is geen bestelnummer",
		"invalid.email":                "%s is geen e-mailadres",
		"invalid.phone":                "%s is geen telefoonnummer",
		"invalid.long":                 "%s is te lang",
		"invalid.empty":                "vul een naam, e-mailadres of telefoonnummer in",
		"invalid.other":                "%s klopt niet",
		"field.order":                  "het bestelnummer",
		"field.postal_code":            "de postcode",
		"field.name":                   "de naam",
		"field.street":                 "de straat en het huisnummer",
		"field.city":                   "de plaats",
		"field.country":                "het land",
		"field.reason":                 "de reden",
		"field.email":                  "het e-mailadres",
		"field.phone":                  "het telefoonnummer",
		"field.other":                  "een veld",
	},
	"en": {
		"status.placed":    "Order %s has been received and is being prepared.",
		"status.paid":      "Order %s is paid and being prepared for shipping.",
		"status.shipped":   "Order %s is on its way with %s.",
		"status.delivered": "Order %s has been delivered.",
		"status.cancelled": "Order %s has been cancelled.",
		"status.returned":  "A return has been registered for order %s.",
		"track":            "Track your parcel: %s",
		"address_changed":  "The delivery address of order %s is now: %s.",
		"cancelled":        "Order %s has been cancelled. You will be refunded within 5 working days.",
		"return_started":   "The return of order %s is registered. Print the return label: %s",
		"invoice":          "The invoice of order %s: %s",
		"contact_updated":  "Your details have been updated.",
		"pending.cancel_order": "Order %s has already shipped. A colleague will see whether it can still be stopped " +
			"and let you know as soon as possible.",
		"pending.start_return": "The return period of order %s has passed. A colleague will review your return " +
			"and let you know as soon as possible.",
		"approved":                     "A colleague has approved your request.",
		"rejected":                     "A colleague has looked at your request for order %s, but unfortunately it is not possible.",
		"fail.not_found":               "I cannot find order %s with your details. Is the number right?",
		"fail.denied":                  "I cannot do that for this order.",
		"fail.conflict.change_address": "The address of order %s can no longer change: it has already been %s.",
		"fail.conflict.cancel_order":   "Order %s can no longer be cancelled: it has already been %s.",
		"fail.conflict.start_return":   "A return cannot be registered for order %s yet: it is %s.",
		"fail.no_invoice":              "There is no invoice for order %s yet.",
		"fail.unavailable":             "Our order system cannot be reached right now, so I cannot arrange this at the moment.",
		"fail.invalid":                 "That is not quite right yet: %s.",
		"fail.other":                   "That did not work.",
		"handover":                     "Shall I put you through to a colleague?",
		"word.placed":                  "placed",
		"word.paid":                    "paid",
		"word.shipped":                 "shipped",
		"word.delivered":               "delivered",
		"word.cancelled":               "cancelled",
		"word.returned":                "returned",
		"word.carrier":                 "the carrier",
		"invalid.required":             "please fill in %s",
		"invalid.order":                "%s is not an order number",
		"invalid.email":                "%s is not an email address",
		"invalid.phone":                "%s is not a phone number",
		"invalid.long":                 "%s is too long",
		"invalid.empty":                "give a name, email address or phone number",
		"invalid.other":                "%s is not right",
		"field.order":                  "the order number",
		"field.postal_code":            "the postal code",
		"field.name":                   "the name",
		"field.street":                 "the street and number",
		"field.city":                   "the city",
		"field.country":                "the country",
		"field.reason":                 "the reason",
		"field.email":                  "the email address",
		"field.phone":                  "the phone number",
		"field.other":                  "a field",
	},
}

// text formats the message key in locale (nl when the locale has none).
func text(locale, key string, args ...any) string {
	m, ok := messages[strings.ToLower(locale)]
	if !ok {
		m = messages["nl"]
	}
	f, ok := m[key]
	if !ok {
		f = messages["nl"][key]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// Explain says what is wrong with an action's input in the customer's
// language ("vul het bestelnummer in"), for a desk.ValidationError from
// Run; any other error gets the plain "that did not work".
func Explain(locale string, err error) string {
	var ve *desk.ValidationError
	if !errors.As(err, &ve) {
		return text(locale, "fail.other")
	}
	field := text(locale, "field.other")
	if _, ok := messages["nl"]["field."+ve.Field]; ok {
		field = text(locale, "field."+ve.Field)
	}
	var key string
	switch r := ve.Reason; {
	case ve.Field == "":
		key = "invalid.empty"
	case r == "required":
		key = "invalid.required"
	case r == "not an order number":
		key = "invalid.order"
	case r == "not an email address":
		key = "invalid.email"
	case r == "not a phone number":
		key = "invalid.phone"
	case strings.HasPrefix(r, "at most "):
		key = "invalid.long"
	default:
		key = "invalid.other"
	}
	if key == "invalid.empty" {
		return text(locale, "fail.invalid", text(locale, key))
	}
	return text(locale, "fail.invalid", text(locale, key, field))
}

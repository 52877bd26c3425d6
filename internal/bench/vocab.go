package bench

// vocabulary holds ordinary support-chat words in Dutch and English. None of
// them contains "qx", the prefix reserved for probe words (a test checks).
var vocabulary = [...]string{
	// Dutch
	"hallo", "goedemorgen", "goedemiddag", "dank", "bedankt", "alvast", "groet", "groeten",
	"vriendelijke", "mijn", "bestelling", "pakket", "levering", "bezorging", "bezorger",
	"vandaag", "gisteren", "morgen", "week", "vorige", "volgende", "nog", "niet", "wel",
	"ontvangen", "verzonden", "besteld", "betaald", "betaling", "factuur", "rekening",
	"terugbetaling", "retour", "retourneren", "ruilen", "omruilen", "kapot", "beschadigd",
	"verkeerd", "product", "artikel", "maat", "kleur", "te", "klein", "groot", "graag",
	"kunt", "kan", "kunnen", "wilt", "wil", "willen", "helpen", "hulp", "vraag", "vragen",
	"antwoord", "email", "telefoon", "nummer", "adres", "straat", "postcode", "woonplaats",
	"wijzigen", "aanpassen", "annuleren", "geannuleerd", "abonnement", "opzeggen", "account",
	"inloggen", "wachtwoord", "vergeten", "werkt", "probleem", "storing", "fout", "melding",
	"scherm", "app", "website", "winkel", "klantenservice", "medewerker", "collega", "status",
	"track", "trace", "code", "korting", "actie", "prijs", "euro", "garantie", "reparatie",
	"monteur", "afspraak", "tijd", "dag", "uur", "minuten", "wachten", "lang", "snel",
	"langzaam", "even", "kijken", "nagaan", "controleren", "sturen", "stuur", "ik", "u",
	"je", "jij", "we", "wij", "ze", "het", "de", "een", "en", "of", "maar", "want", "omdat",
	"als", "dan", "dat", "die", "dit", "deze", "er", "hier", "daar", "waar", "wanneer",
	"hoe", "wat", "waarom", "welke", "zou", "zal", "moet", "moeten", "heb", "heeft",
	"hebben", "ben", "is", "zijn", "was", "waren", "wordt", "worden", "geen", "alles",
	"iets", "niets", "al", "ook", "alleen", "eerst", "daarna", "nu", "straks", "zo",
	"snel", "mogelijk", "oplossing", "opgelost", "klacht", "teleurgesteld", "blij",
	"tevreden", "fijn", "prima", "oke", "natuurlijk", "excuses", "sorry", "vervelend",
	"begrijp", "helaas", "gelukkig", "doos", "brievenbus", "buren", "afhaalpunt", "ophalen",
	"kassabon", "bon", "foto", "bijlage", "handleiding", "aansluiten", "opladen", "batterij",
	"kabel", "stekker", "lamp", "wasmachine", "koelkast", "fiets", "schoenen", "jas",
	// English
	"hello", "hi", "thanks", "thank", "you", "please", "regards", "kind", "my", "order",
	"parcel", "package", "delivery", "courier", "today", "yesterday", "tomorrow", "last",
	"next", "still", "not", "received", "shipped", "ordered", "paid", "payment", "invoice",
	"refund", "return", "exchange", "broken", "damaged", "wrong", "item", "size", "colour",
	"color", "too", "small", "large", "could", "can", "would", "help", "question",
	"answer", "phone", "number", "address", "street", "zip", "city", "change", "update",
	"cancel", "cancelled", "subscription", "account", "login", "password", "forgot",
	"working", "works", "problem", "issue", "error", "message", "screen", "website",
	"shop", "store", "support", "agent", "colleague", "tracking", "discount", "coupon",
	"price", "warranty", "repair", "engineer", "appointment", "time", "day", "hour",
	"minutes", "waiting", "long", "quick", "slow", "check", "send", "sent", "i", "we",
	"they", "it", "the", "a", "an", "and", "or", "but", "because", "if", "then", "that",
	"this", "there", "where", "when", "how", "what", "why", "which", "should", "must",
	"have", "has", "had", "am", "are", "was", "were", "been", "no", "nothing", "everything",
	"something", "also", "only", "first", "after", "now", "soon", "possible", "solution",
	"solved", "complaint", "disappointed", "happy", "great", "fine", "okay", "course",
	"apologies", "unfortunately", "understand", "box", "mailbox", "neighbours", "pickup",
	"point", "receipt", "photo", "attachment", "manual", "charger", "battery", "cable",
	"plug", "washing", "machine", "fridge", "bike", "shoes", "jacket", "week", "month",
	"email", "back", "again", "already", "yet", "soon", "asap", "urgent", "status",
}

var firstNames = [...]string{
	"Jan", "Piet", "Kees", "Sanne", "Anouk", "Lotte", "Daan", "Sem", "Fleur", "Emma",
	"Noah", "Lucas", "Julia", "Tess", "Bram", "Femke", "Ruben", "Iris", "Thijs", "Eva",
	"Oliver", "James", "Sophie", "Charlotte", "Harry", "Amelia", "George", "Grace",
	"Mohammed", "Fatima", "Yusuf", "Aylin", "Priya", "Ravi", "Chen", "Mei", "Lars", "Ingrid",
}

var lastNames = [...]string{
	"de Vries", "Jansen", "de Jong", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
	"de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk",
	"Dekker", "Brouwer", "de Wit", "Dijkstra", "Smith", "Jones", "Taylor", "Brown",
	"Williams", "Wilson", "Johnson", "Davies", "Evans", "Thomas", "Yilmaz", "El Amrani",
	"Kaya", "Singh", "Wang", "Nguyen", "Andersen", "Kowalski",
}

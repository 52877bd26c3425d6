package lang

import "testing"

func TestStemDutch(t *testing.T) {
	tests := []struct{ word, want string }{
		// Words balie sees every day.
		{"bestellingen", "bestell"},
		{"bestelling", "bestell"},
		{"betalingen", "betal"},
		{"betaling", "betal"},
		{"bezorgadres", "bezorgadres"},
		{"retourneren", "retourner"},
		{"wijzigen", "wijzig"},
		{"wijzig", "wijzig"},
		{"pakketten", "pakket"},
		{"pakket", "pakket"},
		{"financiële", "financiel"},
		// Published sample vocabulary of the algorithm.
		{"lichaamsziek", "lichaamsziek"},
		{"lichamelijk", "licham"},
		{"lichamelijke", "licham"},
		{"lichamelijkheden", "licham"},
		{"lichamen", "licham"},
		{"lichere", "licher"},
		{"lichtdoorlatende", "lichtdoorlat"},
		{"lichte", "licht"},
		{"lichten", "licht"},
		{"lichtende", "lichtend"},
		{"lichtenvoorde", "lichtenvoord"},
		{"lichters", "lichter"},
		{"lichtgevoeligheid", "lichtgevoel"},
		{"lichthoeveelheid", "lichthoevel"},
		{"lichtintensiteit", "lichtintensiteit"},
		{"lichtje", "lichtj"},
		{"lichtjes", "lichtjes"},
		{"lichtkranten", "lichtkrant"},
		{"lichtkringen", "lichtkring"},
		{"lichtregelsystemen", "lichtregelsystem"},
		{"lichtste", "lichtst"},
		{"lichtstromende", "lichtstrom"},
		{"lichtte", "licht"},
		{"lichtten", "licht"},
		{"lichttoetreding", "lichttoetred"},
		{"lichtverontreinigde", "lichtverontreinigd"},
		{"lichtzinnige", "lichtzinn"},
		{"lid", "lid"},
		{"lidia", "lidia"},
		{"lidmaatschap", "lidmaatschap"},
		{"lidstaten", "lidstat"},
		{"lidvereniging", "lidveren"},
		{"opgingen", "opging"},
		{"opglanzingen", "opglanz"},
		{"opglimlachten", "opglimlacht"},
		{"opglimpende", "opglimp"},
		{"opglimpingen", "opglimp"},
		{"opgraven", "opgrav"},
		{"opgroeiende", "opgroei"},
		{"opgroeiplaats", "opgroeiplat"},
		{"ophaal", "ophal"},
		{"ophaalkosten", "ophaalkost"},
		{"ophaalsystemen", "ophaalsystem"},
		{"ophaalt", "ophaalt"},
		{"ophalen", "ophal"},
		{"ophalend", "ophal"},
		{"ophalers", "ophaler"},
		{"opheffende", "opheff"},
		{"opheffing", "opheff"},
		{"opheldering", "ophelder"},
		{"ophemelde", "ophemeld"},
		{"ophemelen", "ophemel"},
		{"opheusden", "opheusd"},
		{"ophieven", "ophiev"},
		{"ophoepelt", "ophoepelt"},
		{"ophoog", "ophog"},
		{"ophoogzand", "ophoogzand"},
		{"ophoping", "ophop"},
		{"ophouden", "ophoud"},
		// Short words are left alone.
		{"ja", "ja"},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := Stem("nl", tt.word); got != tt.want {
				t.Errorf("Stem(nl, %q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestStemEnglish(t *testing.T) {
	tests := []struct{ word, want string }{
		{"running", "run"},
		{"generously", "generous"},
		{"deliveries", "deliveri"},
		{"delivery", "deliveri"},
		{"ordered", "order"},
		{"orders", "order"},
		{"packages", "packag"},
		{"package", "packag"},
		{"arrived", "arriv"},
		{"caresses", "caress"},
		{"ponies", "poni"},
		{"ties", "tie"},
		{"cries", "cri"},
		{"gas", "gas"},
		{"gaps", "gap"},
		{"kiwis", "kiwi"},
		{"agreed", "agre"},
		{"bleed", "bleed"},
		{"hoping", "hope"},
		{"hopping", "hop"},
		{"luxuriating", "luxuri"},
		{"cry", "cri"},
		{"by", "by"},
		{"say", "say"},
		{"youth", "youth"},
		{"organization", "organ"},
		{"refunded", "refund"},
		{"cancellation", "cancel"},
		{"cancelled", "cancel"},
		{"customers", "custom"},
		// Exceptions.
		{"skies", "sky"},
		{"dying", "die"},
		{"news", "news"},
		{"early", "earli"},
		{"succeed", "succeed"},
		{"proceed", "proceed"},
		{"communication", "communic"},
		// Published sample vocabulary of the algorithm.
		{"consign", "consign"},
		{"consigned", "consign"},
		{"consignment", "consign"},
		{"consistency", "consist"},
		{"consistently", "consist"},
		{"consolation", "consol"},
		{"consolatory", "consolatori"},
		{"consoles", "consol"},
		{"consolidating", "consolid"},
		{"consolingly", "consol"},
		{"consonant", "conson"},
		{"conspicuously", "conspicu"},
		{"conspiracy", "conspiraci"},
		{"conspirators", "conspir"},
		{"constable", "constabl"},
		{"constance", "constanc"},
		{"constancy", "constanc"},
		{"knackeries", "knackeri"},
		{"knavish", "knavish"},
		{"kneaded", "knead"},
		{"kneeling", "kneel"},
		{"knees", "knee"},
		{"knightly", "knight"},
		{"knitted", "knit"},
		{"knives", "knive"},
		{"knocker", "knocker"},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := Stem("en", tt.word); got != tt.want {
				t.Errorf("Stem(en, %q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestStemNormalisesInput(t *testing.T) {
	tests := []struct {
		name, lang, word, want string
	}{
		{"upper case", "nl", "BESTELLINGEN", "bestell"},
		{"apostrophe dropped", "en", "customer's", "custom"},
		{"unknown lang folds only", "de", "Übergröße", "ubergrosse"},
		{"non-latin unstemmed", "en", "Заказы", "заказы"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stem(tt.lang, tt.word); got != tt.want {
				t.Errorf("Stem(%q, %q) = %q, want %q", tt.lang, tt.word, got, tt.want)
			}
		})
	}
}

// The stemmers rely on their rule lists being ordered longest suffix first.
func TestRuleListsLongestFirst(t *testing.T) {
	for name, rules := range map[string][]suffixRule{"step2": enStep2, "step3": enStep3} {
		for i := 1; i < len(rules); i++ {
			if len(rules[i].suf) > len(rules[i-1].suf) {
				t.Errorf("%s: %q comes after shorter %q", name, rules[i].suf, rules[i-1].suf)
			}
		}
	}
	for i := 1; i < len(enStep4); i++ {
		if len(enStep4[i]) > len(enStep4[i-1]) {
			t.Errorf("step4: %q comes after shorter %q", enStep4[i], enStep4[i-1])
		}
	}
}

package lang

import "strings"

// Stop words: function words (and a few chat fillers) that carry no meaning
// for search. They are matched against folded tokens, so they are written
// without diacritics and apostrophes ("dont" for "don't").
//
// A word on either list is a stop word whatever the language of the text,
// because index and query must agree and a message's language is often
// unknown. That drops a few English content words that are Dutch function
// words (door, van, die, men); a query then simply matches more loosely.
const (
	stopNL = `aan al alle alles als alsjeblieft alstublieft altijd ander andere bedankt ben bent bij binnen
		boven daar daarom dan dank dat de der des deze die dit doch doe doen door dus een eens en
		er ge geen geweest graag haar had heb hebben hebt heeft hem het hier hij hoe hoi hallo hun
		iemand iets ik in is ja je jij jou jouw jullie kan kon kunnen kunt maar me meer men met mij
		mijn moet moeten na naar nee niet niets nog nooit nu of om omdat ons onze ook op over reeds
		te tegen toch toen tot u uit uw van veel voor want waren was wat we wel welk welke werd
		wie wij wil wilt word wordt worden zal ze zei zelf zich zij zijn zo zonder zou zouden zullen`

	stopEN = `a about above after again against all also am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few
		for from further had has have having he her here hers herself hi hello hey him himself his
		how i if in into is it its itself just me more most my myself no nor not never now of off
		on once only or other our ours ourselves out over own please same she should so some such
		than thank thanks that the their theirs them themselves then there these they this those
		through to too under until up us very was we were what when where which while who whom why
		will with would you your yours yourself yourselves
		dont doesnt didnt isnt arent wasnt werent cant couldnt wont wouldnt shouldnt hasnt havent
		hadnt im ive youre youve hes shes thats theres theyre weve`
)

// Bits of stopWords' values: which list a word is on.
const (
	stopBitNL uint8 = 1 << iota
	stopBitEN
)

// stopWords is built once at start-up and only read afterwards.
var stopWords = buildStopWords()

func buildStopWords() map[string]uint8 {
	m := make(map[string]uint8, 300)
	for _, w := range strings.Fields(stopNL) {
		m[w] |= stopBitNL
	}
	for _, w := range strings.Fields(stopEN) {
		m[w] |= stopBitEN
	}
	return m
}

func isStop(w []byte) bool { return stopWords[string(w)] != 0 }

package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The data set is a pure function of the seed, so two runs with the same seed
// send byte-identical traffic and the expected search counts are known up front.

// stepsPerConversation is the W1 shape: customer, agent, customer, agent, customer.
const stepsPerConversation = 5

// agentStep reports whether step s of a conversation is an agent reply.
func agentStep(s int) bool { return s%2 == 1 }

// Probe frequencies over all generated messages (customer and agent alike).
const (
	commonPer10k = 100 // 1 %
	rarePer10k   = 1   // 0.01 %
	// minReturning is how far back a returning customer is picked from, so that
	// with C concurrent clients the earlier conversation has almost surely been
	// created already and the server really sees an existing contact.
	minReturning = 64
)

// Contact is a generated customer.
type Contact struct {
	Name  string
	Email string
	Phone string
}

// Conversation is one generated W1 conversation: its contact, its order number
// (in the first message) and the bodies of its five steps.
type Conversation struct {
	Contact Contact
	// Returning marks a contact that already appeared in an earlier conversation.
	Returning bool
	Order     string
	Bodies    [stepsPerConversation]string
}

// Probes are the three search probe words of a data set.
type Probes struct {
	Common, Rare, Absent string
}

// Dataset is the deterministic W1 data set.
type Dataset struct {
	Tag    string
	Probes Probes
	Convs  []Conversation
	// probeSites lists, per probe word, the messages it was placed in.
	probeSites map[string][]msgRef
}

type msgRef struct{ conv, step int }

// generator produces conversations one after another; the returning-contact
// choice needs the history of earlier contacts.
type generator struct {
	rng      *rand.Rand
	tag      string
	orderOff uint64
	phoneOff uint64
	// base is the global index of the first conversation, so that two generators
	// of one seed (the data set and W4's background load) never share an order
	// number, email or phone.
	base     int
	contacts []Contact
}

// seedTag derives a short lowercase tag from the seed; it goes into emails and
// probe words so that runs with different seeds against one database do not
// disturb each other's search counts.
func seedTag(seed int64) string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x62616c6965))
	var b strings.Builder
	for range 5 {
		b.WriteByte(byte('a' + r.IntN(26)))
	}
	return b.String()
}

func newGenerator(seed int64, stream uint64, base int) *generator {
	// The numbering offsets depend on the seed only, not on the stream: every
	// generator of one seed then numbers from the same bijection, and distinct
	// global indices can never share an order number or phone.
	nr := rand.New(rand.NewPCG(uint64(seed), 0x6f72646572))
	return &generator{
		rng:      rand.New(rand.NewPCG(uint64(seed), stream)),
		tag:      seedTag(seed),
		orderOff: nr.Uint64N(orderSpace),
		phoneOff: nr.Uint64N(phoneSpace),
		base:     base,
	}
}

const (
	orderSpace = 900_000_000 // 9-digit numbers 100000000..999999999
	// orderStride is prime and shares no factor with orderSpace (2^8·3^2·5^8),
	// so i -> (off + i*stride) mod space is a bijection: numbers are unique and
	// do not look sequential.
	orderStride = 7919
	phoneSpace  = 90_000_000
)

// orderNumber is the unique 9-digit order number of global conversation i.
func (g *generator) orderNumber(i int) string {
	return fmt.Sprint(100_000_000 + (g.orderOff+uint64(i)*orderStride)%orderSpace)
}

func (g *generator) words(n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[g.rng.IntN(len(vocabulary))]
	}
	return w
}

func (g *generator) messageLen() int { return 8 + g.rng.IntN(33) } // 8..40 words

// next generates the conversation with local index i (global base+i). It
// returns the words of each step so probes can still be placed; orderPos is
// the position of the order number in step 0.
func (g *generator) next() (c Conversation, words [stepsPerConversation][]string, orderPos int) {
	i := len(g.contacts)
	global := g.base + i
	if i >= minReturning && g.rng.IntN(10) == 0 {
		c.Contact = g.contacts[g.rng.IntN(i-minReturning+1)]
		c.Returning = true
	} else {
		first := firstNames[g.rng.IntN(len(firstNames))]
		last := lastNames[g.rng.IntN(len(lastNames))]
		local := strings.ToLower(first + "." + strings.ReplaceAll(last, " ", ""))
		c.Contact = Contact{
			Name:  first + " " + last,
			Email: fmt.Sprintf("%s.%s%d@example.com", local, g.tag, global),
			Phone: fmt.Sprintf("+316%08d", 10_000_000+(g.phoneOff+uint64(global))%phoneSpace),
		}
	}
	g.contacts = append(g.contacts, c.Contact)
	c.Order = g.orderNumber(global)
	for s := range words {
		words[s] = g.words(g.messageLen())
	}
	orderPos = g.rng.IntN(len(words[0]))
	words[0][orderPos] = c.Order
	for s := range words {
		c.Bodies[s] = strings.Join(words[s], " ")
	}
	return c, words, orderPos
}

// newDataset generates n conversations and places the probe words: exactly
// round(1 % of all messages) get the common probe and round(0.01 %) the rare
// one (at least one each, so small runs still check something), in distinct
// messages; the absent probe is never placed.
func newDataset(seed int64, n int) *Dataset {
	g := newGenerator(seed, 1, 0)
	d := &Dataset{
		Tag: g.tag,
		Probes: Probes{
			Common: "qxc" + g.tag,
			Rare:   "qxr" + g.tag,
			Absent: "qxa" + g.tag,
		},
		Convs:      make([]Conversation, n),
		probeSites: map[string][]msgRef{},
	}
	words := make([][stepsPerConversation][]string, n)
	orderPos := make([]int, n)
	for i := range n {
		d.Convs[i], words[i], orderPos[i] = g.next()
	}
	total := n * stepsPerConversation
	if total == 0 {
		return d
	}
	kCommon := max(1, (total*commonPer10k+5000)/10000)
	kRare := max(1, (total*rarePer10k+5000)/10000)
	if kCommon+kRare > total {
		kCommon = max(0, total-kRare)
	}
	// Pick distinct messages; the rejection loop is cheap at 1 % density.
	picked := make(map[int]bool, kCommon+kRare)
	pick := func(word string, k int) {
		for len(d.probeSites[word]) < k {
			m := g.rng.IntN(total)
			if picked[m] {
				continue
			}
			picked[m] = true
			ref := msgRef{conv: m / stepsPerConversation, step: m % stepsPerConversation}
			w := words[ref.conv][ref.step]
			pos := g.rng.IntN(len(w))
			if ref.step == 0 && pos == orderPos[ref.conv] {
				pos = (pos + 1) % len(w)
			}
			w[pos] = word
			d.probeSites[word] = append(d.probeSites[word], ref)
		}
	}
	pick(d.Probes.Common, kCommon)
	pick(d.Probes.Rare, kRare)
	for m := range picked {
		c, s := m/stepsPerConversation, m%stepsPerConversation
		d.Convs[c].Bodies[s] = strings.Join(words[c][s], " ")
	}
	return d
}

// ExpectedConversations returns how many distinct conversations contain word
// among the messages for which posted(conv, step) is true.
func (d *Dataset) ExpectedConversations(word string, posted func(conv, step int) bool) int {
	seen := map[int]bool{}
	for _, ref := range d.probeSites[word] {
		if posted(ref.conv, ref.step) {
			seen[ref.conv] = true
		}
	}
	return len(seen)
}

// background returns a generator for W4's background ingest: same vocabulary,
// no probe words, global indices after the data set's so nothing collides.
func backgroundGenerator(seed int64, after int) *generator {
	return newGenerator(seed, 2, after)
}

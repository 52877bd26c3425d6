package pgbus

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// filler sets every field of a value, recursively, to a distinct non-zero
// value. It fails the test on a kind it does not know, so a new field in desk
// that the envelope might not carry cannot slip through unset.
type filler struct {
	t *testing.T
	n int
}

// notCarried are fields the bus leaves out on purpose: write-side hints
// that no subscriber reads.
var notCarried = map[string]bool{
	"event.Message.SearchTerms": true,
}

func (f *filler) fill(v reflect.Value, path string) {
	if notCarried[path] {
		return
	}
	f.n++
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2024, 3, 1, 12, 0, f.n, 1000*f.n, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path + "-" + strings.Repeat("x", f.n%3) + "é")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			f.fill(v.Index(i), path)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			f.t.Fatalf("%s: filler knows only map[string]string, not %s", path, v.Type())
		}
		v.Set(reflect.ValueOf(map[string]string{path + "-a": "1", path + "-b": "2"}))
	default:
		f.t.Fatalf("%s: filler does not know kind %s; teach it, and check the envelope carries the field", path, v.Kind())
	}
}

// everyField returns an event with every field, at every depth, set.
func everyField(t *testing.T) desk.Event {
	var e desk.Event
	(&filler{t: t}).fill(reflect.ValueOf(&e).Elem(), "event")
	return e
}

func TestEnvelopeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   desk.Event
	}{
		{"every field set", everyField(t)},
		{"zero event", desk.Event{}},
		{"typing", desk.Event{Type: desk.EventTyping, ConversationID: 7, TypingSender: desk.SenderAgent,
			TypingName: "Anna", Typing: true, At: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)}},
		{"empty slices and maps stay empty, not nil", desk.Event{
			Type:    desk.EventMessageCreated,
			Message: &desk.Message{Attachments: []desk.Attachment{}},
			Conversation: &desk.Conversation{Labels: []string{},
				Contact: &desk.Contact{Attributes: map[string]string{}, Identities: []desk.Identity{}}},
		}},
		{"conversation without contact", desk.Event{Type: desk.EventConversationUpdated,
			Conversation: &desk.Conversation{ID: 3, Labels: []string{"billing"}}}},
		{"body with quotes, controls and NUL", desk.Event{Type: desk.EventMessageCreated,
			Message: &desk.Message{Body: "\"hoi\"\n\t\x00<script>\u2028 ✓"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encode(tc.in)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.in) {
				t.Errorf("round trip changed the event\n got: %+v\nwant: %+v\njson: %s", got, tc.in, b)
			}
		})
	}
}

func TestEveryFieldIsSet(t *testing.T) {
	// Guards the guard: if the filler left fields zero, the round-trip test
	// above would prove less than it claims.
	var zeros []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		if notCarried[path] {
			return
		}
		if v.IsZero() {
			zeros = append(zeros, path)
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			walk(v.Elem(), path)
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), path)
			}
		}
	}
	walk(reflect.ValueOf(everyField(t)), "event")
	if len(zeros) > 0 {
		t.Errorf("fields left zero: %v", zeros)
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"type":5}`} {
		if _, err := decode([]byte(in)); err == nil {
			t.Errorf("decode(%q) = nil error, want an error", in)
		}
	}
}

func TestStripPoolParams(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"url without pool settings", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable"},
		{"url with pool_max_conns", "postgres://u@h/db?pool_max_conns=8&search_path=s1",
			"postgres://u@h/db?search_path=s1"},
		{"postgresql url", "postgresql://h/db?pool_max_conns=8", "postgresql://h/db"},
		{"key=value", "host=h pool_max_conns=8 search_path=s1", "host=h search_path=s1"},
		{"key=value, pool last", "host=h dbname=d pool_max_conns=8", "host=h dbname=d"},
		{"key=value, quoted", "pool_max_conns='8' host=h", "host=h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := stripPoolParams(tc.in); got != tc.want {
				t.Errorf("stripPoolParams(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestChannelName(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"short schema is readable", "public", "balie_bus.public"},
		{"long schema is hashed to fit", strings.Repeat("s", 60), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := channelName(tc.schema)
			if len(got) > 63 {
				t.Errorf("channelName(%q) = %q, longer than 63 bytes", tc.schema, got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("channelName(%q) = %q, want %q", tc.schema, got, tc.want)
			}
		})
	}
	if a, b := channelName(strings.Repeat("s", 60)+"a"), channelName(strings.Repeat("s", 60)+"b"); a == b {
		t.Errorf("two long schemas share channel %q", a)
	}
}

func TestPublishDropsWhenQueueFull(t *testing.T) {
	b := newBus(nil, slog.New(slog.DiscardHandler), 2) // not connected: nothing drains the queue
	var local int
	done := make(chan struct{})
	cancel := b.Subscribe(func(desk.Event) {
		local++
		if local == 5 {
			close(done)
		}
	})
	defer cancel()
	for range 5 {
		b.Publish(t.Context(), desk.Event{Type: desk.EventTyping})
	}
	<-done
	if got, want := b.Dropped(), int64(3); got != want {
		t.Errorf("Dropped() = %d, want %d (queue of 2, 5 events)", got, want)
	}
	if got, want := local, 5; got != want {
		t.Errorf("local subscriber got %d events, want %d", got, want)
	}
}

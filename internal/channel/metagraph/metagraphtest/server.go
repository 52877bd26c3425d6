package metagraphtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Config is what a Server accepts and how it answers what the test did not
// set up.
type Config struct {
	// Token is the access token the Graph API accepts.
	Token string
	// AnyMedia makes a lookup of a node the test did not set up answer as
	// a media file holding a small PNG, so that a WhatsApp webhook may name
	// media ids the test does not care about. Without it such a lookup
	// fails as the Graph API does for an unknown node (400, code 100).
	AnyMedia bool
}

// Sent is a message the fake accepted.
type Sent struct {
	// Node is the node posted to: WhatsApp's phone number id, or "me"
	// for a Page or an Instagram account.
	Node string
	Auth string // the Authorization header
	Body map[string]any
	ID   string // the message id the fake answered
}

// Upload is a file the fake accepted.
type Upload struct {
	Node string
	// Fields are the form's other fields: messaging_product and type on
	// WhatsApp, message and platform on Messenger and Instagram.
	Fields         map[string]string
	Name, PartType string // the file part's file name and Content-Type
	Data           []byte
}

// answer is a canned answer to a send; status 0 lets the send through.
type answer struct {
	status int
	body   string
}

// Server is a fake Graph API and CDN; see the package doc for its routes.
// Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, without the API version.
	URL string

	cfg Config
	srv *httptest.Server

	mu           sync.Mutex
	profiles     map[string]string // node id → profile JSON
	media        map[string][]byte // media id → bytes
	lookupStatus int               // when set, every node lookup answers this
	declaredSize int64             // when set, a media lookup's file_size
	lookups      int
	cdn          map[string][]byte // path under /cdn → bytes
	cdnStatus    int               // when set, the CDN answers this
	cdnAuth      []string          // the Authorization headers the CDN saw
	sent         []Sent
	uploads      []Upload
	answers      []answer // for the next sends, in order
	nextID       int
}

// NewServer starts a fake Graph API that is closed when the test ends.
func NewServer(tb testing.TB, cfg Config) *Server {
	s := &Server{cfg: cfg, profiles: map[string]string{},
		media: map[string][]byte{}, cdn: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v21.0/{id}", s.lookup)
	mux.HandleFunc("GET /files/{id}", s.file)
	mux.HandleFunc("GET /cdn/", s.cdnFile)
	mux.HandleFunc("POST /v21.0/{node}/media", s.uploadMedia)
	mux.HandleFunc("POST /v21.0/{node}/message_attachments", s.uploadAttachment)
	mux.HandleFunc("POST /v21.0/{node}/messages", s.message)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// APIBase is the Graph API root to put in an inbox's api_base setting.
func (s *Server) APIBase() string { return s.URL + "/v21.0" }

// CDN is the root of the fake CDN: SetCDN(p, ...) serves CDN()+p.
func (s *Server) CDN() string { return s.URL + "/cdn" }

// Client is an HTTP client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server early: calls fail as on a network error.
func (s *Server) Close() { s.srv.Close() }

// SetProfile makes the node id answer json (a user's profile).
func (s *Server) SetProfile(id, json string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[id] = json
}

// SetMedia makes the node id a media file holding data.
func (s *Server) SetMedia(id string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = data
}

// SetLookup makes every node lookup fail with status (0: answer) and a
// media lookup claim size bytes (0: the real size).
func (s *Server) SetLookup(status int, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookupStatus, s.declaredSize = status, size
}

// Lookups is how many node lookups the server answered with the token.
func (s *Server) Lookups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

// SetCDN serves data at CDN()+path.
func (s *Server) SetCDN(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdn[path] = data
}

// SetCDNStatus makes the CDN answer status with no body (0: serve).
func (s *Server) SetCDNStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdnStatus = status
}

// CDNAuth lists the Authorization header of every CDN download, "" for
// none.
func (s *Server) CDNAuth() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cdnAuth...)
}

// FailNext queues an answer for a send: the next send without a queued
// answer gets status and body as they are, 2xx included. Status 0 lets
// that send through, so that a later one fails.
func (s *Server) FailNext(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, answer{status, body})
}

// FailSends replaces the queued answers with ten failures of status, each
// with a Graph error code that says nothing of retrying or of a window, so
// that the status alone decides: what channeltest.Harness.Fail wants.
// Status 0 only empties the queue.
func (s *Server) FailSends(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = nil
	if status == 0 {
		return
	}
	code := 100 // invalid parameter
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		code = 1 // unknown error
	case status == http.StatusForbidden:
		code = 200 // permission error
	}
	body := fmt.Sprintf(`{"error":{"message":"conformance failure","type":"OAuthException","code":%d}}`, code)
	for range 10 {
		s.answers = append(s.answers, answer{status, body})
	}
}

// Sent lists the messages the server accepted, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Uploads lists the files the server accepted, in order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

// authorised answers 401 as Meta does unless the call carries the token
// as a bearer token, and only there: a token in the URL ends up in logs.
func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+s.cfg.Token || r.URL.Query().Has("access_token") {
		graphError(w, http.StatusUnauthorized, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
		return false
	}
	return true
}

func graphError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// lookup answers GET /{id}: a profile, a media file's metadata, or
// Meta's error for a node it does not know.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	s.lookups++
	status, size := s.lookupStatus, s.declaredSize
	profile, isProfile := s.profiles[id]
	data, isMedia := s.media[id]
	if !isProfile && !isMedia && s.cfg.AnyMedia {
		data, isMedia = PNG(), true
		s.media[id] = data
	}
	s.mu.Unlock()
	switch {
	case status != 0:
		graphError(w, status, `{"error":{"message":"Service temporarily unavailable","code":2}}`)
	case isProfile:
		io.WriteString(w, profile)
	case isMedia:
		if size == 0 {
			size = int64(len(data))
		}
		json.NewEncoder(w).Encode(map[string]any{"url": s.URL + "/files/" + id,
			"mime_type": "application/octet-stream", "file_size": size, "id": id})
	default:
		graphError(w, http.StatusBadRequest, `{"error":{"message":"Unsupported get request.","code":100,"error_subcode":33}}`)
	}
}

// file serves a media file's bytes; like Meta's lookaside URLs it wants
// the token.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	s.mu.Lock()
	data, ok := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

// cdnFile serves a CDN file; the CDN's URLs are signed, so it asks for no
// token and records whether one came anyway.
func (s *Server) cdnFile(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/cdn")
	s.mu.Lock()
	data, ok := s.cdn[p]
	status := s.cdnStatus
	s.cdnAuth = append(s.cdnAuth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if !ok {
		data = PNG() // a file the test did not set up: any image
	}
	w.Write(data)
}

// uploadMedia is WhatsApp's upload: the file in "file", with
// messaging_product "whatsapp" and its type.
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	u, ok := s.readUpload(w, r, "file")
	if !ok {
		return
	}
	if u.Fields["messaging_product"] != "whatsapp" || u.Data == nil {
		graphError(w, http.StatusBadRequest, `{"error":{"message":"bad upload","code":100}}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"id": "media-" + s.keep(u)})
}

// uploadAttachment is Messenger's and Instagram's upload: the file in
// "filedata", with the message JSON that says its type.
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	u, ok := s.readUpload(w, r, "filedata")
	if !ok {
		return
	}
	if u.Fields["message"] == "" || u.Data == nil {
		graphError(w, http.StatusBadRequest, `{"error":{"message":"bad upload","code":100}}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"attachment_id": "att-" + s.keep(u)})
}

// readUpload reads a multipart upload whose file is in the part named
// filePart; on false it has answered.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, filePart string) (Upload, bool) {
	if !s.authorised(w, r) {
		return Upload{}, false
	}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return Upload{}, false
	}
	u := Upload{Node: r.PathValue("node"), Fields: map[string]string{}}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return u, true
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return Upload{}, false
		}
		data, err := readPart(p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return Upload{}, false
		}
		if p.FormName() == filePart {
			u.Name, u.PartType, u.Data = p.FileName(), p.Header.Get("Content-Type"), data
		} else {
			u.Fields[p.FormName()] = string(data)
		}
	}
}

func readPart(p *multipart.Part) ([]byte, error) {
	defer p.Close()
	return io.ReadAll(p)
}

// keep records an upload and returns the number of its id.
func (s *Server) keep(u Upload) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploads = append(s.uploads, u)
	s.nextID++
	return strconv.Itoa(s.nextID)
}

// message is a send: the next queued answer, or the message is recorded
// and answered in the product's shape (WhatsApp's body names its
// messaging_product).
func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	if !s.authorised(w, r) {
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.answers) > 0 {
		a := s.answers[0]
		s.answers = s.answers[1:]
		if a.status != 0 {
			graphError(w, a.status, a.body)
			return
		}
	}
	s.nextID++
	if body["messaging_product"] == "whatsapp" {
		id := fmt.Sprintf("wamid.out-%d", s.nextID)
		s.sent = append(s.sent, Sent{Node: r.PathValue("node"), Auth: r.Header.Get("Authorization"), Body: body, ID: id})
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`,
			body["to"], body["to"], id)
		return
	}
	id := fmt.Sprintf("m_out-%d", s.nextID)
	s.sent = append(s.sent, Sent{Node: r.PathValue("node"), Auth: r.Header.Get("Authorization"), Body: body, ID: id})
	recipient, _ := body["recipient"].(map[string]any)
	fmt.Fprintf(w, `{"recipient_id":%q,"message_id":%q}`, recipient["id"], id)
}

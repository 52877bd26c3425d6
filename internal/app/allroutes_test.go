package app

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
)

// sitePatterns lists every route pattern of the site: the API's table, and
// the literal patterns of every Handle/HandleFunc call in the server
// package and in every package that has a Surface (a Routes(*http.ServeMux)
// method). http.ServeMux cannot list what it holds, so the source is read;
// a pattern that is not a string literal fails the test rather than being
// missed. The walk then checks that each pattern is really routed.
func sitePatterns(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	for _, rt := range api.New(api.Deps{Store: e.app.Store}).Routes() {
		out = append(out, rt.Method+" "+api.Prefix+rt.Path)
	}
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // another package mid-edit; a surface that does not parse does not build either
		}
		pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatalf("reading the source: %v", err)
	}
	scanned := 0
	for dir, files := range pkgs {
		if filepath.Base(dir) != "server" && !slices.ContainsFunc(files, declaresSurface) {
			continue
		}
		scanned++
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: route pattern is not a string literal; this test cannot see it", fset.Position(call.Pos()))
					return true
				}
				p, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
				}
				out = append(out, p)
				return true
			})
		}
	}
	if scanned < 3 {
		t.Fatalf("found %d route-registering packages, want server, web and webchat at least", scanned)
	}
	return out
}

// declaresSurface reports whether f has a method Routes(*http.ServeMux).
func declaresSurface(f *ast.File) bool {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Name.Name != "Routes" || len(fn.Type.Params.List) != 1 {
			continue
		}
		star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "ServeMux" {
			return true
		}
	}
	return false
}

// public are the patterns anyone may call without signing in.
func public(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	switch path {
	case "/healthz", "/login", "/api/v1/openapi.json", "/static/", "/widget.js",
		"/{$}", // only redirects to /app, which asks for a login
		// the knowledge base answers customers
		"/api/v1/kb/search", "/api/v1/kb/suggest", "/api/v1/kb/faq", "/api/v1/kb/click", "/api/v1/kb/feedback",
		"/robots.txt", "/sitemap.xml", "/kbfiles/{id}", "/favicon.ico",
		// guided flows run for anybody
		"/api/v1/flows/{id}/runs", "/api/v1/flow-runs/{id}",
		"/hooks/{kind}/{key}": // providers sign their webhooks instead

		return true
	}
	if path == "/api/v1/kb/categories" && strings.HasPrefix(pattern, "GET ") {
		return true
	}
	return strings.HasPrefix(path, "/widget/") || path == "/help" || strings.HasPrefix(path, "/help/")
}

func deletes(pattern string) bool {
	return strings.HasPrefix(pattern, "DELETE ") || strings.HasSuffix(pattern, "/delete")
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// fixtures are real rows for the path wildcards.
type fixtures struct {
	ids map[string]int64 // by the path segment before {id}
}

func newFixtures(t *testing.T, e *env) fixtures {
	t.Helper()
	ctx := context.Background()
	inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{
		"name": "Partner app", "channel": "api",
		"settings": map[string]string{"webhook_url": "http://127.0.0.1:1/replies", "webhook_secret": "a-secret-of-16-chars-or-more"}}, 201)
	inboxID := num(inbox["id"])

	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	m.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&img, m); err != nil {
		t.Fatal(err)
	}
	att, err := uploads{blob: e.app.Blob}.Store(ctx, "fiets.png", &img)
	if err != nil {
		t.Fatalf("storing an attachment: %v", err)
	}
	res, err := e.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: inboxID, ExternalID: "walk-1",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, FromName: "Jan de Boer",
		Body: "Mijn fiets piept, zie foto.", Attachments: []desk.InboundAttachment{att}, At: e.clock.Now()})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	msgs, err := e.app.Store.ListMessages(ctx, res.Conversation.ID, 0, 10)
	if err != nil || len(msgs) == 0 || len(msgs[0].Attachments) == 0 {
		t.Fatalf("the ingested message has no attachment: %v %+v", err, msgs)
	}

	team := e.must(desk.RoleAdmin, "POST", "/api/v1/teams", map[string]any{"name": "Werkplaats"}, 201)
	hook := e.must(desk.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook",
		"secret": "0123456789abcdef", "active": false}, 201)
	// Someone to edit other than the callers themselves, and a token to
	// revoke other than the ones the walk authenticates with.
	target, err := e.app.Agents.Create(ctx, "target@example.com", "Target", desk.RoleAgent, "en", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	_, spare, err := e.app.Auth.CreateToken(ctx, e.agents[desk.RoleAdmin].ID, "spare")
	if err != nil {
		t.Fatal(err)
	}
	cat := e.must(desk.RoleAdmin, "POST", "/api/v1/kb/categories", map[string]any{"locale": "nl", "name": "Bezorging"}, 201)
	kbFile := &desk.KBFile{Name: "zadel.png", ContentType: "image/png", Size: int64(img.Len()), BlobKey: msgs[0].Attachments[0].BlobKey}
	if err := e.app.KB.AddFile(ctx, nil, kbFile); err != nil {
		t.Fatal(err)
	}
	fl, err := e.app.Flows.Create(ctx, flow.Input{Locale: "nl", Title: "Fiets piept"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Flows.Publish(ctx, e.agents[desk.RoleAdmin], fl.ID); err != nil {
		t.Fatal(err)
	}
	run, _, err := e.app.Flows.StartRun(ctx, flow.RunInput{FlowID: fl.ID, Source: desk.SourceAPI, VisitorKey: "x"})
	if err != nil {
		t.Fatal(err)
	}
	// A profile merged into Jan's, for the undo route.
	dup := &desk.Contact{Name: "Jan"}
	if err := e.app.Store.CreateContact(ctx, dup); err != nil {
		t.Fatal(err)
	}
	merge, err := e.app.Store.MergeContacts(ctx, res.Contact.ID, dup.ID, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	reply := &desk.SavedReply{Locale: "nl", Title: "Groet", Body: "Hoi!"}
	if err := e.app.Front.SaveReply(ctx, e.agents[desk.RoleAdmin], reply); err != nil {
		t.Fatal(err)
	}
	art := e.must(desk.RoleAdmin, "POST", "/api/v1/kb/articles", map[string]any{"locale": "nl", "title": "Bezorgadres wijzigen",
		"body": "Dat kan tot verzending.", "status": "published"}, 201)
	rule := e.must(desk.RoleAdmin, "POST", "/api/v1/routing/rules", map[string]any{"name": "Werkplaats", "enabled": true,
		"team_id": num(team["id"])}, 201)
	policy := e.must(desk.RoleAdmin, "POST", "/api/v1/sla/policies", map[string]any{"name": "Snel", "enabled": true,
		"first_response_minutes": 60}, 201)
	return fixtures{ids: map[string]int64{
		"policies":           num(policy["id"]), // API SLA policies
		"sla":                num(policy["id"]), // their admin pages
		"conversations":      res.Conversation.ID,
		"conversation-row":   res.Conversation.ID,
		"conversation-panel": res.Conversation.ID,
		"contacts":           res.Contact.ID,
		"attachments":        msgs[0].Attachments[0].ID,
		"inboxes":            inboxID,
		"teams":              num(team["id"]),
		"webhooks":           num(hook["id"]),
		"agents":             target.ID,
		"tokens":             spare.ID,
		"articles":           num(art["id"]),
		"categories":         num(cat["id"]),
		"revisions":          1,
		"kbfiles":            kbFile.ID,
		"messages":           msgs[0].ID,
		"contact-merges":     merge.ID,
		"flows":              fl.ID,
		"flow-runs":          run.ID,
		"replies":            reply.ID,
		"rules":              num(rule["id"]),     // API routing rules
		"routing":            num(rule["id"]),     // the rules' admin pages
		"log":                1,                   // an action log record (none needed: the walk checks roles)
		"improvements":       1,                   // an improvement signal (likewise)
		"c":                  res.Conversation.ID, // the customer portal's conversation page
	}}
}

// helpNames fill the help center's wildcards (by the segment before them)
// with the fixtures' names.
var helpNames = map[string]string{
	"help/{locale}":   "nl",
	"a/{slug}":        "bezorgadres-wijzigen",
	"c/{slug}":        "bezorging",
	"flows/{slug}":    "fiets-piept",
	"hooks/{kind}":    "whatsapp",
	"{kind}/{key}":    "no-such-inbox",
	"{locale}/{page}": "search",
	"static/{file}":   "help.css",
	// Orders and self-service actions (commerce).
	"orders/{number}": "DS-2026-0001",
	"actions/{name}":  "order_status",
	"approvals/{log}": "1",
	// Customers' pages reached by a secret token: an unknown one.
	"survey/{token}": "no-such-survey",
	"status/{token}": "no-such-status",
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// path turns a pattern into a request path to a real row.
func (f fixtures) path(t *testing.T, pattern string) (method, path string) {
	t.Helper()
	method, path, _ = strings.Cut(pattern, " ")
	switch path {
	case "/static/":
		return method, "/static/app.css"
	case "/help/":
		return method, "/help/nl/no/such/page" // the help center's catch-all
	case "/{$}":
		return method, "/"
	}
	path = strings.ReplaceAll(path, "{$}", "")
	segs := strings.Split(path, "/")
	orig := slices.Clone(segs)
	for i, s := range segs {
		if !wildcard.MatchString(s) {
			continue
		}
		// The help center's wildcards are names, not ids.
		if name, ok := helpNames[orig[i-1]+"/"+s]; ok {
			segs[i] = name
			continue
		}
		id, ok := f.ids[segs[i-1]]
		if s != "{id}" && s != "{n}" || !ok {
			t.Fatalf("%s: no fixture for %s after %q; add one to newFixtures", pattern, s, segs[i-1])
		}
		segs[i] = strconv.FormatInt(id, 10)
	}
	path = strings.Join(segs, "/")
	if strings.HasSuffix(path, "/") && strings.Count(path, "/") > 1 && !strings.HasSuffix(pattern, "{$}") {
		path += "session" // a subtree pattern: any path in it
	}
	return method, path
}

// caller is how the walk authenticates as one role: a bearer token for the
// API, a browser session (cookie and CSRF token) for everything else.
type caller struct {
	role         desk.Role
	token        string
	cookie, csrf string
	freshSession func() (cookie, csrf string) // for routes that end the session
}

func login(t *testing.T, e *env, role desk.Role) (cookie, csrf string) {
	t.Helper()
	_, sess, c, err := e.app.Auth.Login(context.Background(), string(role)+"@example.com", "correct horse battery", "127.0.0.1")
	if err != nil {
		t.Fatalf("login as %s: %v", role, err)
	}
	return c, sess.CSRFToken
}

func (c caller) name() string {
	if c.role == "" {
		return "anonymous"
	}
	return string(c.role)
}

func (c caller) do(t *testing.T, e *env, client *http.Client, pattern, method, path string) resp {
	t.Helper()
	var body io.Reader
	ctype := ""
	if method == "POST" || method == "PATCH" || method == "PUT" {
		if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/widget/") {
			body, ctype = strings.NewReader("{}"), "application/json"
		} else {
			body, ctype = strings.NewReader(""), "application/x-www-form-urlencoded"
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.role != "" {
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+c.token)
		} else {
			cookie, csrf := c.cookie, c.csrf
			if pattern == "POST /logout" {
				cookie, csrf = c.freshSession()
			}
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
			req.Header.Set(auth.CSRFHeader, csrf)
		}
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// TestEveryRouteOfTheSite walks every route of the site (API, pages, widget,
// attachments, health) as anonymous, agent, supervisor and admin: anonymous
// callers are turned away (401, 403 or a redirect to the login page) except
// on public routes, agents get 403 on /admin, admins are never turned away
// from a route that is not public, every request reaches a handler, and no
// route answers 5xx to anyone.
func TestEveryRouteOfTheSite(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		patterns := sitePatterns(t, e)
		// Deleting routes go last, so that the others see the rows.
		slices.SortStableFunc(patterns, func(a, b string) int {
			return boolCmp(deletes(a), deletes(b))
		})
		fx := newFixtures(t, e)

		// The same patterns on a mux of our own tell which pattern a test
		// path selects: each must select its own (and none may conflict).
		probe := http.NewServeMux()
		for _, p := range patterns {
			probe.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
		}

		callers := []caller{{}}
		for _, r := range []desk.Role{desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin} {
			cookie, csrf := login(t, e, r)
			callers = append(callers, caller{role: r, token: e.tokens[r], cookie: cookie, csrf: csrf,
				freshSession: func() (string, string) { return login(t, e, r) }})
		}
		client := *e.srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

		for _, pattern := range patterns {
			method, path := fx.path(t, pattern)
			probeReq, _ := http.NewRequest(method, e.srv.URL+path, nil)
			if _, got := probe.Handler(probeReq); got != pattern {
				t.Errorf("%s %s selects pattern %q, want %q", method, path, got, pattern)
				continue
			}
			for _, c := range callers {
				t.Run(pattern+" as "+c.name(), func(t *testing.T) {
					r := c.do(t, e, &client, pattern, method, path)
					got := fmt.Sprintf("%s %s as %s = %d", method, path, c.name(), r.status)
					body := string(r.body)
					switch {
					case r.status >= 500:
						t.Fatalf("%s: %.300q", got, body)
					case (r.status == 404 && body == "404 page not found\n") || (r.status == 405 && body == "Method Not Allowed\n"):
						t.Fatalf("%s from the router itself: the route is not registered", got)
					case public(pattern):
						return
					}
					denied := r.status == http.StatusUnauthorized || r.status == http.StatusForbidden
					switch c.role {
					case "":
						toLogin := r.status/100 == 3 && strings.HasPrefix(r.header.Get("Location"), "/login")
						if !denied && !toLogin {
							t.Errorf("%s, want 401, 403 or a redirect to /login (Location %q): %.300q", got, r.header.Get("Location"), body)
						}
					case desk.RoleAgent:
						if strings.HasPrefix(path, "/admin") && r.status != http.StatusForbidden {
							t.Errorf("%s, want 403: %.300q", got, body)
						}
					case desk.RoleAdmin:
						if denied {
							t.Errorf("%s: an admin was turned away: %.300q", got, body)
						}
					}
				})
			}
		}
	})
}

package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// validate checks v against a JSON Schema of the subset the document uses:
// type (or list of types), properties, required, additionalProperties,
// items, $ref and anyOf.
func validate(doc map[string]any, schema map[string]any, v any, path string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
		if def == nil {
			return []string{path + ": unknown $ref " + ref}
		}
		return validate(doc, def, v, path)
	}
	if alts, ok := schema["anyOf"].([]any); ok {
		var all []string
		for _, s := range alts {
			errs := validate(doc, s.(map[string]any), v, path)
			if len(errs) == 0 {
				return nil
			}
			all = append(all, errs...)
		}
		return all
	}
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	got := "null"
	switch x := v.(type) {
	case string:
		got = "string"
	case bool:
		got = "boolean"
	case float64:
		got = "number"
		if x == float64(int64(x)) {
			got = "integer"
		}
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
	}
	ok := len(types) == 0
	for _, t := range types {
		if t == got || (t == "number" && got == "integer") {
			ok = true
		}
	}
	if !ok {
		return []string{fmt.Sprintf("%s: got %s, want %v", path, got, types)}
	}
	var errs []string
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, path+": missing required "+r.(string))
			}
		}
		for k, val := range x {
			p, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					errs = append(errs, path+": undocumented property "+k)
				}
				continue
			}
			errs = append(errs, validate(doc, p, val, path+"."+k)...)
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, el := range x {
				errs = append(errs, validate(doc, items, el, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestResponsesMatchTheOpenAPIDocument calls every GET route that documents
// its response, with real data behind it, and checks each answer against the
// served document's schema: a field added to a handler but not documented,
// or documented but missing, fails here.
func TestResponsesMatchTheOpenAPIDocument(t *testing.T) {
	e := newEnv(t, testenv.OpenSQLite)
	var doc map[string]any
	if err := json.Unmarshal(e.do("", "GET", "/api/v1/openapi.json", nil).body, &doc); err != nil {
		t.Fatal(err)
	}
	inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Chat", "channel": "webchat"}, 201)
	created := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]),
		"contact": map[string]any{"name": "Jan", "email": "jan@example.nl"}, "message": map[string]any{"body": "Bestelling 12345"}}, 201)
	conv := created["conversation"].(map[string]any)
	team := e.must(desk.RoleAdmin, "POST", "/api/v1/teams", map[string]any{"name": "Finance"}, 201)
	e.must(desk.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef"}, 201)
	art := e.must(desk.RoleAdmin, "POST", "/api/v1/kb/articles", map[string]any{"locale": "en", "title": "Opening hours",
		"body": "We are open **9 to 5**.", "status": "published", "questions": []string{"When are you open?"}}, 201)
	policy := e.must(desk.RoleAdmin, "POST", "/api/v1/sla/policies", map[string]any{"name": "Snel", "enabled": true,
		"priorities": []string{"urgent"}, "first_response_minutes": 60}, 201)
	e.must(desk.RoleAgent, "POST", fmt.Sprintf("/api/v1/conversations/%d/status-link", num(conv["id"])), nil, 201)
	ids := map[string]int64{"/sla/policies/": num(policy["id"]), "/kb/articles/": num(art["id"]), "/contacts/": num(conv["contact_id"]), "/conversations/": num(conv["id"]),
		"/agents/": e.agents[desk.RoleAgent].ID, "/teams/": num(team["id"]), "/inboxes/": num(inbox["id"])}

	paths := doc["paths"].(map[string]any)
	checked := 0
	for p, item := range paths {
		op, ok := item.(map[string]any)["get"].(map[string]any)
		if !ok {
			continue
		}
		resp, _ := op["responses"].(map[string]any)["200"].(map[string]any)
		content, _ := resp["content"].(map[string]any)["application/json"].(map[string]any)
		schema, _ := content["schema"].(map[string]any)
		if schema == nil {
			continue
		}
		url := p
		for prefix, id := range ids {
			url = strings.Replace(url, prefix+"{id}", fmt.Sprintf("%s%d", prefix, id), 1)
		}
		switch p {
		case "/search":
			url += "?q=12345"
		case "/kb/search":
			url += "?q=opening+hours&locale=en"
		case "/kb/suggest":
			url += "?q=open"
		}
		r := e.do(desk.RoleAdmin, "GET", "/api/v1"+url, nil)
		if r.status != 200 {
			t.Errorf("GET %s = %d: %s", url, r.status, r.body)
			continue
		}
		var body any
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Errorf("GET %s: %v", url, err)
			continue
		}
		for _, msg := range validate(doc, schema, body, "GET "+p) {
			t.Error(msg)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked %d responses, want every documented GET (at least 10)", checked)
	}
}

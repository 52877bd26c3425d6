package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document from the route table, so the
// document cannot drift from the router.
func (h *Handler) OpenAPI() map[string]any {
	sc := &schemas{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range h.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"responses": map[string]any{
				"200":     map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{}}},
				"default": map[string]any{"description": "Problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
			},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
		}
		for _, q := range rt.Query {
			typ := "string"
			if q == "limit" || q == "offset" || strings.HasSuffix(q, "_id") {
				typ = "integer"
			}
			params = append(params, map[string]any{"name": q, "in": "query", "required": false,
				"schema": map[string]any{"type": typ}, "description": queryDocs[q]})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Role == "" {
			op["security"] = []any{}
		} else {
			op["x-balie-role"] = string(rt.Role)
		}
		if rt.In != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": sc.of(reflect.TypeOf(rt.In))}}}
		}
		if rt.Out != nil {
			status := "200"
			if rt.Method == "POST" {
				status = "201"
			}
			resp := op["responses"].(map[string]any)
			delete(resp, "200")
			resp[status] = map[string]any{"description": "OK", "content": map[string]any{
				"application/json": map[string]any{"schema": sc.of(reflect.TypeOf(rt.Out))}}}
		}
		if rt.Method == "DELETE" {
			resp := op["responses"].(map[string]any)
			delete(resp, "200")
			resp["204"] = map[string]any{"description": "Deleted"}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "balie API", "version": "1",
			"description": "balie's JSON API. Authenticate with `Authorization: Bearer <token>`. Errors are application/problem+json."},
		"servers":  []any{map[string]any{"url": Prefix}},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas":         sc.withProblem(),
		},
	}
}

func operationID(rt Route) string {
	p := pathParam.ReplaceAllString(rt.Path, "by_$1")
	p = strings.NewReplacer("/", "_", ".", "_").Replace(strings.Trim(p, "/"))
	return strings.ToLower(rt.Method) + "_" + p
}

func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	return write(w, http.StatusOK, h.OpenAPI())
}

func (s *schemas) withProblem() map[string]any {
	s.of(reflect.TypeFor[Problem]())
	return s.defs
}

var queryDocs = map[string]string{
	"q":          "search text",
	"limit":      "page size",
	"offset":     "items to skip",
	"view":       "all, mine, unassigned or teams",
	"status":     "open, pending, snoozed or resolved",
	"channel":    "webchat, email, api, whatsapp, messenger, instagram, telegram or phone",
	"inbox_id":   "only this inbox",
	"team_id":    "only this team",
	"label":      "only conversations with this label",
	"contact_id": "only this customer",
	"sla":        "only conversations in these SLA states, comma-separated: running, warning, breached (warning,breached: at risk or breached)",
	"cursor":     "next_cursor of the previous page",
	"after_id":   "only messages newer than this id",
}

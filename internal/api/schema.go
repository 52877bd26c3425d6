package api

import (
	"reflect"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/wire"
)

// schemas builds JSON Schemas (OpenAPI 3.1 dialect) from Go types by
// reflection, so the document describes exactly what the handlers decode and
// encode. Named struct types become components; the rest is inlined.
type schemas struct {
	defs map[string]any
}

var (
	timeType   = reflect.TypeFor[wire.Time]()
	goTimeType = reflect.TypeFor[time.Time]()
)

func (s *schemas) of(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var out map[string]any
	switch {
	case t == timeType:
		out = map[string]any{"type": []any{"string", "null"}, "format": "date-time"}
		return out
	case t == goTimeType:
		out = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		out = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		out = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		out = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		out = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		out = map[string]any{"type": "array", "items": s.of(t.Elem())}
	case t.Kind() == reflect.Map:
		out = map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case t.Kind() == reflect.Struct:
		name := t.Name()
		if name == "" || strings.Contains(name, "[") {
			out = s.object(t) // anonymous or generic: inline
			break
		}
		name = componentName(t)
		if _, ok := s.defs[name]; !ok {
			s.defs[name] = map[string]any{} // placeholder against recursion
			s.defs[name] = s.object(t)
		}
		out = map[string]any{"$ref": "#/components/schemas/" + name}
	default:
		out = map[string]any{}
	}
	if nullable {
		if _, ref := out["$ref"]; ref {
			return map[string]any{"anyOf": []any{out, map[string]any{"type": "null"}}}
		}
		if typ, ok := out["type"].(string); ok {
			out["type"] = []any{typ, "null"}
		}
	}
	return out
}

func (s *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		p := s.of(f.Type)
		if enum := f.Tag.Get("enum"); enum != "" {
			var vals []any
			for _, v := range strings.Split(enum, ",") {
				vals = append(vals, v)
			}
			p["enum"] = vals
		}
		props[name] = p
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		out["required"] = required
	}
	return out
}

// componentName turns agentJSON into Agent, newConversationIn into
// NewConversationIn, wire.Message into Message.
func componentName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "JSON")
	n = strings.ToUpper(n[:1]) + n[1:]
	// Types of other packages are named after their package too, so that
	// report.Report and problems.Report do not share a component.
	if pkg := t.PkgPath(); pkg != "" && !strings.HasSuffix(pkg, "/internal/api") && !strings.HasSuffix(pkg, "/internal/wire") {
		p := pkg[strings.LastIndex(pkg, "/")+1:]
		if !strings.EqualFold(p, n) {
			n = strings.ToUpper(p[:1]) + p[1:] + n
		}
	}
	return n
}

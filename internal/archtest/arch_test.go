// Package archtest checks the dependency rule of docs/architecture.md: the
// domain core imports only the standard library, services never import
// storage or transport adapters, and adapters depend inward only.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/balie-dev/balie/"

// imports returns the module-internal and third-party imports of the
// non-test Go files in dir.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func isStdlib(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }

func TestDependencyRule(t *testing.T) {
	root := filepath.Join("..")
	adapters := []string{"internal/store/", "internal/bus", "internal/channel/", "internal/blob"}
	services := []string{"conversation", "contact", "auth", "routing", "kb", "flow", "front", "assist", "selfservice", "community", "analytics", "privacy"}
	isAdapter := func(p string) bool {
		for _, a := range adapters {
			if strings.HasPrefix(p, module+a) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name  string
		dir   string
		check func(imp string) bool // true when allowed
	}{
		{"desk imports only the standard library", "desk", isStdlib},
		{"lang imports only the standard library", "lang", isStdlib},
		{"wire imports only desk", "wire", func(p string) bool { return isStdlib(p) || p == module+"internal/desk" }},
		{"kb/index is pure: lang and desk only", "kb/index", func(p string) bool {
			return isStdlib(p) || p == module+"internal/lang" || p == module+"internal/desk"
		}},
		{"assist/classify is pure: lang only", "assist/classify", func(p string) bool {
			return isStdlib(p) || p == module+"internal/lang"
		}},
	}
	// The surfaces speak to services, never to adapters: the app wires them.
	for _, s := range []string{"web", "api", "helpcenter", "realtime"} {
		tests = append(tests, struct {
			name  string
			dir   string
			check func(string) bool
		}{s + " imports no adapter", s, func(p string) bool { return !isAdapter(p) }})
	}
	for _, s := range services {
		s := s
		tests = append(tests, struct {
			name  string
			dir   string
			check func(string) bool
		}{s + " imports no adapter", s, func(p string) bool { return !isAdapter(p) }})
	}
	for _, a := range []string{"store/sqlite", "store/postgres", "store/sealed", "store/rollup", "store/personal", "bus", "bus/pgbus", "blob"} {
		tests = append(tests, struct {
			name  string
			dir   string
			check func(string) bool
		}{a + " depends inward only", a, func(p string) bool {
			if !strings.HasPrefix(p, module) {
				return true
			}
			// pgbus wraps the in-process bus for its local fan-out; both
			// drivers follow store/rollup's plan for the report cubes and
			// store/personal's catalogue of tables with personal data.
			return p == module+"internal/desk" || p == module+"internal/lang" ||
				a == "bus/pgbus" && p == module+"internal/bus" ||
				(a == "store/sqlite" || a == "store/postgres") &&
					(p == module+"internal/store/rollup" || p == module+"internal/store/personal")
		}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, tc.dir)
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				t.Skipf("%s does not exist yet", tc.dir)
			}
			for _, imp := range imports(t, dir) {
				if !tc.check(imp) {
					t.Errorf("%s imports %s, which the dependency rule forbids", tc.dir, imp)
				}
			}
		})
	}
}

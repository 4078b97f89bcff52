package awsjson

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strings"
	"testing"
	"time"
)

// nested is a body of depth levels: objects when the opener is "{", arrays
// when it is "[".
func nested(opener string, depth int) string {
	if opener == "[" {
		return `{"tags":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
	}
	return strings.Repeat(`{"x":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

func TestDecodeLimitsNesting(t *testing.T) {
	tooDeep := "The request body nests JSON objects and arrays more than 64 levels deep."
	tests := []struct {
		name    string
		body    string
		wantMsg string // "" means accepted
	}{
		{"objects at the limit", nested("{", MaxJSONDepth), ""},
		{"objects one past the limit", nested("{", MaxJSONDepth+1), tooDeep},
		{"arrays one past the limit", nested("[", MaxJSONDepth+1), tooDeep},
		{"objects and arrays mixed", strings.Repeat(`{"a":[`, 33) + strings.Repeat(`]}`, 33), tooDeep},
		{"brackets inside a string are text", `{"name":"` + strings.Repeat("[{", 1000) + `"}`, ""},
		{"an escaped quote does not end the string", `{"name":"\"` + strings.Repeat("[", 100) + `"}`, ""},
		{"an escaped backslash ends before the quote", `{"name":"\\"` + strings.Repeat(`,"x":[`, 70) + `}`, tooDeep},
		{"deep but unclosed", strings.Repeat("[", 100), "The request body must be a JSON object."},
		{"deep after the first object", `{"x":` + strings.Repeat("[", 65), tooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in echoIn
			err := Decode([]byte(tc.body), &in)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			wantAPIError(t, err, TypeSerialization, tc.wantMsg)
		})
	}
}

// A body of nothing but openers, as large as the server takes, is refused
// as a 400 in one pass, not walked by the decoder.
func TestServerRefusesDeepJSONCheaply(t *testing.T) {
	body := "{" + strings.Repeat(`"a":[`, (MaxBodyBytes-1)/5)
	start := time.Now()
	r := do(t, newTestServer(allowAll{}), http.MethodPost, "/", testPrefix+".Echo", body)
	if r.status != http.StatusBadRequest || r.errType != TypeSerialization {
		t.Fatalf("got %d %s %v, want 400 %s", r.status, r.errType, r.body, TypeSerialization)
	}
	// Generous for a loaded machine; the scan takes about a millisecond.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing a 1 MiB deep body took %s", d)
	}
}

// TestMaxJSONDepthCoversWireShapes measures the nesting depth of every
// request shape of the ECS model (internal/wire) and checks that
// MaxJSONDepth leaves room for it twice over, so that the limit never
// refuses a request the model allows.
func TestMaxJSONDepthCoversWireShapes(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "../wire/ecs_types.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]ast.Expr{}
	for _, decl := range file.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok {
			for _, spec := range gd.Specs {
				if ts, ok := spec.(*ast.TypeSpec); ok {
					types[ts.Name.Name] = ts.Type
				}
			}
		}
	}
	m := depthMeter{t: t, types: types, onPath: map[string]bool{}}
	deepest, requests := "", 0
	for name, expr := range types {
		if !strings.HasSuffix(name, "Request") {
			continue
		}
		requests++
		if d := m.depth(expr); d > m.max {
			m.max, deepest = d, name
		}
	}
	if requests < 70 {
		t.Fatalf("found %d request shapes in ecs_types.go, want the model's 77", requests)
	}
	t.Logf("deepest request shape: %s, %d levels", deepest, m.max)
	if 2*m.max > MaxJSONDepth {
		t.Errorf("%s nests %d levels; MaxJSONDepth %d leaves less than twice that", deepest, m.max, MaxJSONDepth)
	}
}

// depthMeter computes how many JSON objects and arrays a wire type nests.
type depthMeter struct {
	t      *testing.T
	types  map[string]ast.Expr
	onPath map[string]bool
	max    int
}

func (m *depthMeter) depth(expr ast.Expr) int {
	switch e := expr.(type) {
	case *ast.StarExpr:
		return m.depth(e.X)
	case *ast.ArrayType:
		return 1 + m.depth(e.Elt)
	case *ast.MapType:
		return 1 + m.depth(e.Value)
	case *ast.StructType:
		deepest := 0
		for _, f := range e.Fields.List {
			deepest = max(deepest, m.depth(f.Type))
		}
		return 1 + deepest
	case *ast.Ident:
		def, ok := m.types[e.Name]
		if !ok {
			return 0 // a Go basic type
		}
		if m.onPath[e.Name] {
			m.t.Fatalf("wire type %s is recursive: its depth is unbounded, so MaxJSONDepth needs another argument", e.Name)
		}
		m.onPath[e.Name] = true
		defer delete(m.onPath, e.Name)
		return m.depth(def)
	default:
		return 0 // json.RawMessage (a document member) and other selector types
	}
}

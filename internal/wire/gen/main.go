// Command gen generates Go wire types from a botocore service model
// (service-2.json or service-2.json.gz) for an AWS JSON 1.1 API.
//
// It is written for the ECS model and run from internal/wire via go generate
// (see ../doc.go), but knows nothing ECS-specific beyond the defaults of its
// flags. It needs only the standard library; python3 is used only by the
// generate directive, to locate the model installed with botocore.
//
// Usage:
//
//	go run ./gen -model PATH/service-2.json.gz -overlay ecs_model_overlay.json -out ecs_types.go -ops ops.go
//
// -overlay names a file of shapes in the model's own format that the
// model lacks (see applyOverlay): members and shapes that AWS added after
// the botocore release installed here. Each is an error once the model
// has it too, so the overlay shrinks as botocore catches up.
//
// Mapping (see ../doc.go for the contract the output must keep):
//
//   - structure: a struct named after the shape; members are exported fields,
//     sorted by member name, tagged json:"<member>,omitzero". Exceptions are
//     not emitted; their names go to <Prefix>ErrorTypes. A document structure
//     becomes an alias of json.RawMessage.
//   - string, integer, long, boolean, double, float and timestamp members are
//     pointers (*string, *int32, *int64, *bool, *float64, *float32, *Time);
//     blob is []byte.
//   - enum string shapes: type <Shape> string with <Shape><Value> constants
//     and a Values method; members of an enum shape are the named type
//     (not a pointer).
//   - list: []<elem>, map: map[<key>]<elem>, where an element is the bare
//     value type (structures by value, strings as string, enums as the enum).
//   - nested structure members: *<Shape>.
//
// The output is sorted by shape name and gofmt'd, so it is deterministic.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"sort"
	"strings"
)

// handWritten are identifiers the target package defines by hand; shapes
// must not collide with them.
var handWritten = []string{"Time", "NewTime"}

func main() {
	var (
		modelPath = flag.String("model", "", "path to the botocore service-2.json or service-2.json.gz (required)")
		overlay   = flag.String("overlay", "", "path to a JSON file of shapes to add to the model (optional)")
		out       = flag.String("out", "ecs_types.go", "output file for the shape types")
		opsOut    = flag.String("ops", "", "output file for the operation table; empty puts it in -out")
		pkg       = flag.String("pkg", "wire", "Go package name of the output")
		prefix    = flag.String("prefix", "", "prefix of the generated tables (default: the model's serviceId, e.g. ECS)")
	)
	flag.Parse()
	if *modelPath == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*modelPath, *overlay, *out, *opsOut, *pkg, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(modelPath, overlayPath, out, opsOut, pkg, prefix string) error {
	m, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	if overlayPath != "" {
		if err := applyOverlay(m, overlayPath); err != nil {
			return err
		}
	}
	if m.Metadata.Protocol != "json" {
		return fmt.Errorf("model protocol is %q; only json (AWS JSON 1.x) is supported", m.Metadata.Protocol)
	}
	if prefix == "" {
		prefix = exportedIdent(m.Metadata.ServiceID)
	}
	g, err := newGenerator(m, pkg, prefix)
	if err != nil {
		return err
	}
	types, ops, err := g.generate(opsOut == "")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, types, 0o644); err != nil {
		return err
	}
	if opsOut != "" {
		return os.WriteFile(opsOut, ops, 0o644)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Model

type generator struct {
	m      *model
	pkg    string
	prefix string

	names    []string          // all shape names, sorted
	typeName map[string]string // shape -> Go type name, for emitted types
	idents   map[string]string // package-level identifier -> what claimed it
	inputOf  map[string][]string
	outputOf map[string][]string
}

func newGenerator(m *model, pkg, prefix string) (*generator, error) {
	g := &generator{
		m: m, pkg: pkg, prefix: prefix,
		typeName: map[string]string{},
		idents:   map[string]string{},
		inputOf:  map[string][]string{},
		outputOf: map[string][]string{},
	}
	for name := range m.Shapes {
		g.names = append(g.names, name)
	}
	sort.Strings(g.names)
	for _, id := range handWritten {
		g.idents[id] = "hand-written code"
	}
	for _, id := range []string{"TargetPrefix", "APIVersion", "Operations", "OperationShapes", "ErrorTypes", "Required", "Ranges"} {
		g.idents[prefix+id] = "generated table"
	}
	g.idents["OperationShapes"] = "generated type"
	g.idents["Range"] = "generated type"

	for _, name := range g.names {
		s := m.Shapes[name]
		if !g.emitsType(s) {
			continue
		}
		id := exportedIdent(name)
		if by, ok := g.idents[id]; ok {
			return nil, fmt.Errorf("shape %s: Go name %s already used by %s", name, id, by)
		}
		g.idents[id] = "shape " + name
		g.typeName[name] = id
	}
	for _, name := range sortedKeys(m.Operations) {
		op := m.Operations[name]
		if op.Input != nil {
			g.inputOf[op.Input.Shape] = append(g.inputOf[op.Input.Shape], op.Name)
		}
		if op.Output != nil {
			g.outputOf[op.Output.Shape] = append(g.outputOf[op.Output.Shape], op.Name)
		}
	}
	return g, nil
}

// emitsType reports whether shape s becomes a named Go type.
func (g *generator) emitsType(s *shape) bool {
	switch s.Type {
	case "structure":
		return !s.Exception
	case "string":
		return len(s.Enum) > 0
	}
	return false
}

func (g *generator) shape(name string) (*shape, error) {
	s, ok := g.m.Shapes[name]
	if !ok {
		return nil, fmt.Errorf("unknown shape %q", name)
	}
	return s, nil
}

// goType returns the Go type of a reference to shape name. A member is the
// field of a structure; otherwise it is a list element or map key/value.
func (g *generator) goType(name string, member bool) (string, error) {
	s, err := g.shape(name)
	if err != nil {
		return "", err
	}
	ptr := ""
	if member {
		ptr = "*"
	}
	switch s.Type {
	case "structure":
		if s.Exception {
			return "", fmt.Errorf("shape %s is an exception and cannot be referenced", name)
		}
		if s.Document {
			return g.typeName[name], nil // alias of json.RawMessage
		}
		return ptr + g.typeName[name], nil
	case "string":
		if len(s.Enum) > 0 {
			return g.typeName[name], nil
		}
		return ptr + "string", nil
	case "integer":
		return ptr + "int32", nil
	case "long":
		return ptr + "int64", nil
	case "boolean":
		return ptr + "bool", nil
	case "double":
		return ptr + "float64", nil
	case "float":
		return ptr + "float32", nil
	case "timestamp":
		return ptr + "Time", nil
	case "blob":
		return "[]byte", nil
	case "list":
		if s.Member == nil {
			return "", fmt.Errorf("list shape %s has no member", name)
		}
		elem, err := g.goType(s.Member.Shape, false)
		if err != nil {
			return "", fmt.Errorf("list %s: %w", name, err)
		}
		return "[]" + elem, nil
	case "map":
		if s.Key == nil || s.Value == nil {
			return "", fmt.Errorf("map shape %s has no key or value", name)
		}
		ks, err := g.shape(s.Key.Shape)
		if err != nil {
			return "", err
		}
		if ks.Type != "string" {
			return "", fmt.Errorf("map shape %s: key type %s is not a string", name, ks.Type)
		}
		key, err := g.goType(s.Key.Shape, false)
		if err != nil {
			return "", err
		}
		val, err := g.goType(s.Value.Shape, false)
		if err != nil {
			return "", fmt.Errorf("map %s: %w", name, err)
		}
		return "map[" + key + "]" + val, nil
	}
	return "", fmt.Errorf("shape %s has unsupported type %q", name, s.Type)
}

func (g *generator) generate(opsInline bool) (types, ops []byte, err error) {
	var b bytes.Buffer
	g.header(&b)
	for _, s := range g.m.Shapes {
		if s.Type == "structure" && s.Document && !s.Exception {
			b.WriteString("import \"encoding/json\"\n\n")
			break
		}
	}

	var errorTypes []string
	for _, name := range g.names {
		s := g.m.Shapes[name]
		switch {
		case s.Type == "structure" && s.Exception:
			errorTypes = append(errorTypes, name)
		case s.Type == "structure":
			if err := g.structType(&b, name, s); err != nil {
				return nil, nil, err
			}
		case s.Type == "string" && len(s.Enum) > 0:
			if err := g.enumType(&b, name, s); err != nil {
				return nil, nil, err
			}
		}
	}
	g.errorTable(&b, errorTypes)
	g.requiredTable(&b)
	if err := g.rangeTable(&b); err != nil {
		return nil, nil, err
	}

	var ob bytes.Buffer
	if opsInline {
		g.opsTable(&b)
	} else {
		g.header(&ob)
		g.opsTable(&ob)
		if ops, err = gofmt("ops", ob.Bytes()); err != nil {
			return nil, nil, err
		}
	}
	if types, err = gofmt("types", b.Bytes()); err != nil {
		return nil, nil, err
	}
	return types, ops, nil
}

func (g *generator) header(b *bytes.Buffer) {
	with := ""
	if g.m.overlay != "" {
		with = " and " + g.m.overlay
	}
	fmt.Fprintf(b, "// Code generated by gen from the botocore %s model (apiVersion %s)%s; DO NOT EDIT.\n\n",
		g.m.Metadata.ServiceID, g.m.Metadata.APIVersion, with)
	fmt.Fprintf(b, "package %s\n\n", g.pkg)
}

func gofmt(what string, src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		// Dump the unformatted source to help debugging the generator.
		tmp, terr := os.CreateTemp("", "gen-"+what+"-*.go")
		if terr == nil {
			tmp.Write(src)
			tmp.Close()
			return nil, fmt.Errorf("gofmt %s: %w (unformatted source in %s)", what, err, tmp.Name())
		}
		return nil, fmt.Errorf("gofmt %s: %w", what, err)
	}
	return out, nil
}

type field struct {
	member, goName, goType, jsonName string
	ref                              *ref
	required                         bool
}

func (g *generator) structType(b *bytes.Buffer, name string, s *shape) error {
	tn := g.typeName[name]
	if s.Document {
		typeComment(b, tn, s.Documentation, tn+" is a document shape: any JSON value, kept undecoded.",
			[]string{"It is a document shape: any JSON value, kept undecoded."})
		fmt.Fprintf(b, "type %s = json.RawMessage\n\n", tn)
		return nil
	}

	var roles []string
	for _, op := range g.inputOf[name] {
		roles = append(roles, fmt.Sprintf("the input of the %s operation", op))
	}
	for _, op := range g.outputOf[name] {
		roles = append(roles, fmt.Sprintf("the output of the %s operation", op))
	}
	var extra []string
	plain := tn + " is a structure shape of the model."
	if len(roles) > 0 {
		role := strings.Join(roles, " and ") + "."
		extra = append(extra, "It is "+role)
		plain = tn + " is " + role
	}
	if s.Deprecated {
		extra = append(extra, deprecation(s.DeprecatedMessage))
		plain += " " + deprecation(s.DeprecatedMessage)
	}
	typeComment(b, tn, s.Documentation, plain, extra)

	fields, err := g.fields(name, s)
	if err != nil {
		return err
	}

	if len(fields) == 0 {
		fmt.Fprintf(b, "type %s struct{}\n\n", tn)
		return nil
	}
	fmt.Fprintf(b, "type %s struct {\n", tn)
	for i, f := range fields {
		if i > 0 {
			b.WriteString("\n")
		}
		var lead string
		if f.required {
			lead = "Required."
		}
		var extra []string
		if f.ref.Deprecated {
			extra = append(extra, deprecation(f.ref.DeprecatedMessage))
		}
		doc := f.ref.Documentation
		if doc == "" {
			doc = g.m.Shapes[f.ref.Shape].Documentation
		}
		fieldComment(b, lead, doc, extra)
		fmt.Fprintf(b, "\t%s %s `json:\"%s,omitzero\"`\n", f.goName, f.goType, f.jsonName)
	}
	b.WriteString("}\n\n")
	return nil
}

// fields lists a structure's members as Go fields, sorted by member name,
// with unique Go names.
func (g *generator) fields(name string, s *shape) ([]field, error) {
	required := map[string]bool{}
	for _, r := range s.Required {
		if _, ok := s.Members[r]; !ok {
			return nil, fmt.Errorf("shape %s: required member %q is not a member", name, r)
		}
		required[r] = true
	}

	var fields []field
	used := map[string]bool{}
	for _, mn := range sortedKeys(s.Members) {
		r := s.Members[mn]
		gt, err := g.goType(r.Shape, true)
		if err != nil {
			return nil, fmt.Errorf("shape %s member %s: %w", name, mn, err)
		}
		jn := mn
		if r.JSONName != "" {
			jn = r.JSONName
		} else if r.LocationName != "" {
			jn = r.LocationName
		}
		if strings.ContainsAny(jn, "\",`") {
			return nil, fmt.Errorf("shape %s member %s: wire name %q cannot be a json tag", name, mn, jn)
		}
		fn := exportedIdent(mn)
		for i := 2; used[fn]; i++ {
			fn = fmt.Sprintf("%s%d", exportedIdent(mn), i)
		}
		used[fn] = true
		fields = append(fields, field{member: mn, goName: fn, goType: gt, jsonName: jn, ref: r, required: required[mn]})
	}
	return fields, nil
}

func deprecation(msg string) string {
	// Deliberately not the "Deprecated:" paragraph form: the server must still
	// read and write these members, and linters would flag every use.
	if msg = cleanDoc(msg); msg == "" {
		return "Deprecated in the model."
	}
	return "Deprecated in the model: " + msg
}

func (g *generator) enumType(b *bytes.Buffer, name string, s *shape) error {
	tn := g.typeName[name]
	values := fmt.Sprintf("its known values are the %s* constants.", tn)
	typeComment(b, tn, s.Documentation, tn+" is an enum; "+values, []string{"It is an enum; " + values})
	fmt.Fprintf(b, "type %s string\n\n", tn)

	type constant struct{ id, value string }
	var consts []constant
	seen := map[string]bool{}
	for _, v := range s.Enum {
		if seen[v] {
			continue // duplicate value in the model
		}
		seen[v] = true
		base := tn + enumValueIdent(v)
		id := base
		taken := func(id string) bool { _, ok := g.idents[id]; return ok }
		if taken(id) {
			id = base + "Value"
			for i := 2; taken(id); i++ {
				id = fmt.Sprintf("%sValue%d", base, i)
			}
		}
		g.idents[id] = "enum " + name + " value " + v
		consts = append(consts, constant{id, v})
	}
	fmt.Fprintf(b, "// Values of %s.\nconst (\n", tn)
	for _, c := range consts {
		fmt.Fprintf(b, "\t%s %s = %q\n", c.id, tn, c.value)
	}
	b.WriteString(")\n\n")
	fmt.Fprintf(b, "// Values returns the known values of %s, in model order.\n", tn)
	fmt.Fprintf(b, "func (%s) Values() []%s {\n\treturn []%s{\n", tn, tn, tn)
	for _, c := range consts {
		fmt.Fprintf(b, "\t\t%s,\n", c.id)
	}
	b.WriteString("\t}\n}\n\n")
	return nil
}

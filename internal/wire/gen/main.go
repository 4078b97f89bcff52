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
//	go run ./gen -model PATH/service-2.json.gz -out ecs_types.go -ops ops.go
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
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"go/token"
	"html"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// handWritten are identifiers the target package defines by hand; shapes
// must not collide with them.
var handWritten = []string{"Time", "NewTime"}

func main() {
	var (
		modelPath = flag.String("model", "", "path to the botocore service-2.json or service-2.json.gz (required)")
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
	if err := run(*modelPath, *out, *opsOut, *pkg, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(modelPath, out, opsOut, pkg, prefix string) error {
	m, err := loadModel(modelPath)
	if err != nil {
		return err
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

type model struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		JSONVersion  string `json:"jsonVersion"`
		Protocol     string `json:"protocol"`
		ServiceID    string `json:"serviceId"`
		TargetPrefix string `json:"targetPrefix"`
	} `json:"metadata"`
	Operations map[string]*operation `json:"operations"`
	Shapes     map[string]*shape     `json:"shapes"`
}

type operation struct {
	Name   string `json:"name"`
	Input  *ref   `json:"input"`
	Output *ref   `json:"output"`
	Errors []ref  `json:"errors"`
}

type ref struct {
	Shape             string `json:"shape"`
	Documentation     string `json:"documentation"`
	LocationName      string `json:"locationName"`
	JSONName          string `json:"jsonName"`
	Deprecated        bool   `json:"deprecated"`
	DeprecatedMessage string `json:"deprecatedMessage"`
}

type shape struct {
	Type              string          `json:"type"`
	Members           map[string]*ref `json:"members"`
	Required          []string        `json:"required"`
	Member            *ref            `json:"member"`
	Key               *ref            `json:"key"`
	Value             *ref            `json:"value"`
	Enum              []string        `json:"enum"`
	Exception         bool            `json:"exception"`
	Document          bool            `json:"document"`
	Min               *json.Number    `json:"min"`
	Max               *json.Number    `json:"max"`
	Pattern           string          `json:"pattern"`
	Documentation     string          `json:"documentation"`
	Deprecated        bool            `json:"deprecated"`
	DeprecatedMessage string          `json:"deprecatedMessage"`
}

func loadModel(path string) (*model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var m model
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Shapes) == 0 || len(m.Operations) == 0 {
		return nil, fmt.Errorf("%s: no shapes or operations; is this a botocore service-2 model?", path)
	}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	return &m, nil
}

// ---------------------------------------------------------------------------
// Generator

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
	fmt.Fprintf(b, "// Code generated by gen from the botocore %s model (apiVersion %s); DO NOT EDIT.\n\n",
		g.m.Metadata.ServiceID, g.m.Metadata.APIVersion)
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

	required := map[string]bool{}
	for _, r := range s.Required {
		if _, ok := s.Members[r]; !ok {
			return fmt.Errorf("shape %s: required member %q is not a member", name, r)
		}
		required[r] = true
	}

	var fields []field
	used := map[string]bool{}
	for _, mn := range sortedKeys(s.Members) {
		r := s.Members[mn]
		gt, err := g.goType(r.Shape, true)
		if err != nil {
			return fmt.Errorf("shape %s member %s: %w", name, mn, err)
		}
		jn := mn
		if r.JSONName != "" {
			jn = r.JSONName
		} else if r.LocationName != "" {
			jn = r.LocationName
		}
		if strings.ContainsAny(jn, "\",`") {
			return fmt.Errorf("shape %s member %s: wire name %q cannot be a json tag", name, mn, jn)
		}
		fn := exportedIdent(mn)
		for i := 2; used[fn]; i++ {
			fn = fmt.Sprintf("%s%d", exportedIdent(mn), i)
		}
		used[fn] = true
		fields = append(fields, field{member: mn, goName: fn, goType: gt, jsonName: jn, ref: r, required: required[mn]})
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

func (g *generator) errorTable(b *bytes.Buffer, names []string) {
	fmt.Fprintf(b, "// %sErrorTypes lists the model's exception shapes, sorted. They are not\n", g.prefix)
	b.WriteString("// emitted as structs: errors go on the wire as {\"__type\":T,\"message\":M}.\n")
	for _, n := range names {
		var others []string
		for _, mn := range sortedKeys(g.m.Shapes[n].Members) {
			if mn != "message" {
				others = append(others, mn)
			}
		}
		if len(others) > 0 {
			fmt.Fprintf(b, "// %s also models %s.\n", n, strings.Join(others, ", "))
		}
	}
	fmt.Fprintf(b, "var %sErrorTypes = []string{\n", g.prefix)
	for _, n := range names {
		fmt.Fprintf(b, "\t%q,\n", n)
	}
	b.WriteString("}\n\n")
}

func (g *generator) requiredTable(b *bytes.Buffer) {
	fmt.Fprintf(b, "// %sRequired maps each structure shape that has required members to\n", g.prefix)
	b.WriteString("// their wire (json) names, sorted. Exceptions are left out.\n")
	fmt.Fprintf(b, "var %sRequired = map[string][]string{\n", g.prefix)
	for _, name := range g.names {
		s := g.m.Shapes[name]
		if s.Type != "structure" || s.Exception || len(s.Required) == 0 {
			continue
		}
		req := make([]string, 0, len(s.Required))
		for _, r := range s.Required {
			req = append(req, wireName(r, s.Members[r]))
		}
		sort.Strings(req)
		fmt.Fprintf(b, "\t%q: {", g.typeName[name])
		for i, r := range req {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%q", r)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
}

func wireName(member string, r *ref) string {
	switch {
	case r == nil:
		return member
	case r.JSONName != "":
		return r.JSONName
	case r.LocationName != "":
		return r.LocationName
	}
	return member
}

// rangeOf returns the fields of the Range literal for shape name, or "" if the
// shape and its elements are unconstrained.
func (g *generator) rangeOf(name string) (string, error) {
	s, err := g.shape(name)
	if err != nil {
		return "", err
	}
	var parts []string
	if s.Min != nil || s.Max != nil || s.Pattern != "" {
		switch s.Type {
		case "string", "blob", "list", "map":
			parts = append(parts, "Length: true")
		}
		if s.Min != nil {
			parts = append(parts, "HasMin: true", "Min: "+s.Min.String())
		}
		if s.Max != nil {
			parts = append(parts, "HasMax: true", "Max: "+s.Max.String())
		}
		if s.Pattern != "" {
			parts = append(parts, fmt.Sprintf("Pattern: %q", s.Pattern))
		}
	}
	var elem string
	switch s.Type {
	case "list":
		elem, err = g.rangeOf(s.Member.Shape)
	case "map":
		elem, err = g.rangeOf(s.Value.Shape)
	}
	if err != nil {
		return "", err
	}
	if elem != "" {
		parts = append(parts, "Elem: &Range{"+elem+"}")
	}
	if len(parts) == 0 {
		return "", nil
	}
	return fmt.Sprintf("Shape: %q, %s", name, strings.Join(parts, ", ")), nil
}

func (g *generator) rangeTable(b *bytes.Buffer) error {
	b.WriteString(`// Range is a min/max/pattern constraint the model puts on a member's
// target shape.
type Range struct {
	// Shape is the constrained model shape, e.g. "PortNumber".
	Shape string
	// Length is true when Min and Max bound a length (characters of a
	// string, elements of a list, entries of a map, bytes of a blob) rather
	// than a numeric value.
	Length bool
	HasMin bool
	Min    float64
	HasMax bool
	Max    float64
	// Pattern is the model's regular expression, if any. Model patterns are
	// unanchored and Go regexp syntax compatible.
	Pattern string
	// Elem constrains each element of a list or value of a map, if non-nil.
	Elem *Range
}

`)
	fmt.Fprintf(b, "// %sRanges maps structure shape -> member wire name -> the constraint on\n", g.prefix)
	b.WriteString("// that member, for the members whose shapes (or elements) are constrained.\n")
	fmt.Fprintf(b, "var %sRanges = map[string]map[string]Range{\n", g.prefix)
	for _, name := range g.names {
		s := g.m.Shapes[name]
		if s.Type != "structure" || s.Exception || s.Document {
			continue
		}
		var lines []string
		for _, mn := range sortedKeys(s.Members) {
			r := s.Members[mn]
			lit, err := g.rangeOf(r.Shape)
			if err != nil {
				return fmt.Errorf("shape %s member %s: %w", name, mn, err)
			}
			if lit != "" {
				lines = append(lines, fmt.Sprintf("\t\t%q: {%s},\n", wireName(mn, r), lit))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(b, "\t%q: {\n", g.typeName[name])
		for _, l := range lines {
			b.WriteString(l)
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n\n")
	return nil
}

func (g *generator) opsTable(b *bytes.Buffer) {
	md := g.m.Metadata
	fmt.Fprintf(b, "// %sTargetPrefix is the X-Amz-Target prefix of the %s API: a request names\n", g.prefix, md.ServiceID)
	fmt.Fprintf(b, "// its operation as \"<%sTargetPrefix>.<Operation>\".\n", g.prefix)
	fmt.Fprintf(b, "const %sTargetPrefix = %q\n\n", g.prefix, md.TargetPrefix)
	fmt.Fprintf(b, "// %sAPIVersion is the model's apiVersion.\n", g.prefix)
	fmt.Fprintf(b, "const %sAPIVersion = %q\n\n", g.prefix, md.APIVersion)

	ops := sortedKeys(g.m.Operations)
	fmt.Fprintf(b, "// %sOperations lists the names of all %d operations, sorted.\n", g.prefix, len(ops))
	fmt.Fprintf(b, "var %sOperations = []string{\n", g.prefix)
	for _, name := range ops {
		fmt.Fprintf(b, "\t%q,\n", g.m.Operations[name].Name)
	}
	b.WriteString("}\n\n")

	b.WriteString(`// OperationShapes names an operation's input and output shapes, which are
// also the names of their Go types in this package, and the error types the
// model says it can return. An empty Input or Output means the operation has
// none.
type OperationShapes struct {
	Input  string
	Output string
	Errors []string
}

`)
	fmt.Fprintf(b, "// %sOperationShapes maps each operation name to its shapes.\n", g.prefix)
	fmt.Fprintf(b, "var %sOperationShapes = map[string]OperationShapes{\n", g.prefix)
	for _, name := range ops {
		op := g.m.Operations[name]
		var in, out string
		if op.Input != nil {
			in = g.typeName[op.Input.Shape]
		}
		if op.Output != nil {
			out = g.typeName[op.Output.Shape]
		}
		var errs []string
		for _, e := range op.Errors {
			errs = append(errs, fmt.Sprintf("%q", e.Shape))
		}
		sort.Strings(errs)
		fmt.Fprintf(b, "\t%q: {Input: %q, Output: %q, Errors: []string{%s}},\n",
			op.Name, in, out, strings.Join(errs, ", "))
	}
	b.WriteString("}\n")
}

// ---------------------------------------------------------------------------
// Comments

const maxDoc = 240 // characters of documentation kept per comment

// typeComment writes the comment of type name: "<name>: <first sentence of
// doc>", or plain if doc is empty, then each of extra as its own paragraph.
func typeComment(b *bytes.Buffer, name, doc, plain string, extra []string) {
	var paras []string
	if text := firstSentence(cleanDoc(doc)); text != "" {
		paras = append(paras, name+": "+text)
		paras = append(paras, extra...)
	} else {
		paras = append(paras, plain)
	}
	for i, p := range paras {
		if i > 0 {
			b.WriteString("//\n")
		}
		for _, line := range wrap(p, 77) {
			b.WriteString("// " + line + "\n")
		}
	}
}

// fieldComment writes the comment of a struct field: lead, then the first
// sentence of doc, then extra.
func fieldComment(b *bytes.Buffer, lead, doc string, extra []string) {
	words := []string{lead, firstSentence(cleanDoc(doc))}
	words = append(words, extra...)
	text := strings.Join(words, " ")
	for _, line := range wrap(text, 73) {
		b.WriteString("\t// " + line + "\n")
	}
}

var (
	blockTag  = regexp.MustCompile(`(?i)</?(p|li|ul|ol|br|div|note|important|dl|dt|dd|h[1-6]|table|tr|td|th)\b[^>]*>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
	spaceRuns = regexp.MustCompile(`\s+`)
)

// cleanDoc turns model documentation (HTML) into one line of plain text.
func cleanDoc(doc string) string {
	doc = blockTag.ReplaceAllString(doc, " ")
	doc = anyTag.ReplaceAllString(doc, "")
	doc = html.UnescapeString(doc)
	doc = spaceRuns.ReplaceAllString(doc, " ")
	return strings.TrimSpace(doc)
}

// abbreviations end in a period without ending a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "etc.": true, "vs.": true, "approx.": true,
	"no.": true, "inc.": true, "(e.g.": true, "(i.e.": true, "mr.": true,
}

// firstSentence returns the first sentence of s, cut at a word boundary with
// "..." if longer than maxDoc.
func firstSentence(s string) string {
	end := len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		if i+1 < len(s) && s[i+1] != ' ' {
			continue // "1.5", "ecs.amazonaws.com", ".json"
		}
		word := s[strings.LastIndexByte(s[:i], ' ')+1 : i+1]
		if abbreviations[strings.ToLower(word)] {
			continue
		}
		end = i + 1
		break
	}
	s = s[:end]
	if len(s) > maxDoc {
		cut := strings.LastIndexByte(s[:maxDoc], ' ')
		if cut < maxDoc/2 {
			cut = maxDoc
		}
		s = strings.TrimRight(s[:cut], " ,;:") + "..."
	}
	return s
}

// wrap splits s into lines of at most width characters where possible.
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(s) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// ---------------------------------------------------------------------------
// Identifiers

// splitWords splits s at every run of characters that are not letters or
// digits.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// exportedIdent makes a valid exported Go identifier from a shape or member
// name: clusterArn -> ClusterArn, foo-bar -> FooBar. Letters after the first
// of each word are kept as they are.
func exportedIdent(s string) string {
	var b strings.Builder
	for _, w := range splitWords(s) {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return fixIdent(b.String())
}

// enumValueIdent camel-cases an enum value for use after its type name:
// EC2 -> Ec2, MANAGED_INSTANCES -> ManagedInstances, json-file -> JsonFile,
// awsvpc -> Awsvpc. A word without lower-case letters is title-cased; a
// mixed-case word keeps its inner capitals.
func enumValueIdent(v string) string {
	var b strings.Builder
	for _, w := range splitWords(v) {
		r := []rune(w)
		if !strings.ContainsFunc(w, unicode.IsLower) {
			for i := range r {
				r[i] = unicode.ToLower(r[i])
			}
		}
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	if b.Len() == 0 {
		return "Empty"
	}
	return b.String()
}

func fixIdent(s string) string {
	if s == "" {
		return "X"
	}
	if r := []rune(s)[0]; !unicode.IsLetter(r) || !unicode.IsUpper(r) {
		s = "X" + s
	}
	if !token.IsIdentifier(s) || !token.IsExported(s) {
		panic(errors.New("cannot make an exported identifier from " + s))
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

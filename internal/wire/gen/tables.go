package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

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

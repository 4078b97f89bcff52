package main

import (
	"bytes"
	"errors"
	"go/token"
	"html"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

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

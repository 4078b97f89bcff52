package awsjson

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// Credentials resolves an access key id to its secret.
type Credentials interface {
	Secret(accessKeyID string) (secret string, ok bool)
}

// StaticCredentials is a fixed access key id → secret map.
type StaticCredentials map[string]string

// Secret implements Credentials. A nil map knows no keys.
func (c StaticCredentials) Secret(accessKeyID string) (string, bool) {
	s, ok := c[accessKeyID]
	return s, ok
}

// LoadCredentialsFile reads access keys for strict mode from path. Two
// formats are accepted, in one file if need be:
//
// Simple lines, one key each, before any [section]:
//
//	# comment (a line starting with '#' or ';')
//	AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//	AKIDOTHER=secret-for-other
//
// that is ACCESS_KEY_ID, then whitespace or '=', then SECRET (split at the
// first '='; surrounding spaces are trimmed).
//
// The AWS shared-credentials INI format, so ~/.aws/credentials works as is:
//
//	[default]
//	aws_access_key_id = AKIDEXAMPLE
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//	aws_session_token = ignored
//
// Every [section] (any name, e.g. [profile ci]) that sets both keys adds one
// access key; other settings are ignored, and a section setting neither key
// (a role profile, say) is skipped. Once a section starts, every following
// line belongs to a section.
//
// Blank lines are ignored. Access key ids may not contain whitespace, '/' or
// ','; secrets may not contain whitespace. One key id defined twice must have
// the same secret both times. A file defining no key is an error, since a
// strict verifier with no keys rejects everything. Errors name path and line
// and never include a secret.
func LoadCredentialsFile(path string) (StaticCredentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	return parseCredentials(f, path)
}

// parseCredentials reads the LoadCredentialsFile format from r; name prefixes
// error messages.
func parseCredentials(r io.Reader, name string) (StaticCredentials, error) {
	p := &credParser{name: name, creds: StaticCredentials{}, definedOn: map[string]int{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // editors on Windows add a BOM
		}
		if err := p.line(n, strings.TrimSpace(text)); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	if err := p.endSection(); err != nil {
		return nil, err
	}
	if len(p.creds) == 0 {
		return nil, fmt.Errorf("%s: no access keys defined", name)
	}
	return p.creds, nil
}

// INI keys of the AWS shared-credentials format.
const (
	iniAccessKeyID     = "aws_access_key_id"
	iniSecretAccessKey = "aws_secret_access_key"
)

// credParser is the state of parseCredentials between lines.
type credParser struct {
	name      string
	creds     StaticCredentials
	definedOn map[string]int // access key id → line it was first defined on

	// The open INI section, if any, and what it has set so far.
	section     string
	sectionLine int
	keyID       string
	keyIDLine   int
	secret      string
	secretLine  int
}

func (p *credParser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

func (p *credParser) line(n int, text string) error {
	switch {
	case text == "" || text[0] == '#' || text[0] == ';':
		return nil
	case text[0] == '[':
		if err := p.endSection(); err != nil {
			return err
		}
		name, ok := strings.CutSuffix(text[1:], "]")
		if name = strings.TrimSpace(name); !ok || name == "" {
			return p.errorf(n, "malformed section header %q: want [name]", text)
		}
		p.section, p.sectionLine = name, n
		return nil
	case p.sectionLine > 0:
		return p.iniLine(n, text)
	default:
		return p.simpleLine(n, text)
	}
}

// simpleLine parses "ACCESS_KEY_ID SECRET" or "ACCESS_KEY_ID=SECRET".
func (p *credParser) simpleLine(n int, text string) error {
	var keyID, secret string
	if k, v, ok := strings.Cut(text, "="); ok {
		keyID, secret = strings.TrimSpace(k), strings.TrimSpace(v)
	} else if fields := strings.Fields(text); len(fields) == 2 {
		keyID, secret = fields[0], fields[1]
	} else {
		return p.errorf(n, "want 'ACCESS_KEY_ID SECRET' or 'ACCESS_KEY_ID=SECRET', got %d fields", len(fields))
	}
	if k := strings.ToLower(keyID); k == iniAccessKeyID || k == iniSecretAccessKey {
		return p.errorf(n, "%s outside a [profile] section", k)
	}
	return p.add(n, keyID, secret)
}

// iniLine parses "key = value" inside a section.
func (p *credParser) iniLine(n int, text string) error {
	k, v, ok := strings.Cut(text, "=")
	if !ok {
		return p.errorf(n, "want 'key = value' in section [%s]", p.section)
	}
	k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
	switch k {
	case iniAccessKeyID:
		if p.keyIDLine > 0 {
			return p.errorf(n, "%s set twice in section [%s] (first on line %d)", k, p.section, p.keyIDLine)
		}
		p.keyID, p.keyIDLine = v, n
	case iniSecretAccessKey:
		if p.secretLine > 0 {
			return p.errorf(n, "%s set twice in section [%s] (first on line %d)", k, p.section, p.secretLine)
		}
		p.secret, p.secretLine = v, n
	}
	return nil
}

// endSection adds the open section's key, if it defines one, and closes it.
func (p *credParser) endSection() error {
	if p.sectionLine == 0 {
		return nil
	}
	defer func() { p.keyID, p.keyIDLine, p.secret, p.secretLine = "", 0, "", 0 }()
	switch {
	case p.keyIDLine == 0 && p.secretLine == 0:
		return nil
	case p.secretLine == 0:
		return p.errorf(p.sectionLine, "section [%s] sets %s but not %s", p.section, iniAccessKeyID, iniSecretAccessKey)
	case p.keyIDLine == 0:
		return p.errorf(p.sectionLine, "section [%s] sets %s but not %s", p.section, iniSecretAccessKey, iniAccessKeyID)
	}
	return p.add(p.keyIDLine, p.keyID, p.secret)
}

func (p *credParser) add(n int, keyID, secret string) error {
	switch {
	case keyID == "":
		return p.errorf(n, "empty access key id")
	case strings.ContainsFunc(keyID, badKeyIDRune):
		// '/' and ',' would break the Credential=AKID/... scope it is sent in.
		return p.errorf(n, "access key id %q contains whitespace, a control character, '/' or ','", keyID)
	case secret == "":
		return p.errorf(n, "empty secret for access key id %q", keyID)
	case strings.ContainsFunc(secret, badSecretRune):
		return p.errorf(n, "secret for access key id %q contains whitespace or a control character", keyID)
	}
	if prev, ok := p.creds[keyID]; ok {
		if prev != secret {
			return p.errorf(n, "access key id %q already defined on line %d with a different secret",
				keyID, p.definedOn[keyID])
		}
		return nil
	}
	p.creds[keyID], p.definedOn[keyID] = secret, n
	return nil
}

func badKeyIDRune(c rune) bool  { return badSecretRune(c) || c == '/' || c == ',' }
func badSecretRune(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }

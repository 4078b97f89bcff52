package awsjson

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestStaticCredentials(t *testing.T) {
	var none StaticCredentials
	if _, ok := none.Secret("x"); ok {
		t.Fatal("nil StaticCredentials knows a key")
	}
	c := StaticCredentials{"a": "s"}
	if s, ok := c.Secret("a"); !ok || s != "s" {
		t.Fatalf("Secret(a) = %q, %v", s, ok)
	}
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    StaticCredentials
		wantErr string
	}{
		{"simple forms", "\uFEFF# berth keys\r\n\r\nAKIDONE  secret/one+x\r\n; another comment\nAKIDTWO=sec=ret\n  AKIDTHREE = three  \n",
			StaticCredentials{"AKIDONE": "secret/one+x", "AKIDTWO": "sec=ret", "AKIDTHREE": "three"}, ""},
		{"shared credentials ini", `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
aws_session_token = ignored
region = us-west-2

[profile ci]
# comment inside a section
AWS_SECRET_ACCESS_KEY=ci-secret
aws_access_key_id=AKIDCI

[assume-role]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = default
`, StaticCredentials{"AKIDDEFAULT": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIDCI": "ci-secret"}, ""},
		{"simple then ini", "AKIDA a\n[p]\naws_access_key_id=AKIDB\naws_secret_access_key=b\n",
			StaticCredentials{"AKIDA": "a", "AKIDB": "b"}, ""},
		{"same key twice, same secret", "AKIDA a\n[p]\naws_access_key_id=AKIDA\naws_secret_access_key=a\n",
			StaticCredentials{"AKIDA": "a"}, ""},

		{"three fields", "AKIDA a b\n", nil, "creds:1: want 'ACCESS_KEY_ID SECRET' or 'ACCESS_KEY_ID=SECRET', got 3 fields"},
		{"one field", "\n\nAKIDA\n", nil, "creds:3: want 'ACCESS_KEY_ID SECRET' or 'ACCESS_KEY_ID=SECRET', got 1 fields"},
		{"empty secret", "AKIDA=\n", nil, `creds:1: empty secret for access key id "AKIDA"`},
		{"empty key id", "=secret\n", nil, "creds:1: empty access key id"},
		{"slash in key id", "AK/ID secret\n", nil,
			`creds:1: access key id "AK/ID" contains whitespace, a control character, '/' or ','`},
		{"space in secret", "AKIDA = a b\n", nil,
			`creds:1: secret for access key id "AKIDA" contains whitespace or a control character`},
		{"ini key outside section", "aws_access_key_id = AKIDA\n", nil, "creds:1: aws_access_key_id outside a [profile] section"},
		{"duplicate with other secret", "AKIDA a\n# x\nAKIDA b\n", nil,
			`creds:3: access key id "AKIDA" already defined on line 1 with a different secret`},
		{"bad section header", "[default\n", nil, `creds:1: malformed section header "[default": want [name]`},
		{"empty section name", "[ ]\n", nil, `creds:1: malformed section header "[ ]": want [name]`},
		{"section without secret", "[a]\naws_access_key_id=AKIDA\n[b]\n", nil,
			"creds:1: section [a] sets aws_access_key_id but not aws_secret_access_key"},
		{"section without key id", "# c\n[a]\naws_secret_access_key=s\n", nil,
			"creds:2: section [a] sets aws_secret_access_key but not aws_access_key_id"},
		{"ini line without equals", "[a]\nAKIDA secret\n", nil, "creds:2: want 'key = value' in section [a]"},
		{"key set twice", "[a]\naws_access_key_id=A\naws_access_key_id=B\n", nil,
			"creds:3: aws_access_key_id set twice in section [a] (first on line 2)"},
		{"empty", "# nothing\n\n", nil, "creds: no access keys defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCredentials(strings.NewReader(tc.input), "creds")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("credentials = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte("AKIDA SECRETONE\nAKIDB b\nAKIDA SECRETTWO\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCredentialsFile(path)
	if want := path + `:3: access key id "AKIDA" already defined on line 1 with a different secret`; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}

	if err := os.WriteFile(path, []byte("[default]\naws_access_key_id=AKIDA\naws_secret_access_key=a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := LoadCredentialsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := creds.Secret("AKIDA"); !ok || s != "a" {
		t.Fatalf("Secret(AKIDA) = %q, %v", s, ok)
	}

	if _, err := LoadCredentialsFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: error = %v, want fs.ErrNotExist", err)
	}
}

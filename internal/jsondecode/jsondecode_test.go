package jsondecode_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-org/berth/internal/jsondecode"
)

// record has the kinds of field berth's stored records and messages use
// (none uses the ",string" option, whose edge cases v2 decodes more
// leniently: "+0" into an int64, for one).
type record struct {
	ID    string            `json:"id"`
	Count int               `json:"count,omitempty"`
	Small uint8             `json:"small"`
	Ratio float64           `json:"ratio"`
	On    bool              `json:"on"`
	At    time.Time         `json:"at"`
	Wait  time.Duration     `json:"wait"`
	Tags  map[string]string `json:"tags"`
	List  []string          `json:"list"`
	Ptr   *int              `json:"ptr"`
	Raw   json.RawMessage   `json:"raw"`
	Any   any               `json:"any"`
	Inner struct{ Name string }
}

var inputs = map[string]string{
	"every field":              `{"id":"a","count":3,"small":7,"ratio":0.5,"on":true,"at":"2026-11-22T10:00:00Z","wait":1500000000,"tags":{"k":"v"},"list":["x","y"],"ptr":4,"raw":{"n":[1,2]},"any":[1,"s",null],"Inner":{"Name":"n"}}`,
	"names match any case":     `{"ID":"a","COUNT":2,"inner":{"name":"n"}}`,
	"unknown fields":           `{"id":"a","other":{"deep":[1,2,3]},"more":null}`,
	"null fields":              `{"id":null,"list":null,"tags":null,"ptr":null,"raw":null}`,
	"duplicate names":          `{"id":"a","id":"b"}`,
	"escapes":                  `{"id":"\u00e9\n\"q\"\ud83d\ude00"}`,
	"invalid UTF-8 is kept":    "{\"id\":\"\xff\"}",
	"empty object":             `{}`,
	"overflow":                 `{"small":300}`,
	"wrong type":               `{"count":"3"}`,
	"bad time":                 `{"at":"yesterday"}`,
	"truncated":                `{"id":"a"`,
	"trailing data":            `{"id":"a"} {}`,
	"not an object":            `[1,2]`,
	"bare null":                `null`,
	"empty input":              ``,
	"leading and trailing ws":  " \n{\"id\":\"a\"}\t ",
	"number forms":             `{"ratio":-1.25e-3,"count":-0}`,
	"nested unknown of arrays": `{"x":[[[{"y":[]}]]],"id":"z"}`,
}

// Unmarshal decodes, and refuses, what encoding/json does.
func TestUnmarshalAgreesWithEncodingJSON(t *testing.T) {
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) { agree(t, []byte(in)) })
	}
}

// FuzzUnmarshalAgreesWithEncodingJSON checks the same for any input.
func FuzzUnmarshalAgreesWithEncodingJSON(f *testing.F) {
	for _, in := range inputs {
		f.Add([]byte(in))
	}
	f.Fuzz(agree)
}

func agree(t *testing.T, in []byte) {
	var want, got record
	wantErr := json.Unmarshal(in, &want)
	gotErr := jsondecode.Unmarshal(in, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("input %q: encoding/json error %v, jsondecode error %v", in, wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("input %q decoded differently (-encoding/json +jsondecode):\n%s", in, diff)
	}
}

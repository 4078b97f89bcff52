package ecs

import (
	"strings"
	"unicode/utf8"
)

// Tag limits (TagResourceRequest.tags in the ECS model).
const (
	MaxTags           = 50
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
	reservedTagPrefix = "aws:"
)

// Tag is a user-defined key and value on a resource.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ValidateTags checks tags as TagResource and the create actions do: key
// length 1–128, value length 0–256 (in characters), no duplicate keys, and
// no keys starting with the reserved "aws:" prefix.
func ValidateTags(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Key)
		switch {
		case n == 0:
			return InvalidParameter("Tag keys must be between 1 and %d characters long.", MaxTagKeyLength)
		case n > MaxTagKeyLength:
			return InvalidParameter("Tag key %q is longer than %d characters.", t.Key, MaxTagKeyLength)
		case utf8.RuneCountInString(t.Value) > MaxTagValueLength:
			return InvalidParameter("The value of tag %q is longer than %d characters.", t.Key, MaxTagValueLength)
		case strings.HasPrefix(strings.ToLower(t.Key), reservedTagPrefix):
			return InvalidParameter("Tag keys beginning with 'aws:' are reserved for system use: %q.", t.Key)
		case seen[t.Key]:
			return InvalidParameter("Duplicate tag key %q.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// MergeTags returns current with add applied: existing keys take the new
// value, new keys are appended. It fails if the result would exceed MaxTags.
func MergeTags(current, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), current...)
	index := make(map[string]int, len(out))
	for i, t := range out {
		index[t.Key] = i
	}
	for _, t := range add {
		if i, ok := index[t.Key]; ok {
			out[i].Value = t.Value
			continue
		}
		index[t.Key] = len(out)
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, InvalidParameter("A resource can have at most %d tags; this request would leave it with %d.", MaxTags, len(out))
	}
	return out, nil
}

// RemoveTags returns current without the given keys. Unknown keys are
// ignored, as in UntagResource.
func RemoveTags(current []Tag, keys []string) []Tag {
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[k] = true
	}
	out := make([]Tag, 0, len(current))
	for _, t := range current {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

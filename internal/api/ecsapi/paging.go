package ecsapi

import (
	"encoding/base64"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
)

// Page size limits from the ECS model.
const (
	defaultMaxResults = 100
	maxMaxResults     = 100
)

// pageSize validates maxResults and applies the default.
func pageSize(maxResults *int32, def, max int) (int, error) {
	if maxResults == nil {
		return def, nil
	}
	n := int(*maxResults)
	if n < 1 || n > max {
		return 0, ecs.InvalidParameter("maxResults must be between 1 and %d.", max)
	}
	return n, nil
}

// Tokens are opaque to clients: a versioned, base64-encoded resume key.
// The version prefix lets the format change without breaking a client
// paginating across an upgrade: an unknown version is rejected clearly.
const tokenVersion = "v1:"

func encodeToken(after string) *string {
	if after == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte(tokenVersion + after))
	return &t
}

// decodeToken returns the resume key of a nextToken; an absent token means
// the first page. A token must resume within prefix, the listing it came
// from.
func decodeToken(token *string, prefix string) (string, error) {
	if token == nil || *token == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*token)
	after, ok := strings.CutPrefix(string(raw), tokenVersion)
	if err != nil || !ok || !strings.HasPrefix(after, prefix) {
		return "", ecs.InvalidParameter("Invalid nextToken; pass the nextToken from the previous page of this listing unchanged.")
	}
	return after, nil
}

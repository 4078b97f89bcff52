package ecs

import "regexp"

// MaxNameLength bounds cluster, service, family and container names.
const MaxNameLength = 255

// namePattern is ECS's name charset: "Up to 255 letters (uppercase and
// lowercase), numbers, underscores, and hyphens are allowed."
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// ValidName reports whether s is a valid ECS resource name.
func ValidName(s string) bool { return len(s) <= MaxNameLength && namePattern.MatchString(s) }

// str is the value of an optional wire string; absent reads as "".
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

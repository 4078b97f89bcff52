// Package version holds berth's version, set at link time:
//
//	go build -ldflags "-X github.com/berth-org/berth/internal/version.Version=v0.1.0" ./cmd/berth
package version

import "runtime/debug"

// Version is the release name; "dev" for builds from a work tree.
var Version = "dev"

// String is the version with the VCS revision when the build recorded one.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		return Version
	case dirty:
		return Version + " (" + rev + "-dirty)"
	default:
		return Version + " (" + rev + ")"
	}
}

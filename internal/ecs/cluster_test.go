package ecs

import (
	"fmt"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/wire"
)

func settings(nameValues ...string) []wire.ClusterSetting {
	var out []wire.ClusterSetting
	for i := 0; i+1 < len(nameValues); i += 2 {
		out = append(out, wire.ClusterSetting{Name: wire.ClusterSettingName(nameValues[i]), Value: new(nameValues[i+1])})
	}
	return out
}

func TestValidateClusterSettings(t *testing.T) {
	badName := func(n string) string {
		return fmt.Sprintf("Cluster setting name %q is not valid. Valid names: containerInsights, lostInstanceTimeout.", n)
	}
	badLost := func(v string) string {
		return fmt.Sprintf("Cluster setting lostInstanceTimeout must be disabled or a whole number of seconds from 10 to 86400; got %q.", v)
	}
	tests := []struct {
		name     string
		settings []wire.ClusterSetting
		msg      string // "" when valid
	}{
		{name: "none"},
		{name: "containerInsights enhanced", settings: settings("containerInsights", "enhanced")},
		{name: "lostInstanceTimeout disabled", settings: settings("lostInstanceTimeout", "disabled")},
		{name: "lostInstanceTimeout at its least, 10 s", settings: settings("lostInstanceTimeout", "10")},
		{name: "lostInstanceTimeout at its most, a day", settings: settings("lostInstanceTimeout", "86400")},
		{name: "both", settings: settings("containerInsights", "enabled", "lostInstanceTimeout", "300")},
		{name: "an unknown name", settings: settings("insights", "enabled"), msg: badName("insights")},
		{name: "names are case-sensitive", settings: settings("LostInstanceTimeout", "300"), msg: badName("LostInstanceTimeout")},
		{name: "containerInsights on", settings: settings("containerInsights", "on"), msg: "Cluster setting containerInsights must be enabled, disabled or enhanced."},
		{name: "lostInstanceTimeout 9 s", settings: settings("lostInstanceTimeout", "9"), msg: badLost("9")},
		{name: "lostInstanceTimeout 0", settings: settings("lostInstanceTimeout", "0"), msg: badLost("0")},
		{name: "lostInstanceTimeout over a day", settings: settings("lostInstanceTimeout", "86401"), msg: badLost("86401")},
		{name: "lostInstanceTimeout with a unit", settings: settings("lostInstanceTimeout", "300s"), msg: badLost("300s")},
		{name: "lostInstanceTimeout negative", settings: settings("lostInstanceTimeout", "-300"), msg: badLost("-300")},
		{name: "lostInstanceTimeout fractional", settings: settings("lostInstanceTimeout", "30.5"), msg: badLost("30.5")},
		{name: "lostInstanceTimeout of 20 digits", settings: settings("lostInstanceTimeout", "99999999999999999999"), msg: badLost("99999999999999999999")},
		{name: "lostInstanceTimeout empty", settings: settings("lostInstanceTimeout", ""), msg: badLost("")},
		{name: "lostInstanceTimeout without a value", settings: []wire.ClusterSetting{{Name: ClusterSettingLostInstanceTimeout}}, msg: badLost("")},
		{name: "lostInstanceTimeout Disabled", settings: settings("lostInstanceTimeout", "Disabled"), msg: badLost("Disabled")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateClusterSettings(tt.settings)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			wantError(t, err, CodeInvalidParameter, tt.msg)
		})
	}
}

func TestClusterLostInstanceTimeout(t *testing.T) {
	tests := []struct {
		name     string
		settings []wire.ClusterSetting
		want     time.Duration
	}{
		{"not set: disabled", settings("containerInsights", "enabled"), 0},
		{"disabled", settings("lostInstanceTimeout", "disabled"), 0},
		{"300 s", settings("containerInsights", "enabled", "lostInstanceTimeout", "300"), 300 * time.Second},
		{"an unreadable stored value counts as disabled", settings("lostInstanceTimeout", "soon"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cluster{Settings: tt.settings}
			if got := c.LostInstanceTimeout(); got != tt.want {
				t.Errorf("LostInstanceTimeout = %s, want %s", got, tt.want)
			}
		})
	}
}

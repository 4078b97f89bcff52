package ecs

import (
	"slices"
	"strings"

	"github.com/berth-org/berth/internal/wire"
)

// AccountSetting is one stored account setting. An empty Principal marks
// the account default (PutAccountSettingDefault), which applies to every
// principal without an explicit setting of its own.
type AccountSetting struct {
	Name      wire.SettingName `json:"name"`
	Value     string           `json:"value"`
	Principal string           `json:"principal,omitempty"`
}

// accountSettingValues lists the values each setting accepts, from the
// PutAccountSetting documentation, and its default when nobody set it.
var accountSettingValues = map[wire.SettingName]struct {
	accepted []string
	def      string
}{
	// berth always issues long ARNs; the three format settings are stored
	// and echoed so tools that set them keep working, and change nothing.
	wire.SettingNameServiceLongArnFormat:            {[]string{"enabled", "disabled"}, "enabled"},
	wire.SettingNameTaskLongArnFormat:               {[]string{"enabled", "disabled"}, "enabled"},
	wire.SettingNameContainerInstanceLongArnFormat:  {[]string{"enabled", "disabled"}, "enabled"},
	wire.SettingNameAwsvpcTrunking:                  {[]string{"enabled", "disabled"}, "disabled"},
	wire.SettingNameContainerInsights:               {[]string{"enabled", "disabled", "enhanced"}, "disabled"},
	wire.SettingNameFargateFIPSMode:                 {[]string{"enabled", "disabled"}, "disabled"},
	wire.SettingNameTagResourceAuthorization:        {[]string{"on", "off"}, "on"},
	wire.SettingNameFargateTaskRetirementWaitPeriod: {[]string{"0", "7", "14"}, "7"},
	wire.SettingNameGuardDutyActivate:               {[]string{"on", "off"}, "off"},
	wire.SettingNameDefaultLogDriverMode:            {[]string{"blocking", "non-blocking"}, "non-blocking"},
	wire.SettingNameFargateEventWindows:             {[]string{"enabled", "disabled"}, "disabled"},
}

// AccountSettingNames is every setting name, in the model's order.
func AccountSettingNames() []wire.SettingName { return wire.SettingName("").Values() }

// DefaultAccountSettingValue is the value of a setting nobody has set.
func DefaultAccountSettingValue(name wire.SettingName) string { return accountSettingValues[name].def }

// ValidateAccountSettingName checks a setting name.
func ValidateAccountSettingName(name wire.SettingName) error {
	if _, ok := accountSettingValues[name]; !ok {
		return InvalidParameter("Invalid account setting name %q. Valid names: %s.", name, joinNames(AccountSettingNames()))
	}
	return nil
}

// ValidateAccountSetting checks a setting name and the value given for it.
func ValidateAccountSetting(name wire.SettingName, value string) error {
	if err := ValidateAccountSettingName(name); err != nil {
		return err
	}
	accepted := accountSettingValues[name].accepted
	if !slices.Contains(accepted, value) {
		return InvalidParameter("Invalid value %q for account setting %s. Valid values: %s.", value, name, strings.Join(accepted, ", "))
	}
	return nil
}

func joinNames(names []wire.SettingName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

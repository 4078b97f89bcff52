package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Account settings are account-wide state on the shared server. Every
// parallel test here works on an IAM role of its own (rolePrincipal) and
// only reads the root's settings; the root's own settings, which are also
// the account default, change only in TestAccountSettingDefaults, which is
// not parallel and so never overlaps a parallel test.

// rootPrincipal is the principal a settings call without principalArn means.
const rootPrincipal = "arn:aws:iam::" + testAccount + ":root"

// rolePrincipal is an IAM role ARN no other test uses.
func rolePrincipal(t testing.TB) string {
	return "arn:aws:iam::" + testAccount + ":role/" + uniqueName(t, "role")
}

// accountSettings is every setting, in the API model's order, with the
// value it has when nobody set it and the values it accepts.
var accountSettings = []struct {
	name     types.SettingName
	def      string
	accepted []string
}{
	{types.SettingNameServiceLongArnFormat, "enabled", []string{"enabled", "disabled"}},
	{types.SettingNameTaskLongArnFormat, "enabled", []string{"enabled", "disabled"}},
	{types.SettingNameContainerInstanceLongArnFormat, "enabled", []string{"enabled", "disabled"}},
	{types.SettingNameAwsvpcTrunking, "disabled", []string{"enabled", "disabled"}},
	{types.SettingNameContainerInsights, "disabled", []string{"enabled", "disabled", "enhanced"}},
	{types.SettingNameFargateFipsMode, "disabled", []string{"enabled", "disabled"}},
	{types.SettingNameTagResourceAuthorization, "on", []string{"on", "off"}},
	{types.SettingNameFargateTaskRetirementWaitPeriod, "7", []string{"0", "7", "14"}},
	{types.SettingNameGuardDutyActivate, "off", []string{"on", "off"}},
	{types.SettingNameDefaultLogDriverMode, "non-blocking", []string{"blocking", "non-blocking"}},
	{types.SettingNameFargateEventWindows, "disabled", []string{"enabled", "disabled"}},
}

// settingOf builds the Setting the API should answer.
func settingOf(name types.SettingName, value, principal string, typ types.SettingType) types.Setting {
	return types.Setting{Name: name, Value: aws.String(value), PrincipalArn: aws.String(principal), Type: typ}
}

// putSetting sets a principal's own setting ("" means the default, root).
func putSetting(t testing.TB, principal string, name types.SettingName, value string) types.Setting {
	t.Helper()
	in := &ecs.PutAccountSettingInput{Name: name, Value: aws.String(value)}
	if principal != "" {
		in.PrincipalArn = aws.String(principal)
	}
	out, err := client(t).PutAccountSetting(ctx(t), in)
	if err != nil {
		t.Fatalf("PutAccountSetting(%s, %s=%s): %v", principal, name, value, err)
	}
	return *out.Setting
}

// listSettings pages through ListAccountSettings with the SDK paginator and
// checks the pages: none longer than the page size, only the last one
// short, and no token on the last page.
func listSettings(t testing.TB, in *ecs.ListAccountSettingsInput) []types.Setting {
	t.Helper()
	size := int32(10)
	if in.MaxResults != 0 {
		size = in.MaxResults
	}
	p := ecs.NewListAccountSettingsPaginator(client(t), in)
	var all []types.Setting
	for page := 1; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListAccountSettings page %d: %v", page, err)
		}
		last := out.NextToken == nil
		if n := int32(len(out.Settings)); n > size || (!last && n != size) {
			t.Fatalf("page %d has %d settings and token %v; want %d on every page but the last", page, n, out.NextToken, size)
		}
		all = append(all, out.Settings...)
	}
	return all
}

// ownSettings lists the settings a principal set itself.
func ownSettings(t testing.TB, principal string) []types.Setting {
	t.Helper()
	return listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(principal)})
}

// effectiveSettings lists every setting in force for a principal.
func effectiveSettings(t testing.TB, principal string) []types.Setting {
	t.Helper()
	return listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(principal), EffectiveSettings: true})
}

// inherited is the effective setting of a principal without its own: the
// root's effective setting, reported for the principal.
func inherited(root types.Setting, principal string) types.Setting {
	root.PrincipalArn = aws.String(principal)
	return root
}

func wantSettings(t testing.TB, got, want []types.Setting) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings =\n%s\nwant\n%s", dump(got), dump(want))
	}
}

// --- PutAccountSetting ---

func TestPutAccountSetting(t *testing.T) {
	t.Parallel()
	for _, s := range accountSettings {
		for _, value := range s.accepted {
			t.Run(fmt.Sprintf("%s accepts %s", s.name, value), func(t *testing.T) {
				t.Parallel()
				role := rolePrincipal(t)
				want := settingOf(s.name, value, role, types.SettingTypeUser)
				wantSettings(t, []types.Setting{putSetting(t, role, s.name, value)}, []types.Setting{want})
				wantSettings(t, ownSettings(t, role), []types.Setting{want})
			})
		}
	}

	t.Run("a second put overwrites the first", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameContainerInsights, "enabled")
		putSetting(t, role, types.SettingNameContainerInsights, "enhanced")
		wantSettings(t, ownSettings(t, role), []types.Setting{settingOf(types.SettingNameContainerInsights, "enhanced", role, types.SettingTypeUser)})
	})
}

func TestAccountSettingChangesRejectInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	var names []string
	for _, s := range accountSettings {
		names = append(names, string(s.name))
	}
	badName := `Invalid account setting name "bogus". Valid names: ` + strings.Join(names, ", ") + "."
	type call func(t *testing.T, role string) error
	put := func(name types.SettingName, value string) call {
		return func(t *testing.T, role string) error {
			_, err := c.PutAccountSetting(ctx(t), &ecs.PutAccountSettingInput{Name: name, Value: aws.String(value), PrincipalArn: aws.String(role)})
			return err
		}
	}
	tests := []struct {
		name string
		call call
		msg  string
	}{
		{name: "PutAccountSetting with an unknown name", call: put("bogus", "enabled"), msg: badName},
		{
			name: "PutAccountSetting with an unknown principal kind",
			call: func(t *testing.T, _ string) error {
				_, err := c.PutAccountSetting(ctx(t), &ecs.PutAccountSettingInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled"), PrincipalArn: aws.String("arn:aws:s3:::bucket")})
				return err
			},
			msg: `principalArn must be the ARN of an IAM user, role or the root user, got "arn:aws:s3:::bucket".`,
		},
		{
			name: "PutAccountSetting with a principal that is not an ARN",
			call: func(t *testing.T, _ string) error {
				_, err := c.PutAccountSetting(ctx(t), &ecs.PutAccountSettingInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled"), PrincipalArn: aws.String("alice")})
				return err
			},
			msg: `principalArn must be the ARN of an IAM user, role or the root user, got "alice".`,
		},
		{
			name: "PutAccountSettingDefault with an unknown name",
			call: func(t *testing.T, _ string) error {
				_, err := c.PutAccountSettingDefault(ctx(t), &ecs.PutAccountSettingDefaultInput{Name: "bogus", Value: aws.String("enabled")})
				return err
			},
			msg: badName,
		},
		{
			name: "PutAccountSettingDefault with a value the setting does not accept",
			call: func(t *testing.T, _ string) error {
				_, err := c.PutAccountSettingDefault(ctx(t), &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("on")})
				return err
			},
			msg: `Invalid value "on" for account setting containerInsights. Valid values: enabled, disabled, enhanced.`,
		},
		{
			name: "DeleteAccountSetting with an unknown name",
			call: func(t *testing.T, role string) error {
				_, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: "bogus", PrincipalArn: aws.String(role)})
				return err
			},
			msg: badName,
		},
		{
			name: "DeleteAccountSetting with a principal that is not an ARN",
			call: func(t *testing.T, _ string) error {
				_, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights, PrincipalArn: aws.String("alice")})
				return err
			},
			msg: `principalArn must be the ARN of an IAM user, role or the root user, got "alice".`,
		},
	}
	// Every setting refuses a value from another setting's vocabulary.
	for _, s := range accountSettings {
		bad := "enabled"
		if slices.Contains(s.accepted, bad) {
			bad = "on"
		}
		tests = append(tests, struct {
			name string
			call call
			msg  string
		}{
			name: fmt.Sprintf("PutAccountSetting %s to %s", s.name, bad),
			call: put(s.name, bad),
			msg:  fmt.Sprintf("Invalid value %q for account setting %s. Valid values: %s.", bad, s.name, strings.Join(s.accepted, ", ")),
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			role := rolePrincipal(t)
			putSetting(t, role, types.SettingNameAwsvpcTrunking, "enabled")
			before := ownSettings(t, role)
			wantAPIError[*types.InvalidParameterException](t, tt.call(t, role), tt.msg)
			wantSettings(t, ownSettings(t, role), before)
		})
	}
}

// The SDK refuses to send a request without its required members, and
// omits a zero maxResults, so these go over raw, signed HTTP.
func TestAccountSettingsRejectWhatTheSDKWillNotSend(t *testing.T) {
	t.Parallel()
	role := rolePrincipal(t)
	tests := []struct {
		name, op, body, msg string
	}{
		{name: "PutAccountSetting without name", op: "PutAccountSetting", body: `{"value":"enabled","principalArn":"` + role + `"}`, msg: "name is required."},
		{name: "PutAccountSetting without value", op: "PutAccountSetting", body: `{"name":"containerInsights","principalArn":"` + role + `"}`, msg: "value is required."},
		{name: "PutAccountSettingDefault without name", op: "PutAccountSettingDefault", body: `{"value":"enabled"}`, msg: "name is required."},
		{name: "PutAccountSettingDefault without value", op: "PutAccountSettingDefault", body: `{"name":"containerInsights"}`, msg: "value is required."},
		{name: "DeleteAccountSetting without name", op: "DeleteAccountSetting", body: `{"principalArn":"` + role + `"}`, msg: "name is required."},
		{name: "ListAccountSettings with maxResults 0", op: "ListAccountSettings", body: `{"principalArn":"` + role + `","maxResults":0}`, msg: "maxResults must be between 1 and 10."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, errType, msg := rawCall(t, ecsTarget+tt.op, tt.body)
			if status != http.StatusBadRequest || errType != "InvalidParameterException" || msg != tt.msg {
				t.Fatalf("%s %s = %d %s %q, want 400 InvalidParameterException %q", tt.op, tt.body, status, errType, msg, tt.msg)
			}
		})
	}
	wantSettings(t, ownSettings(t, role), nil)
}

// --- DeleteAccountSetting ---

func TestDeleteAccountSetting(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("the principal falls back to the account default", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameContainerInsights, "enhanced")
		putSetting(t, role, types.SettingNameAwsvpcTrunking, "enabled")
		out, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights, PrincipalArn: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		wantSettings(t, []types.Setting{*out.Setting}, []types.Setting{settingOf(types.SettingNameContainerInsights, "enhanced", role, types.SettingTypeUser)})
		wantSettings(t, ownSettings(t, role), []types.Setting{settingOf(types.SettingNameAwsvpcTrunking, "enabled", role, types.SettingTypeUser)})

		root := effectiveSettings(t, rootPrincipal)
		i := slices.IndexFunc(root, func(s types.Setting) bool { return s.Name == types.SettingNameContainerInsights })
		got := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(role), EffectiveSettings: true, Name: types.SettingNameContainerInsights})
		wantSettings(t, got, []types.Setting{inherited(root[i], role)})
	})

	t.Run("deleting a setting the principal never set changes nothing", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameAwsvpcTrunking, "enabled")
		before := ownSettings(t, role)
		out, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights, PrincipalArn: aws.String(role)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Setting.Name != types.SettingNameContainerInsights || aws.ToString(out.Setting.PrincipalArn) != role {
			t.Fatalf("setting = %s, want containerInsights of %s", dump(out.Setting), role)
		}
		wantSettings(t, ownSettings(t, role), before)
	})
}

// --- ListAccountSettings ---

func TestListAccountSettings(t *testing.T) {
	t.Parallel()

	t.Run("a principal without settings of its own lists none", func(t *testing.T) {
		t.Parallel()
		wantSettings(t, ownSettings(t, rolePrincipal(t)), nil)
	})

	t.Run("own settings are listed in the model's order", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameContainerInsights, "enhanced")
		putSetting(t, role, types.SettingNameAwsvpcTrunking, "enabled")
		wantSettings(t, ownSettings(t, role), []types.Setting{
			settingOf(types.SettingNameAwsvpcTrunking, "enabled", role, types.SettingTypeUser),
			settingOf(types.SettingNameContainerInsights, "enhanced", role, types.SettingTypeUser),
		})
	})

	t.Run("effective settings are all 11, the principal's own or else the account default", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameContainerInsights, "enhanced")
		root := effectiveSettings(t, rootPrincipal)
		got := effectiveSettings(t, role)
		if len(got) != len(accountSettings) || len(root) != len(accountSettings) {
			t.Fatalf("got %d effective settings for the role and %d for root, want %d", len(got), len(root), len(accountSettings))
		}
		for i, s := range accountSettings {
			want := inherited(root[i], role)
			if s.name == types.SettingNameContainerInsights {
				want = settingOf(s.name, "enhanced", role, types.SettingTypeUser)
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("setting %d = %s, want %s", i, dump(got[i]), dump(want))
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		putSetting(t, role, types.SettingNameContainerInsights, "enhanced")
		putSetting(t, role, types.SettingNameAwsvpcTrunking, "enabled")
		insights := settingOf(types.SettingNameContainerInsights, "enhanced", role, types.SettingTypeUser)
		tests := []struct {
			name      string
			setting   types.SettingName
			value     *string
			effective bool
			want      []types.Setting
		}{
			{name: "by name", setting: types.SettingNameContainerInsights, want: []types.Setting{insights}},
			{name: "by name and value", setting: types.SettingNameContainerInsights, value: aws.String("enhanced"), want: []types.Setting{insights}},
			{name: "by name and another value", setting: types.SettingNameContainerInsights, value: aws.String("enabled")},
			{name: "by a name the principal did not set", setting: types.SettingNameFargateFipsMode},
			{name: "effective by name", setting: types.SettingNameContainerInsights, effective: true, want: []types.Setting{insights}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				got := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(role), Name: tt.setting, Value: tt.value, EffectiveSettings: tt.effective})
				wantSettings(t, got, tt.want)
			})
		}
	})

	t.Run("effective by name and value matches an inherited setting", func(t *testing.T) {
		t.Parallel()
		role := rolePrincipal(t)
		root := effectiveSettings(t, rootPrincipal)
		i := slices.IndexFunc(root, func(s types.Setting) bool { return s.Name == types.SettingNameFargateTaskRetirementWaitPeriod })
		got := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(role), EffectiveSettings: true, Name: root[i].Name, Value: root[i].Value})
		wantSettings(t, got, []types.Setting{inherited(root[i], role)})
	})

	for size := int32(1); size <= 10; size++ {
		t.Run(fmt.Sprintf("pages of %d list every setting once", size), func(t *testing.T) {
			t.Parallel()
			role := rolePrincipal(t)
			got := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(role), EffectiveSettings: true, MaxResults: size})
			var names []types.SettingName
			for _, s := range got {
				names = append(names, s.Name)
			}
			if want := types.SettingName("").Values(); !slices.Equal(names, want) {
				t.Fatalf("names = %v, want %v", names, want)
			}
		})
	}
}

func TestListAccountSettingsRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   *ecs.ListAccountSettingsInput
		msg  string
	}{
		{name: "value without name", in: &ecs.ListAccountSettingsInput{Value: aws.String("enabled")}, msg: "value can only be given together with name."},
		{name: "unknown name", in: &ecs.ListAccountSettingsInput{Name: "bogus"}, msg: `Invalid account setting name "bogus". Valid names: serviceLongArnFormat, taskLongArnFormat, containerInstanceLongArnFormat, awsvpcTrunking, containerInsights, fargateFIPSMode, tagResourceAuthorization, fargateTaskRetirementWaitPeriod, guardDutyActivate, defaultLogDriverMode, fargateEventWindows.`},
		{name: "maxResults 11", in: &ecs.ListAccountSettingsInput{MaxResults: 11}, msg: "maxResults must be between 1 and 10."},
		{name: "garbage nextToken", in: &ecs.ListAccountSettingsInput{NextToken: aws.String("not a token")}, msg: "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."},
		{name: "principal that is not an ARN", in: &ecs.ListAccountSettingsInput{PrincipalArn: aws.String("alice")}, msg: `principalArn must be the ARN of an IAM user, role or the root user, got "alice".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client(t).ListAccountSettings(ctx(t), tt.in)
			wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
		})
	}
}

// --- the account default (the root's settings) ---

// TestAccountSettingDefaults changes the root's settings, which every
// principal inherits, so it is deliberately not parallel: Go runs it while
// no parallel test runs. It restores the root's settings when done.
func TestAccountSettingDefaults(t *testing.T) {
	c := client(t)
	saved := ownSettings(t, rootPrincipal)
	clearRoot := func() {
		for _, s := range ownSettings(t, rootPrincipal) {
			if _, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: s.Name}); err != nil {
				t.Fatalf("DeleteAccountSetting(%s): %v", s.Name, err)
			}
		}
	}
	t.Cleanup(func() {
		clearRoot()
		for _, s := range saved {
			putSetting(t, "", s.Name, aws.ToString(s.Value))
		}
	})
	clearRoot()
	role := rolePrincipal(t)

	// With nothing set, every principal sees ECS's defaults, aws_managed.
	var defaults []types.Setting
	for _, s := range accountSettings {
		defaults = append(defaults, settingOf(s.name, s.def, rootPrincipal, types.SettingTypeAwsManaged))
	}
	wantSettings(t, effectiveSettings(t, rootPrincipal), defaults)
	for i := range defaults {
		defaults[i] = inherited(defaults[i], role)
	}
	wantSettings(t, effectiveSettings(t, role), defaults)

	// A put without principalArn sets the root's own setting.
	enabled := settingOf(types.SettingNameContainerInsights, "enabled", rootPrincipal, types.SettingTypeUser)
	wantSettings(t, []types.Setting{putSetting(t, "", types.SettingNameContainerInsights, "enabled")}, []types.Setting{enabled})
	wantSettings(t, ownSettings(t, rootPrincipal), []types.Setting{enabled})
	withoutPrincipal := listSettings(t, &ecs.ListAccountSettingsInput{})
	wantSettings(t, withoutPrincipal, []types.Setting{enabled})

	// Other principals inherit it, unless they set their own.
	inheriting := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(role), EffectiveSettings: true, Name: types.SettingNameContainerInsights})
	wantSettings(t, inheriting, []types.Setting{inherited(enabled, role)})
	own := rolePrincipal(t)
	putSetting(t, own, types.SettingNameContainerInsights, "disabled")
	overriding := listSettings(t, &ecs.ListAccountSettingsInput{PrincipalArn: aws.String(own), EffectiveSettings: true, Name: types.SettingNameContainerInsights})
	wantSettings(t, overriding, []types.Setting{settingOf(types.SettingNameContainerInsights, "disabled", own, types.SettingTypeUser)})

	// A cluster created without settings takes containerInsights from the
	// account default; settings in the request win.
	if got := settingsMap(createCluster(t).Settings)["containerInsights"]; got != "enabled" {
		t.Errorf("new cluster containerInsights = %q, want the account default enabled", got)
	}
	if got := settingsMap(createCluster(t, withInsights("disabled")).Settings)["containerInsights"]; got != "disabled" {
		t.Errorf("new cluster containerInsights = %q, want disabled as requested", got)
	}

	// PutAccountSettingDefault is the same as a put for the root.
	out, err := c.PutAccountSettingDefault(ctx(t), &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameFargateTaskRetirementWaitPeriod, Value: aws.String("14")})
	if err != nil {
		t.Fatal(err)
	}
	retirement := settingOf(types.SettingNameFargateTaskRetirementWaitPeriod, "14", rootPrincipal, types.SettingTypeUser)
	wantSettings(t, []types.Setting{*out.Setting}, []types.Setting{retirement})
	wantSettings(t, ownSettings(t, rootPrincipal), []types.Setting{enabled, retirement})

	// Deleting without principalArn deletes the root's setting; ECS's
	// default is in force again, for new clusters too.
	deleted, err := c.DeleteAccountSetting(ctx(t), &ecs.DeleteAccountSettingInput{Name: types.SettingNameContainerInsights})
	if err != nil {
		t.Fatal(err)
	}
	wantSettings(t, []types.Setting{*deleted.Setting}, []types.Setting{enabled})
	fallback := listSettings(t, &ecs.ListAccountSettingsInput{EffectiveSettings: true, Name: types.SettingNameContainerInsights})
	wantSettings(t, fallback, []types.Setting{settingOf(types.SettingNameContainerInsights, "disabled", rootPrincipal, types.SettingTypeAwsManaged)})
	if got := settingsMap(createCluster(t).Settings)["containerInsights"]; got != "disabled" {
		t.Errorf("new cluster containerInsights = %q, want ECS's default disabled", got)
	}
}

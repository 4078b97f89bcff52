package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// ListAccountSettings' page size: 1–10, default 10 (ECS model).
const (
	defaultSettingsPage = 10
	maxSettingsPage     = 10
)

func (a *API) registerAccountSettings(svc *awsjson.Service) {
	svc.Handle("PutAccountSetting", awsjson.Handle(a.PutAccountSetting))
	svc.Handle("PutAccountSettingDefault", awsjson.Handle(a.PutAccountSettingDefault))
	svc.Handle("DeleteAccountSetting", awsjson.Handle(a.DeleteAccountSetting))
	svc.Handle("ListAccountSettings", awsjson.Handle(a.ListAccountSettings))
}

// principal resolves the principal a settings call applies to. berth has no
// IAM users: a call that names no principal acts as the account's root,
// whose settings are also the account default for every other principal,
// as on ECS.
func (a *API) principal(p *string) (string, error) {
	if p == nil || *p == "" {
		return a.arns.RootPrincipal(), nil
	}
	parsed, err := arn.Parse(*p)
	if err != nil || parsed.Service != "iam" {
		return "", ecs.InvalidParameter("principalArn must be the ARN of an IAM user, role or the root user, got %q.", *p)
	}
	return *p, nil
}

func settingToWire(s *ecs.AccountSetting, principal string, typ wire.SettingType) wire.Setting {
	return wire.Setting{Name: s.Name, Value: ptr(s.Value), PrincipalArn: ptr(principal), Type: typ}
}

// errSettingNameRequired answers a change without the required name.
var errSettingNameRequired = ecs.InvalidParameter("name is required.")

func (a *API) putSetting(ctx context.Context, principal string, name wire.SettingName, value *string) (*wire.Setting, error) {
	switch {
	case name == "":
		return nil, errSettingNameRequired
	case value == nil:
		return nil, ecs.InvalidParameter("value is required.")
	}
	if err := ecs.ValidateAccountSetting(name, *value); err != nil {
		return nil, err
	}
	st := &ecs.AccountSetting{Name: name, Value: *value, Principal: principal}
	if _, err := a.store.Update(ctx, func(tx *store.Tx) error { return tx.PutAccountSetting(principal, st) }); err != nil {
		return nil, err
	}
	out := settingToWire(st, principal, wire.SettingTypeUser)
	return &out, nil
}

// PutAccountSetting sets a setting for a principal (the root by default).
func (a *API) PutAccountSetting(ctx context.Context, in *wire.PutAccountSettingRequest) (*wire.PutAccountSettingResponse, error) {
	principal, err := a.principal(in.PrincipalArn)
	if err != nil {
		return nil, err
	}
	s, err := a.putSetting(ctx, principal, in.Name, in.Value)
	if err != nil {
		return nil, err
	}
	return &wire.PutAccountSettingResponse{Setting: s}, nil
}

// PutAccountSettingDefault sets the account default: the root's setting.
func (a *API) PutAccountSettingDefault(ctx context.Context, in *wire.PutAccountSettingDefaultRequest) (*wire.PutAccountSettingDefaultResponse, error) {
	s, err := a.putSetting(ctx, a.arns.RootPrincipal(), in.Name, in.Value)
	if err != nil {
		return nil, err
	}
	return &wire.PutAccountSettingDefaultResponse{Setting: s}, nil
}

// DeleteAccountSetting removes a principal's own setting; the principal
// falls back to the account default. It returns the setting removed.
func (a *API) DeleteAccountSetting(ctx context.Context, in *wire.DeleteAccountSettingRequest) (*wire.DeleteAccountSettingResponse, error) {
	principal, err := a.principal(in.PrincipalArn)
	if err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, errSettingNameRequired
	}
	if err := ecs.ValidateAccountSettingName(in.Name); err != nil {
		return nil, err
	}
	var removed *ecs.AccountSetting
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		removed = nil
		cur, err := tx.GetAccountSetting(principal, string(in.Name))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		removed = cur
		tx.DeleteAccountSetting(principal, string(in.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if removed == nil {
		removed = &ecs.AccountSetting{Name: in.Name, Value: ecs.DefaultAccountSettingValue(in.Name)}
	}
	out := settingToWire(removed, principal, wire.SettingTypeUser)
	return &wire.DeleteAccountSettingResponse{Setting: &out}, nil
}

// ListAccountSettings lists a principal's settings: those it set itself,
// or with effectiveSettings every setting with the value in force (its
// own, else the account default, else ECS's default).
func (a *API) ListAccountSettings(ctx context.Context, in *wire.ListAccountSettingsRequest) (*wire.ListAccountSettingsResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultSettingsPage, maxSettingsPage)
	if err != nil {
		return nil, err
	}
	principal, err := a.principal(in.PrincipalArn)
	if err != nil {
		return nil, err
	}
	if in.Name != "" {
		if err := ecs.ValidateAccountSettingName(in.Name); err != nil {
			return nil, err
		}
	} else if in.Value != nil {
		return nil, ecs.InvalidParameter("value can only be given together with name.")
	}
	all, err := a.settingsOf(ctx, principal, in.EffectiveSettings != nil && *in.EffectiveSettings)
	if err != nil {
		return nil, err
	}
	var matched []wire.Setting
	for _, s := range all {
		if (in.Name == "" || s.Name == in.Name) && (in.Value == nil || str(s.Value) == *in.Value) {
			matched = append(matched, s)
		}
	}
	return pageSettings(matched, in.NextToken, limit)
}

// settingsOf returns a principal's settings in the model's name order.
func (a *API) settingsOf(ctx context.Context, principal string, effective bool) ([]wire.Setting, error) {
	own, err := a.settingMap(ctx, principal)
	if err != nil {
		return nil, err
	}
	root := own
	if rootARN := a.arns.RootPrincipal(); principal != rootARN {
		if root, err = a.settingMap(ctx, rootARN); err != nil {
			return nil, err
		}
	}
	var out []wire.Setting
	for _, name := range ecs.AccountSettingNames() {
		switch s := own[name]; {
		case s != nil:
			out = append(out, settingToWire(s, principal, wire.SettingTypeUser))
		case !effective:
		case root[name] != nil:
			out = append(out, settingToWire(root[name], principal, wire.SettingTypeUser))
		default:
			def := &ecs.AccountSetting{Name: name, Value: ecs.DefaultAccountSettingValue(name)}
			out = append(out, settingToWire(def, principal, wire.SettingTypeAwsManaged))
		}
	}
	return out, nil
}

func (a *API) settingMap(ctx context.Context, principal string) (map[wire.SettingName]*ecs.AccountSetting, error) {
	list, err := a.store.ListAccountSettings(ctx, principal)
	if err != nil {
		return nil, err
	}
	m := make(map[wire.SettingName]*ecs.AccountSetting, len(list))
	for _, s := range list {
		m[s.Name] = s
	}
	return m, nil
}

// pageSettings pages a short, ordered list; the token is the name of the
// last setting sent.
func pageSettings(all []wire.Setting, token *string, limit int) (*wire.ListAccountSettingsResponse, error) {
	after, err := decodeToken(token, "")
	if err != nil {
		return nil, err
	}
	start := 0
	if after != "" {
		start = len(all)
		for i, s := range all {
			if string(s.Name) == after {
				start = i + 1
			}
		}
	}
	end := min(start+limit, len(all))
	out := &wire.ListAccountSettingsResponse{Settings: append([]wire.Setting{}, all[start:end]...)}
	if end < len(all) {
		out.NextToken = encodeToken(string(all[end-1].Name))
	}
	return out, nil
}

package ecsapi

import (
	"fmt"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// same fails the test when got is not want.
func same(t *testing.T, what, want, got string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func lostSetting(value string) wire.ClusterSetting {
	return wire.ClusterSetting{Name: ecs.ClusterSettingLostInstanceTimeout, Value: ptr(value)}
}

// settingsOf renders a cluster's settings as DescribeClusters with
// include SETTINGS shows them.
func (e *env) settingsOf(t *testing.T, cluster string) string {
	t.Helper()
	out, err := e.api.DescribeClusters(e.ctx(), &wire.DescribeClustersRequest{
		Clusters: []string{cluster}, Include: []wire.ClusterField{wire.ClusterFieldSettings}})
	if err != nil || len(out.Clusters) != 1 {
		t.Fatalf("DescribeClusters(%s): %v %s", cluster, err, asJSON(out))
	}
	s := ""
	for _, st := range out.Clusters[0].Settings {
		s += fmt.Sprintf("%s=%s ", st.Name, str(st.Value))
	}
	return s
}

// The lostInstanceTimeout setting is berth's own: set at creation or by
// UpdateClusterSettings, shown only once set, beside containerInsights,
// which keeps ECS's behaviour.
func TestLostInstanceTimeoutSetting(t *testing.T) {
	e := newEnv(t)
	t.Run("a cluster created without it does not show it", func(t *testing.T) {
		c := e.cluster(t)
		same(t, "settings", "containerInsights=disabled ", e.settingsOf(t, c))
	})
	t.Run("a cluster created with it alone records containerInsights too", func(t *testing.T) {
		c := e.name("c")
		if _, err := e.api.CreateCluster(e.ctx(), &wire.CreateClusterRequest{ClusterName: ptr(c), Settings: []wire.ClusterSetting{lostSetting("300")}}); err != nil {
			t.Fatal(err)
		}
		same(t, "settings", "containerInsights=disabled lostInstanceTimeout=300 ", e.settingsOf(t, c))
	})
	t.Run("UpdateClusterSettings sets it and disables it, leaving containerInsights", func(t *testing.T) {
		c := e.cluster(t)
		for _, v := range []string{"60", "disabled"} {
			if _, err := e.api.UpdateClusterSettings(e.ctx(), &wire.UpdateClusterSettingsRequest{Cluster: ptr(c), Settings: []wire.ClusterSetting{lostSetting(v)}}); err != nil {
				t.Fatal(err)
			}
			same(t, "settings", "containerInsights=disabled lostInstanceTimeout="+v+" ", e.settingsOf(t, c))
		}
	})
}

func TestLostInstanceTimeoutRejectsInvalidValuesAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	const badValue = "Cluster setting lostInstanceTimeout must be disabled or a whole number of seconds from 10 to 86400; got %q."
	cases := []struct {
		name    string
		setting wire.ClusterSetting
		msg     string
	}{
		{"below 10 s", lostSetting("9"), fmt.Sprintf(badValue, "9")},
		{"above a day", lostSetting("86401"), fmt.Sprintf(badValue, "86401")},
		{"a duration with a unit", lostSetting("5m"), fmt.Sprintf(badValue, "5m")},
		{"a misspelt name", wire.ClusterSetting{Name: "lostInstanceTimeOut", Value: ptr("300")},
			`Cluster setting name "lostInstanceTimeOut" is not valid. Valid names: containerInsights, lostInstanceTimeout.`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := e.cluster(t)
			before := e.settingsOf(t, name)
			_, err := e.api.UpdateClusterSettings(e.ctx(), &wire.UpdateClusterSettingsRequest{Cluster: ptr(name), Settings: []wire.ClusterSetting{lostSetting("120"), c.setting}})
			wantErr(t, err, ecs.CodeInvalidParameter, c.msg)
			same(t, "settings after UpdateClusterSettings", before, e.settingsOf(t, name))

			created := e.name("c")
			_, err = e.api.CreateCluster(e.ctx(), &wire.CreateClusterRequest{ClusterName: ptr(created), Settings: []wire.ClusterSetting{c.setting}})
			wantErr(t, err, ecs.CodeInvalidParameter, c.msg)
			out, err := e.api.DescribeClusters(e.ctx(), &wire.DescribeClustersRequest{Clusters: []string{created}})
			if err != nil || len(out.Clusters) != 0 {
				t.Errorf("the refused CreateCluster made a cluster: %v %s", err, asJSON(out))
			}
		})
	}
}

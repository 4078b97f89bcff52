package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// --- fixtures ---

// clusterARN is the ARN of the named cluster on the shared server.
func clusterARN(name string) string {
	return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":cluster/" + name
}

// clusterOption shapes a CreateCluster request.
type clusterOption func(*ecs.CreateClusterInput)

func named(name string) clusterOption {
	return func(in *ecs.CreateClusterInput) { in.ClusterName = aws.String(name) }
}

func withClusterTags(kv ...string) clusterOption {
	return func(in *ecs.CreateClusterInput) { in.Tags = tagList(kv...) }
}

func withInsights(value string) clusterOption {
	return func(in *ecs.CreateClusterInput) { in.Settings = insights(value) }
}

func withExecLogging(logging types.ExecuteCommandLogging, kmsKeyID string) clusterOption {
	return func(in *ecs.CreateClusterInput) { in.Configuration = execConfig(logging, kmsKeyID) }
}

func insights(value string) []types.ClusterSetting {
	return []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String(value)}}
}

func execConfig(logging types.ExecuteCommandLogging, kmsKeyID string) *types.ClusterConfiguration {
	cfg := &types.ExecuteCommandConfiguration{Logging: logging}
	if kmsKeyID != "" {
		cfg.KmsKeyId = aws.String(kmsKeyID)
	}
	return &types.ClusterConfiguration{ExecuteCommandConfiguration: cfg}
}

// createCluster creates a cluster, with a unique name unless an option
// names it, and returns it as the CreateCluster response shows it.
func createCluster(t testing.TB, opts ...clusterOption) types.Cluster {
	t.Helper()
	in := &ecs.CreateClusterInput{ClusterName: aws.String(uniqueName(t, "c"))}
	for _, o := range opts {
		o(in)
	}
	out, err := client(t).CreateCluster(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateCluster(%s): %v", aws.ToString(in.ClusterName), err)
	}
	return *out.Cluster
}

// deleteCluster deletes a cluster that must exist.
func deleteCluster(t testing.TB, ref string) types.Cluster {
	t.Helper()
	out, err := client(t).DeleteCluster(ctx(t), &ecs.DeleteClusterInput{Cluster: aws.String(ref)})
	if err != nil {
		t.Fatalf("DeleteCluster(%s): %v", ref, err)
	}
	return *out.Cluster
}

// describeCluster describes one cluster, which must be found.
func describeCluster(t testing.TB, ref string, include ...types.ClusterField) types.Cluster {
	t.Helper()
	out, err := client(t).DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{ref}, Include: include})
	if err != nil {
		t.Fatalf("DescribeClusters(%s): %v", ref, err)
	}
	if len(out.Clusters) != 1 || len(out.Failures) != 0 {
		t.Fatalf("DescribeClusters(%s) = %d clusters, failures %s; want the cluster", ref, len(out.Clusters), dump(out.Failures))
	}
	return out.Clusters[0]
}

// describeFull describes a cluster with what create, update and delete
// responses carry: settings, configuration and tags.
func describeFull(t testing.TB, ref string) types.Cluster {
	t.Helper()
	return describeCluster(t, ref, types.ClusterFieldSettings, types.ClusterFieldConfigurations, types.ClusterFieldTags)
}

// wantMissing asserts that DescribeClusters reports ref as MISSING.
func wantMissing(t testing.TB, ref string) {
	t.Helper()
	out, err := client(t).DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{ref}})
	if err != nil {
		t.Fatalf("DescribeClusters(%s): %v", ref, err)
	}
	if len(out.Clusters) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Fatalf("DescribeClusters(%s) = clusters %s, failures %s; want one MISSING failure", ref, dump(out.Clusters), dump(out.Failures))
	}
}

// wantSameCluster asserts that got and want describe the same cluster state.
func wantSameCluster(t testing.TB, got, want types.Cluster) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cluster =\n%s\nwant\n%s", dump(got), dump(want))
	}
}

// wantUnchanged asserts that a cluster still is as before, after a call
// that must have changed nothing.
func wantUnchanged(t testing.TB, before types.Cluster) {
	t.Helper()
	wantSameCluster(t, describeFull(t, aws.ToString(before.ClusterArn)), before)
}

// wantNewCluster asserts what every newly created cluster shows.
func wantNewCluster(t testing.TB, c types.Cluster, name string) {
	t.Helper()
	if aws.ToString(c.ClusterName) != name || aws.ToString(c.ClusterArn) != clusterARN(name) || aws.ToString(c.Status) != "ACTIVE" {
		t.Fatalf("cluster = %s %s %s, want %s %s ACTIVE", aws.ToString(c.ClusterName), aws.ToString(c.ClusterArn), aws.ToString(c.Status), name, clusterARN(name))
	}
	counts := []int32{c.RegisteredContainerInstancesCount, c.RunningTasksCount, c.PendingTasksCount, c.ActiveServicesCount}
	if slices.ContainsFunc(counts, func(n int32) bool { return n != 0 }) {
		t.Fatalf("counts (instances, running, pending, services) = %v, want all 0", counts)
	}
}

func settingsMap(s []types.ClusterSetting) map[string]string {
	m := make(map[string]string, len(s))
	for _, x := range s {
		m[string(x.Name)] = aws.ToString(x.Value)
	}
	return m
}

// onlyIf is v when cond holds, else the zero value.
func onlyIf[T any](cond bool, v T) T {
	if cond {
		return v
	}
	var zero T
	return zero
}

// dump renders an SDK value for a failure message. (SDK types have no JSON
// tags, so this is for people, not for the wire.)
func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// --- CreateCluster ---

func TestCreateCluster(t *testing.T) {
	t.Parallel()

	t.Run("without a name it creates or returns the cluster named default", func(t *testing.T) {
		t.Parallel()
		out, err := client(t).CreateCluster(ctx(t), &ecs.CreateClusterInput{})
		if err != nil {
			t.Fatal(err)
		}
		wantNewCluster(t, *out.Cluster, "default")
	})

	t.Run("a new cluster is ACTIVE with every count zero and records containerInsights", func(t *testing.T) {
		t.Parallel()
		got := createCluster(t)
		wantNewCluster(t, got, aws.ToString(got.ClusterName))
		if len(got.Settings) != 1 || got.Settings[0].Name != types.ClusterSettingNameContainerInsights {
			t.Fatalf("settings = %s, want one containerInsights setting", dump(got.Settings))
		}
		wantUnchanged(t, got)
	})

	t.Run("a name of 255 characters is valid", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "c")
		name += strings.Repeat("x", 255-len(name))
		wantNewCluster(t, createCluster(t, named(name)), name)
	})

	t.Run("tags settings and configuration are echoed", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "c")
		got := createCluster(t, named(name), withClusterTags("team", "platform", "env", ""), withInsights("enhanced"), withExecLogging(types.ExecuteCommandLoggingDefault, "key-1"))
		wantSameCluster(t, got, types.Cluster{
			ClusterName: aws.String(name), ClusterArn: aws.String(clusterARN(name)), Status: aws.String("ACTIVE"),
			Tags: tagList("team", "platform", "env", ""), Settings: insights("enhanced"), Configuration: execConfig(types.ExecuteCommandLoggingDefault, "key-1"),
			// As on ECS, clusters without capacity providers show empty lists.
			CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{},
		})
		wantUnchanged(t, got)
	})

	t.Run("an ACTIVE name returns the existing cluster unchanged", func(t *testing.T) {
		t.Parallel()
		first := createCluster(t, withClusterTags("generation", "1"), withInsights("enabled"))
		again := createCluster(t, named(aws.ToString(first.ClusterName)), withClusterTags("generation", "2"), withInsights("disabled"))
		wantSameCluster(t, again, first)
		wantUnchanged(t, first)
	})

	t.Run("a deleted name is created afresh and ACTIVE from the new request", func(t *testing.T) {
		t.Parallel()
		first := createCluster(t, withClusterTags("generation", "1"))
		deleteCluster(t, aws.ToString(first.ClusterName))
		again := createCluster(t, named(aws.ToString(first.ClusterName)), withClusterTags("generation", "2"))
		wantNewCluster(t, again, aws.ToString(first.ClusterName))
		if want := map[string]string{"generation": "2"}; !maps.Equal(tagMap(again.Tags), want) {
			t.Fatalf("tags = %v, want %v", tagMap(again.Tags), want)
		}
		wantUnchanged(t, again)
	})
}

func TestCreateClusterRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	const badName = "Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens."
	const noCapacityProviders = "berth does not support capacity providers; container instances join a cluster by running 'berth agent'."
	long := strings.Repeat("k", 129)
	invalid := wantAPIError[*types.InvalidParameterException]
	tests := []struct {
		name    string
		suffix  string // appended to the unique cluster name
		length  int    // the unique cluster name padded to this length
		opts    []clusterOption
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "name with a dot", suffix: ".x", wantErr: invalid, msg: badName},
		{name: "name with a space", suffix: " x", wantErr: invalid, msg: badName},
		{name: "name with a slash", suffix: "/x", wantErr: invalid, msg: badName},
		{name: "name with a non-ASCII letter", suffix: "é", wantErr: invalid, msg: badName},
		{name: "name of 256 characters", length: 256, wantErr: invalid, msg: badName},
		{
			name: "containerInsights value other than enabled or disabled or enhanced", opts: []clusterOption{withInsights("on")},
			wantErr: invalid, msg: "Cluster setting containerInsights must be enabled, disabled or enhanced.",
		},
		{
			name: "setting name other than containerInsights",
			opts: []clusterOption{func(in *ecs.CreateClusterInput) {
				in.Settings = []types.ClusterSetting{{Name: "insights", Value: aws.String("enabled")}}
			}},
			wantErr: invalid, msg: `Cluster setting name "insights" is not valid. Valid names: containerInsights, lostInstanceTimeout.`,
		},
		{
			name: "executeCommandConfiguration logging other than NONE or DEFAULT or OVERRIDE", opts: []clusterOption{withExecLogging("VERBOSE", "")},
			wantErr: invalid, msg: "executeCommandConfiguration.logging must be NONE, DEFAULT or OVERRIDE.",
		},
		{
			name: "capacityProviders", opts: []clusterOption{func(in *ecs.CreateClusterInput) { in.CapacityProviders = []string{"FARGATE"} }},
			wantErr: wantAPIError[*types.UnsupportedFeatureException], msg: noCapacityProviders,
		},
		{
			name: "defaultCapacityProviderStrategy",
			opts: []clusterOption{func(in *ecs.CreateClusterInput) {
				in.DefaultCapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
			}},
			wantErr: wantAPIError[*types.UnsupportedFeatureException], msg: noCapacityProviders,
		},
		{
			name: "serviceConnectDefaults",
			opts: []clusterOption{func(in *ecs.CreateClusterInput) {
				in.ServiceConnectDefaults = &types.ClusterServiceConnectDefaultsRequest{Namespace: aws.String("ns")}
			}},
			wantErr: wantAPIError[*types.NamespaceNotFoundException], msg: "berth does not support Service Connect namespaces yet; serviceConnectDefaults cannot be set.",
		},
		{
			name: "51 tags", opts: []clusterOption{func(in *ecs.CreateClusterInput) { in.Tags = numberedTags("k", 51) }},
			wantErr: invalid, msg: "A resource can have at most 50 tags; the request has 51.",
		},
		{
			name: "tag key with the reserved aws prefix", opts: []clusterOption{withClusterTags("aws:x", "v")},
			wantErr: invalid, msg: `Tag keys beginning with 'aws:' are reserved for system use: "aws:x".`,
		},
		{name: "empty tag key", opts: []clusterOption{withClusterTags("", "v")}, wantErr: invalid, msg: "Tag keys must be between 1 and 128 characters long."},
		{name: "tag key of 129 characters", opts: []clusterOption{withClusterTags(long, "v")}, wantErr: invalid, msg: `Tag key "` + long + `" is longer than 128 characters.`},
		{
			name: "tag value of 257 characters", opts: []clusterOption{withClusterTags("k", strings.Repeat("v", 257))},
			wantErr: invalid, msg: `The value of tag "k" is longer than 256 characters.`,
		},
		{name: "the same tag key twice", opts: []clusterOption{withClusterTags("k", "1", "k", "2")}, wantErr: invalid, msg: `Duplicate tag key "k".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := uniqueName(t, "c") + tt.suffix
			name += strings.Repeat("x", max(0, tt.length-len(name)))
			in := &ecs.CreateClusterInput{ClusterName: aws.String(name)}
			for _, o := range tt.opts {
				o(in)
			}
			_, err := client(t).CreateCluster(ctx(t), in)
			tt.wantErr(t, err, tt.msg)
			wantMissing(t, aws.ToString(in.ClusterName))
		})
	}
}

// --- DescribeClusters ---

func TestDescribeClusters(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("without clusters it describes the default cluster", func(t *testing.T) {
		t.Parallel()
		out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) != 1 || len(out.Failures) != 0 || aws.ToString(out.Clusters[0].ClusterArn) != clusterARN("default") {
			t.Fatalf("clusters = %s, failures = %s; want only the default cluster", dump(out.Clusters), dump(out.Failures))
		}
	})

	t.Run("a cluster is found by name and by ARN", func(t *testing.T) {
		t.Parallel()
		created := createCluster(t)
		out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{aws.ToString(created.ClusterName), aws.ToString(created.ClusterArn)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) != 2 || len(out.Failures) != 0 {
			t.Fatalf("got %d clusters and failures %s, want 2 clusters", len(out.Clusters), dump(out.Failures))
		}
		for _, got := range out.Clusters {
			wantNewCluster(t, got, aws.ToString(created.ClusterName))
		}
	})

	t.Run("unknown clusters are MISSING failures with their full ARN", func(t *testing.T) {
		t.Parallel()
		known := createCluster(t)
		unknownName := uniqueName(t, "nope")
		unknownARN := clusterARN(uniqueName(t, "nope"))
		out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{unknownName, aws.ToString(known.ClusterName), unknownARN}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].ClusterArn) != aws.ToString(known.ClusterArn) {
			t.Fatalf("clusters = %s, want only %s", dump(out.Clusters), aws.ToString(known.ClusterArn))
		}
		var got []string
		for _, f := range out.Failures {
			if aws.ToString(f.Reason) != "MISSING" {
				t.Errorf("failure %s: reason %q, want MISSING", aws.ToString(f.Arn), aws.ToString(f.Reason))
			}
			got = append(got, aws.ToString(f.Arn))
		}
		if want := []string{clusterARN(unknownName), unknownARN}; !slices.Equal(got, want) {
			t.Fatalf("failure ARNs = %v, want %v", got, want)
		}
	})

	t.Run("100 clusters may be asked for in one call", func(t *testing.T) {
		t.Parallel()
		refs := make([]string, 100)
		for i := range refs {
			refs[i] = uniqueName(t, "nope")
		}
		out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: refs})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failures) != 100 {
			t.Fatalf("got %d failures, want 100", len(out.Failures))
		}
	})

	t.Run("a deleted cluster is still described as INACTIVE with its tags", func(t *testing.T) {
		t.Parallel()
		created := createCluster(t, withClusterTags("team", "platform"))
		deleteCluster(t, aws.ToString(created.ClusterName))
		got := describeCluster(t, aws.ToString(created.ClusterArn), types.ClusterFieldTags)
		if aws.ToString(got.Status) != "INACTIVE" {
			t.Fatalf("status = %s, want INACTIVE", aws.ToString(got.Status))
		}
		if !maps.Equal(tagMap(got.Tags), tagMap(created.Tags)) {
			t.Fatalf("tags = %v, want %v", tagMap(got.Tags), tagMap(created.Tags))
		}
	})
}

func TestDescribeClustersInclude(t *testing.T) {
	t.Parallel()
	created := createCluster(t,
		withClusterTags("team", "platform"),
		withInsights("enhanced"),
		withExecLogging(types.ExecuteCommandLoggingOverride, "key-1"))
	wantStatistics := []string{
		"activeEC2ServiceCount", "activeFargateServiceCount", "drainingEC2ServiceCount", "drainingFargateServiceCount",
		"pendingEC2TasksCount", "pendingFargateTasksCount", "runningEC2TasksCount", "runningFargateTasksCount",
	}
	all := types.ClusterField("").Values()
	tests := []struct {
		name                                      string
		include                                   []types.ClusterField
		settings, configuration, tags, statistics bool
	}{
		{name: "nothing"},
		{name: "ATTACHMENTS", include: []types.ClusterField{types.ClusterFieldAttachments}},
		{name: "CONFIGURATIONS", include: []types.ClusterField{types.ClusterFieldConfigurations}, configuration: true},
		{name: "SETTINGS", include: []types.ClusterField{types.ClusterFieldSettings}, settings: true},
		{name: "STATISTICS", include: []types.ClusterField{types.ClusterFieldStatistics}, statistics: true},
		{name: "TAGS", include: []types.ClusterField{types.ClusterFieldTags}, tags: true},
		{name: "everything", include: all, settings: true, configuration: true, tags: true, statistics: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := describeCluster(t, aws.ToString(created.ClusterArn), tt.include...)
			wantNewCluster(t, got, aws.ToString(created.ClusterName))
			if want := onlyIf(tt.settings, created.Settings); !reflect.DeepEqual(got.Settings, want) {
				t.Errorf("settings = %s, want %s", dump(got.Settings), dump(want))
			}
			if want := onlyIf(tt.configuration, created.Configuration); !reflect.DeepEqual(got.Configuration, want) {
				t.Errorf("configuration = %s, want %s", dump(got.Configuration), dump(want))
			}
			if want := onlyIf(tt.tags, created.Tags); !maps.Equal(tagMap(got.Tags), tagMap(want)) {
				t.Errorf("tags = %v, want %v", tagMap(got.Tags), tagMap(want))
			}
			var stats []string
			for _, kv := range got.Statistics {
				stats = append(stats, aws.ToString(kv.Name))
				if aws.ToString(kv.Value) != "0" {
					t.Errorf("statistic %s = %q, want \"0\"", aws.ToString(kv.Name), aws.ToString(kv.Value))
				}
			}
			slices.Sort(stats)
			if want := onlyIf(tt.statistics, wantStatistics); !slices.Equal(stats, want) {
				t.Errorf("statistics = %v, want %v", stats, want)
			}
			// berth has no attachments (they come with capacity providers
			// and awsvpc tasks), so ATTACHMENTS has nothing to show.
			if len(got.Attachments) != 0 || got.AttachmentsStatus != nil {
				t.Errorf("attachments = %s, status %v; want none", dump(got.Attachments), got.AttachmentsStatus)
			}
		})
	}
}

func TestDescribeClustersRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = "c" + strings.Repeat("x", i)
	}
	tests := []struct {
		name string
		in   *ecs.DescribeClustersInput
		msg  string
	}{
		{name: "101 clusters", in: &ecs.DescribeClustersInput{Clusters: tooMany}, msg: "clusters can have at most 100 items."},
		{
			name: "unknown include value",
			in:   &ecs.DescribeClustersInput{Include: []types.ClusterField{types.ClusterFieldTags, "EVERYTHING"}},
			msg:  `Invalid value "EVERYTHING" for include. Valid values: ATTACHMENTS, CONFIGURATIONS, SETTINGS, STATISTICS, TAGS.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client(t).DescribeClusters(ctx(t), tt.in)
			wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
		})
	}
}

// --- ListClusters ---

// listClusters pages through ListClusters with the SDK paginator and
// checks what every page must satisfy: no page longer than maxResults,
// only the last page short, no ARN twice, and no token on the last page.
func listClusters(t testing.TB, maxResults int32) []string {
	t.Helper()
	p := ecs.NewListClustersPaginator(client(t), &ecs.ListClustersInput{MaxResults: aws.Int32(maxResults)})
	seen := map[string]bool{}
	var arns []string
	for page := 1; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		last := out.NextToken == nil
		if n := int32(len(out.ClusterArns)); n > maxResults || (!last && n != maxResults) {
			t.Fatalf("page %d has %d clusters and token %v; want %d on every page but the last", page, n, out.NextToken, maxResults)
		}
		for _, a := range out.ClusterArns {
			if seen[a] {
				t.Fatalf("page %d repeats %s", page, a)
			}
			seen[a] = true
			arns = append(arns, a)
		}
		if !last && aws.ToString(out.NextToken) == "" {
			t.Fatalf("page %d: empty nextToken %q; the last page must omit it", page, *out.NextToken)
		}
	}
	return arns
}

func TestListClusters(t *testing.T) {
	t.Parallel()

	t.Run("lists ACTIVE clusters and not deleted ones", func(t *testing.T) {
		t.Parallel()
		kept := createCluster(t)
		deleted := createCluster(t)
		deleteCluster(t, aws.ToString(deleted.ClusterArn))
		got := listClusters(t, 100)
		for _, want := range []string{aws.ToString(kept.ClusterArn), clusterARN("default")} {
			if !slices.Contains(got, want) {
				t.Errorf("listing lacks %s", want)
			}
		}
		if slices.Contains(got, aws.ToString(deleted.ClusterArn)) {
			t.Errorf("listing has deleted cluster %s", aws.ToString(deleted.ClusterArn))
		}
	})

	for _, size := range []int32{1, 2, 3} {
		t.Run(fmt.Sprintf("pages of %d miss nothing and repeat nothing", size), func(t *testing.T) {
			t.Parallel()
			var mine []string
			for range 5 {
				mine = append(mine, aws.ToString(createCluster(t).ClusterArn))
			}
			got := listClusters(t, size)
			for _, want := range mine {
				if !slices.Contains(got, want) {
					t.Errorf("listing lacks %s", want)
				}
			}
		})
	}
}

func TestListClustersRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	// A token from another listing must not resume this one.
	settings, err := client(t).ListAccountSettings(ctx(t), &ecs.ListAccountSettingsInput{
		PrincipalArn: aws.String(rolePrincipal(t)), EffectiveSettings: true, MaxResults: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if settings.NextToken == nil {
		t.Fatal("ListAccountSettings of 11 settings by 1 gave no nextToken")
	}
	const badToken = "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."
	tests := []struct {
		name string
		in   *ecs.ListClustersInput
		msg  string
	}{
		{name: "maxResults 0", in: &ecs.ListClustersInput{MaxResults: aws.Int32(0)}, msg: "maxResults must be between 1 and 100."},
		{name: "maxResults 101", in: &ecs.ListClustersInput{MaxResults: aws.Int32(101)}, msg: "maxResults must be between 1 and 100."},
		{name: "garbage nextToken", in: &ecs.ListClustersInput{NextToken: aws.String("not a token")}, msg: badToken},
		{name: "nextToken of another listing", in: &ecs.ListClustersInput{NextToken: settings.NextToken}, msg: badToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client(t).ListClusters(ctx(t), tt.in)
			wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
		})
	}
}

// --- UpdateCluster, UpdateClusterSettings ---

func TestUpdateCluster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		update ecs.UpdateClusterInput
		byARN  bool
		want   func(*types.Cluster) // the change expected
	}{
		{
			name:   "a setting replaces the setting of the same name",
			update: ecs.UpdateClusterInput{Settings: insights("enhanced")},
			want:   func(c *types.Cluster) { c.Settings = insights("enhanced") },
		},
		{
			name:   "a configuration replaces the whole configuration",
			update: ecs.UpdateClusterInput{Configuration: execConfig(types.ExecuteCommandLoggingNone, "")},
			want:   func(c *types.Cluster) { c.Configuration = execConfig(types.ExecuteCommandLoggingNone, "") },
		},
		{
			name:   "settings and configuration together",
			update: ecs.UpdateClusterInput{Settings: insights("disabled"), Configuration: execConfig(types.ExecuteCommandLoggingDefault, "key-2")},
			want: func(c *types.Cluster) {
				c.Settings, c.Configuration = insights("disabled"), execConfig(types.ExecuteCommandLoggingDefault, "key-2")
			},
		},
		{name: "neither settings nor configuration changes nothing", want: func(*types.Cluster) {}},
		{name: "the cluster may be named by ARN", byARN: true, want: func(*types.Cluster) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := createCluster(t, withClusterTags("team", "platform"), withInsights("enabled"), withExecLogging(types.ExecuteCommandLoggingOverride, "key-1"))
			in := tt.update
			in.Cluster = before.ClusterName
			if tt.byARN {
				in.Cluster = before.ClusterArn
			}
			out, err := client(t).UpdateCluster(ctx(t), &in)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			tt.want(&want)
			wantSameCluster(t, *out.Cluster, want)
			wantUnchanged(t, want)
		})
	}
}

func TestUpdateClusterSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings []types.ClusterSetting
		want     map[string]string
	}{
		{name: "containerInsights changes", settings: insights("enhanced"), want: map[string]string{"containerInsights": "enhanced"}},
		{name: "an empty list changes nothing", settings: []types.ClusterSetting{}, want: map[string]string{"containerInsights": "enabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := createCluster(t, withClusterTags("team", "platform"), withInsights("enabled"), withExecLogging(types.ExecuteCommandLoggingNone, ""))
			out, err := client(t).UpdateClusterSettings(ctx(t), &ecs.UpdateClusterSettingsInput{Cluster: before.ClusterArn, Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			if got := settingsMap(out.Cluster.Settings); !maps.Equal(got, tt.want) {
				t.Fatalf("settings = %v, want %v", got, tt.want)
			}
			want := before
			want.Settings = out.Cluster.Settings
			wantSameCluster(t, *out.Cluster, want)
			wantUnchanged(t, want)
		})
	}
}

// --- DeleteCluster ---

// clusterChange is one call that changes the cluster it is given, by name
// or ARN.
type clusterChange func(t testing.TB, cluster string) error

func updateClusterCall(in ecs.UpdateClusterInput) clusterChange {
	return func(t testing.TB, cluster string) error {
		in := in
		in.Cluster = aws.String(cluster)
		_, err := client(t).UpdateCluster(ctx(t), &in)
		return err
	}
}

func updateClusterSettingsCall(settings []types.ClusterSetting) clusterChange {
	return func(t testing.TB, cluster string) error {
		_, err := client(t).UpdateClusterSettings(ctx(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String(cluster), Settings: settings})
		return err
	}
}

func deleteClusterCall(t testing.TB, cluster string) error {
	_, err := client(t).DeleteCluster(ctx(t), &ecs.DeleteClusterInput{Cluster: aws.String(cluster)})
	return err
}

func tagClusterCall(t testing.TB, cluster string) error {
	_, err := client(t).TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(clusterARN(cluster)), Tags: tagList("k", "v")})
	return err
}

func untagClusterCall(t testing.TB, cluster string) error {
	_, err := client(t).UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: aws.String(clusterARN(cluster)), TagKeys: []string{"team"}})
	return err
}

func TestDeleteCluster(t *testing.T) {
	t.Parallel()

	t.Run("a deleted cluster is INACTIVE and keeps its details and is no longer listed", func(t *testing.T) {
		t.Parallel()
		before := createCluster(t, withClusterTags("team", "platform"), withInsights("enabled"), withExecLogging(types.ExecuteCommandLoggingDefault, ""))
		got := deleteCluster(t, aws.ToString(before.ClusterName))
		want := before
		want.Status = aws.String("INACTIVE")
		wantSameCluster(t, got, want)
		wantSameCluster(t, describeFull(t, aws.ToString(before.ClusterArn)), want)
		if slices.Contains(listClusters(t, 100), aws.ToString(before.ClusterArn)) {
			t.Fatalf("deleted cluster %s is still listed", aws.ToString(before.ClusterArn))
		}
	})

	t.Run("the cluster may be named by ARN", func(t *testing.T) {
		t.Parallel()
		before := createCluster(t)
		if got := deleteCluster(t, aws.ToString(before.ClusterArn)); aws.ToString(got.Status) != "INACTIVE" {
			t.Fatalf("status = %s, want INACTIVE", aws.ToString(got.Status))
		}
	})

	t.Run("a deleted cluster cannot be changed", func(t *testing.T) {
		t.Parallel()
		calls := []struct {
			name string
			call clusterChange
		}{
			{"UpdateCluster", updateClusterCall(ecs.UpdateClusterInput{Settings: insights("enhanced")})},
			{"UpdateClusterSettings", updateClusterSettingsCall(insights("enhanced"))},
			{"DeleteCluster", deleteClusterCall},
			{"TagResource", tagClusterCall},
			{"UntagResource", untagClusterCall},
		}
		for _, tt := range calls {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				deleted := deleteCluster(t, aws.ToString(createCluster(t, withClusterTags("team", "platform")).ClusterName))
				wantAPIError[*types.ClusterNotFoundException](t, tt.call(t, aws.ToString(deleted.ClusterName)), "Cluster not found.")
				wantUnchanged(t, deleted)
			})
		}
	})
}

// --- invalid updates and deletes ---

func TestClusterChangesRejectInvalidInput(t *testing.T) {
	t.Parallel()
	const notFound = "Cluster not found."
	badSetting := []types.ClusterSetting{{Name: "bogus", Value: aws.String("enabled")}}
	tests := []struct {
		name    string
		call    clusterChange
		unknown bool // call names a cluster that does not exist
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "UpdateCluster of an unknown cluster", unknown: true, call: updateClusterCall(ecs.UpdateClusterInput{Settings: insights("enhanced")}),
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: notFound},
		{name: "UpdateClusterSettings of an unknown cluster", unknown: true, call: updateClusterSettingsCall(insights("enhanced")),
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: notFound},
		{name: "DeleteCluster of an unknown cluster", unknown: true, call: deleteClusterCall,
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: notFound},
		{name: "UpdateCluster with a bad containerInsights value", call: updateClusterCall(ecs.UpdateClusterInput{Settings: insights("ENABLED")}),
			wantErr: wantAPIError[*types.InvalidParameterException], msg: "Cluster setting containerInsights must be enabled, disabled or enhanced."},
		{name: "UpdateCluster with a bad setting name", call: updateClusterCall(ecs.UpdateClusterInput{Settings: badSetting}),
			wantErr: wantAPIError[*types.InvalidParameterException], msg: `Cluster setting name "bogus" is not valid. Valid names: containerInsights, lostInstanceTimeout.`},
		{name: "UpdateCluster with a bad executeCommandConfiguration logging", call: updateClusterCall(ecs.UpdateClusterInput{Configuration: execConfig("ALL", "")}),
			wantErr: wantAPIError[*types.InvalidParameterException], msg: "executeCommandConfiguration.logging must be NONE, DEFAULT or OVERRIDE."},
		{
			name: "UpdateCluster with serviceConnectDefaults",
			call: updateClusterCall(ecs.UpdateClusterInput{
				Settings:               insights("enhanced"),
				ServiceConnectDefaults: &types.ClusterServiceConnectDefaultsRequest{Namespace: aws.String("ns")},
			}),
			wantErr: wantAPIError[*types.NamespaceNotFoundException], msg: "berth does not support Service Connect namespaces yet; serviceConnectDefaults cannot be set.",
		},
		{name: "UpdateClusterSettings with a bad containerInsights value", call: updateClusterSettingsCall(insights("")),
			wantErr: wantAPIError[*types.InvalidParameterException], msg: "Cluster setting containerInsights must be enabled, disabled or enhanced."},
		{name: "UpdateClusterSettings with a bad setting name", call: updateClusterSettingsCall(badSetting),
			wantErr: wantAPIError[*types.InvalidParameterException], msg: `Cluster setting name "bogus" is not valid. Valid names: containerInsights, lostInstanceTimeout.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := createCluster(t, withClusterTags("team", "platform"), withInsights("enabled"), withExecLogging(types.ExecuteCommandLoggingDefault, "key-1"))
			target := aws.ToString(before.ClusterName)
			if tt.unknown {
				target += "-nope"
			}
			tt.wantErr(t, tt.call(t, target), tt.msg)
			wantUnchanged(t, before)
			if tt.unknown {
				wantMissing(t, target)
			}
		})
	}
}

// The SDK refuses to send a request without its required members, so these
// go over raw, signed HTTP.
func TestClusterActionsRequireTheirMembers(t *testing.T) {
	t.Parallel()
	existing := createCluster(t, withInsights("enabled"))
	tests := []struct {
		name, op, body, msg string
	}{
		{name: "UpdateCluster without cluster", op: "UpdateCluster", body: `{"settings":[{"name":"containerInsights","value":"enabled"}]}`, msg: "cluster is required."},
		{name: "UpdateCluster with an empty cluster", op: "UpdateCluster", body: `{"cluster":""}`, msg: "cluster is required."},
		{name: "UpdateClusterSettings without cluster", op: "UpdateClusterSettings", body: `{"settings":[]}`, msg: "cluster is required."},
		{name: "UpdateClusterSettings without settings", op: "UpdateClusterSettings", body: `{"cluster":"` + aws.ToString(existing.ClusterName) + `"}`, msg: "settings is required."},
		{name: "DeleteCluster without cluster", op: "DeleteCluster", body: `{}`, msg: "cluster is required."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, errType, msg := rawCall(t, ecsTarget+tt.op, tt.body)
			if status != http.StatusBadRequest || errType != "InvalidParameterException" || msg != tt.msg {
				t.Fatalf("%s %s = %d %s %q, want 400 InvalidParameterException %q", tt.op, tt.body, status, errType, msg, tt.msg)
			}
			wantUnchanged(t, existing)
		})
	}
}

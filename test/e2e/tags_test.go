package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// --- fixtures ---

// tagList builds tags from key, value pairs.
func tagList(kv ...string) []types.Tag {
	if len(kv)%2 != 0 {
		panic("tagList needs key, value pairs")
	}
	tags := make([]types.Tag, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

// numberedTags builds n tags prefix-0=v … prefix-(n-1)=v.
func numberedTags(prefix string, n int) []types.Tag {
	tags := make([]types.Tag, n)
	for i := range tags {
		tags[i] = types.Tag{Key: aws.String(fmt.Sprintf("%s-%d", prefix, i)), Value: aws.String("v")}
	}
	return tags
}

func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// taskDefARN is the ARN of one revision of a family on the shared server.
func taskDefARN(family string, revision int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", testRegion, testAccount, family, revision)
}

// registerTaskDef registers a minimal task definition in a new family and
// returns its ARN.
func registerTaskDef(t testing.TB, tags []types.Tag) string {
	t.Helper()
	out, err := client(t).RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(uniqueName(t, "td")),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(64)}},
		Tags:                 tags,
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// listTags returns a resource's tags as ListTagsForResource shows them.
func listTags(t testing.TB, arn string) map[string]string {
	t.Helper()
	out, err := client(t).ListTagsForResource(ctx(t), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource(%s): %v", arn, err)
	}
	return tagMap(out.Tags)
}

// taggable is a kind of resource that can carry tags: how to create one
// and how its own describe action shows the tags.
type taggable struct {
	kind     string
	create   func(t testing.TB, tags []types.Tag) string // returns the ARN
	describe func(t testing.TB, arn string) map[string]string
}

var taggables = []taggable{
	{
		kind: "cluster",
		create: func(t testing.TB, tags []types.Tag) string {
			return aws.ToString(createCluster(t, func(in *ecs.CreateClusterInput) { in.Tags = tags }).ClusterArn)
		},
		describe: func(t testing.TB, arn string) map[string]string {
			return tagMap(describeCluster(t, arn, types.ClusterFieldTags).Tags)
		},
	},
	{
		kind:   "task definition",
		create: registerTaskDef,
		describe: func(t testing.TB, arn string) map[string]string {
			out, err := client(t).DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{
				TaskDefinition: aws.String(arn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
			})
			if err != nil {
				t.Fatalf("DescribeTaskDefinition(%s): %v", arn, err)
			}
			return tagMap(out.Tags)
		},
	},
}

// wantTags asserts that ListTagsForResource and the resource's describe
// action both show exactly want.
func (r taggable) wantTags(t testing.TB, arn string, want map[string]string) {
	t.Helper()
	if got := listTags(t, arn); !maps.Equal(got, want) {
		t.Fatalf("ListTagsForResource = %v, want %v", got, want)
	}
	if got := r.describe(t, arn); !maps.Equal(got, want) {
		t.Fatalf("describe with TAGS = %v, want %v", got, want)
	}
}

// --- TagResource, UntagResource, ListTagsForResource ---

func TestTagResource(t *testing.T) {
	t.Parallel()
	c := client(t)
	for _, r := range taggables {
		t.Run(r.kind, func(t *testing.T) {
			t.Parallel()

			t.Run("tags given at creation are listed", func(t *testing.T) {
				t.Parallel()
				arn := r.create(t, tagList("team", "platform", "empty", ""))
				r.wantTags(t, arn, map[string]string{"team": "platform", "empty": ""})
			})

			t.Run("an untagged resource lists no tags", func(t *testing.T) {
				t.Parallel()
				r.wantTags(t, r.create(t, nil), map[string]string{})
			})

			t.Run("TagResource adds new keys and overwrites existing ones", func(t *testing.T) {
				t.Parallel()
				arn := r.create(t, tagList("team", "platform", "env", "dev"))
				if _, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagList("env", "prod", "owner", "ops")}); err != nil {
					t.Fatal(err)
				}
				r.wantTags(t, arn, map[string]string{"team": "platform", "env": "prod", "owner": "ops"})
			})

			t.Run("UntagResource removes keys and ignores keys the resource lacks", func(t *testing.T) {
				t.Parallel()
				arn := r.create(t, tagList("team", "platform", "env", "dev", "owner", "ops"))
				if _, err := c.UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "never-set"}}); err != nil {
					t.Fatal(err)
				}
				r.wantTags(t, arn, map[string]string{"team": "platform", "owner": "ops"})
				if _, err := c.UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "owner"}}); err != nil {
					t.Fatal(err)
				}
				r.wantTags(t, arn, map[string]string{})
			})

			t.Run("the 50-tag limit counts existing and new tags", func(t *testing.T) {
				t.Parallel()
				arn := r.create(t, numberedTags("old", 49))
				_, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: numberedTags("new", 2)})
				wantAPIError[*types.InvalidParameterException](t, err, "A resource can have at most 50 tags; this request would leave it with 51.")
				want := tagMap(numberedTags("old", 49))
				r.wantTags(t, arn, want)

				// Overwriting existing keys does not count against the limit.
				add := append(tagList("old-0", "changed"), numberedTags("new", 1)...)
				if _, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: add}); err != nil {
					t.Fatalf("TagResource to exactly 50 tags: %v", err)
				}
				maps.Copy(want, tagMap(add))
				r.wantTags(t, arn, want)
			})

			t.Run("invalid tags are rejected and change nothing", func(t *testing.T) {
				t.Parallel()
				long := strings.Repeat("k", 129)
				tests := []struct {
					name string
					tags []types.Tag
					msg  string
				}{
					{name: "51 tags in one request", tags: numberedTags("k", 51), msg: "A resource can have at most 50 tags; the request has 51."},
					{name: "key with the reserved aws prefix", tags: tagList("aws:x", "v"), msg: `Tag keys beginning with 'aws:' are reserved for system use: "aws:x".`},
					{name: "reserved prefix in upper case", tags: tagList("AWS:x", "v"), msg: `Tag keys beginning with 'aws:' are reserved for system use: "AWS:x".`},
					{name: "empty key", tags: tagList("", "v"), msg: "Tag keys must be between 1 and 128 characters long."},
					{name: "no key", tags: []types.Tag{{Value: aws.String("v")}}, msg: "Tag keys must be between 1 and 128 characters long."},
					{name: "key of 129 characters", tags: tagList(long, "v"), msg: `Tag key "` + long + `" is longer than 128 characters.`},
					{name: "value of 257 characters", tags: tagList("team", strings.Repeat("v", 257)), msg: `The value of tag "team" is longer than 256 characters.`},
					{name: "the same key twice", tags: tagList("k", "1", "k", "2"), msg: `Duplicate tag key "k".`},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						arn := r.create(t, tagList("team", "platform"))
						_, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tt.tags})
						wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
						r.wantTags(t, arn, map[string]string{"team": "platform"})
					})
				}
			})

			t.Run("limits are inclusive for 128-character keys and 256-character values", func(t *testing.T) {
				t.Parallel()
				arn := r.create(t, nil)
				tags := tagList(strings.Repeat("k", 128), strings.Repeat("v", 256), "ü"+strings.Repeat("k", 127), strings.Repeat("ü", 256))
				if _, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags}); err != nil {
					t.Fatal(err)
				}
				r.wantTags(t, arn, tagMap(tags))
			})
		})
	}
}

func TestTagResourceRejectsUnknownResources(t *testing.T) {
	t.Parallel()
	c := client(t)
	deleted := createCluster(t, withClusterTags("team", "platform"))
	deleteCluster(t, aws.ToString(deleted.ClusterArn))
	ecsARN := func(resource string) string { return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":" + resource }
	family, _, _ := strings.Cut(strings.TrimPrefix(registerTaskDef(t, nil), ecsARN("task-definition/")), ":")

	const (
		clusterNotFound  = "Cluster not found."
		taskDefNotFound  = "The specified task definition does not exist."
		resourceNotFound = "The specified resource could not be found."
		invalidARN       = "The ARN provided is invalid."
	)
	tests := []struct {
		name    string
		arn     string
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "unknown cluster", arn: clusterARN(uniqueName(t, "nope")), wantErr: wantAPIError[*types.ClusterNotFoundException], msg: clusterNotFound},
		{name: "deleted cluster", arn: aws.ToString(deleted.ClusterArn), wantErr: wantAPIError[*types.ClusterNotFoundException], msg: clusterNotFound},
		{name: "unknown revision of a family", arn: taskDefARN(family, 999), wantErr: wantAPIError[*types.ResourceNotFoundException], msg: taskDefNotFound},
		{name: "unknown family", arn: taskDefARN(uniqueName(t, "nope"), 1), wantErr: wantAPIError[*types.ResourceNotFoundException], msg: taskDefNotFound},
		{name: "task", arn: ecsARN("task/default/0123456789abcdef0123456789abcdef"), wantErr: wantAPIError[*types.ResourceNotFoundException], msg: resourceNotFound},
		{name: "unknown service", arn: ecsARN("service/default/" + uniqueName(t, "nope")), wantErr: wantAPIError[*types.ResourceNotFoundException], msg: resourceNotFound},
		{name: "container instance", arn: ecsARN("container-instance/default/0123456789abcdef0123456789abcdef"), wantErr: wantAPIError[*types.ResourceNotFoundException], msg: resourceNotFound},
		{name: "not an ARN", arn: "default", wantErr: wantAPIError[*types.InvalidParameterException], msg: invalidARN},
		{name: "ARN of another service", arn: "arn:aws:s3:::bucket", wantErr: wantAPIError[*types.InvalidParameterException], msg: invalidARN},
		{name: "ECS ARN of an unknown resource type", arn: ecsARN("widget/x"), wantErr: wantAPIError[*types.InvalidParameterException], msg: invalidARN},
		{name: "task definition without a revision", arn: ecsARN("task-definition/" + family), wantErr: wantAPIError[*types.InvalidParameterException], msg: invalidARN},
		{name: "task definition revision 0", arn: taskDefARN(family, 0), wantErr: wantAPIError[*types.InvalidParameterException], msg: invalidARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arn := aws.String(tt.arn)
			_, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: arn, Tags: tagList("k", "v")})
			tt.wantErr(t, err, tt.msg)
			_, err = c.UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"k"}})
			tt.wantErr(t, err, tt.msg)
			_, err = c.ListTagsForResource(ctx(t), &ecs.ListTagsForResourceInput{ResourceArn: arn})
			tt.wantErr(t, err, tt.msg)
		})
	}

	t.Run("nothing changed on the deleted cluster", func(t *testing.T) {
		t.Parallel()
		got := describeCluster(t, aws.ToString(deleted.ClusterArn), types.ClusterFieldTags)
		if want := map[string]string{"team": "platform"}; !maps.Equal(tagMap(got.Tags), want) {
			t.Fatalf("tags = %v, want %v", tagMap(got.Tags), want)
		}
	})
}

// The SDK refuses to send a request without its required members, so these
// go over raw, signed HTTP.
func TestTagActionsRequireTheirMembers(t *testing.T) {
	t.Parallel()
	arn := aws.ToString(createCluster(t, withClusterTags("team", "platform")).ClusterArn)
	tests := []struct {
		name, op, body, msg string
	}{
		{name: "TagResource without resourceArn", op: "TagResource", body: `{"tags":[{"key":"k","value":"v"}]}`, msg: "resourceArn is required."},
		{name: "TagResource without tags", op: "TagResource", body: `{"resourceArn":"` + arn + `"}`, msg: "tags is required."},
		{name: "UntagResource without resourceArn", op: "UntagResource", body: `{"tagKeys":["team"]}`, msg: "resourceArn is required."},
		{name: "UntagResource without tagKeys", op: "UntagResource", body: `{"resourceArn":"` + arn + `"}`, msg: "tagKeys is required."},
		{name: "ListTagsForResource without resourceArn", op: "ListTagsForResource", body: `{}`, msg: "resourceArn is required."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, errType, msg := rawCall(t, ecsTarget+tt.op, tt.body)
			if status != http.StatusBadRequest || errType != "InvalidParameterException" || msg != tt.msg {
				t.Fatalf("%s %s = %d %s %q, want 400 InvalidParameterException %q", tt.op, tt.body, status, errType, msg, tt.msg)
			}
			if got, want := listTags(t, arn), map[string]string{"team": "platform"}; !maps.Equal(got, want) {
				t.Fatalf("tags = %v, want %v", got, want)
			}
		})
	}
}

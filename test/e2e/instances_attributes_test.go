package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// --- fixtures ---

// targeted builds attributes (name, value pairs as for attrList) aimed at
// one target, by ARN or id, without a targetType.
func targeted(target string, nv ...string) []types.Attribute {
	as := attrList(nv...)
	for i := range as {
		as[i].TargetId = aws.String(target)
	}
	return as
}

// numberedAttrs builds n name, value pairs prefix-0=v … prefix-(n-1)=v.
func numberedAttrs(prefix string, n int) []string {
	var nv []string
	for i := range n {
		nv = append(nv, fmt.Sprintf("%s-%d", prefix, i), "v")
	}
	return nv
}

func putAttributes(t testing.TB, c *ecs.Client, cluster string, attrs []types.Attribute) *ecs.PutAttributesOutput {
	t.Helper()
	out, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: attrs})
	if err != nil {
		t.Fatalf("PutAttributes(%s): %v", attrEntries(attrs), err)
	}
	return out
}

func deleteAttributes(t testing.TB, c *ecs.Client, cluster string, attrs []types.Attribute) *ecs.DeleteAttributesOutput {
	t.Helper()
	out, err := c.DeleteAttributes(ctx(t), &ecs.DeleteAttributesInput{Cluster: aws.String(cluster), Attributes: attrs})
	if err != nil {
		t.Fatalf("DeleteAttributes(%s): %v", attrEntries(attrs), err)
	}
	return out
}

// attrEntries renders attributes with their targets, in order:
// "target targetType name=value".
func attrEntries(as []types.Attribute) []string {
	out := []string{}
	for _, a := range as {
		s := aws.ToString(a.TargetId) + " " + string(a.TargetType) + " " + aws.ToString(a.Name)
		if a.Value != nil {
			s += "=" + *a.Value
		}
		out = append(out, s)
	}
	return out
}

// listAttributes pages through ListAttributes with the SDK paginator,
// checking the paging contract, and returns the entries in order.
func listAttributes(t testing.TB, c *ecs.Client, in ecs.ListAttributesInput) []string {
	t.Helper()
	if in.TargetType == "" {
		in.TargetType = types.TargetTypeContainerInstance
	}
	p := ecs.NewListAttributesPaginator(c, &in)
	entries := []string{}
	for page := 0; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListAttributes page %d: %v", page+1, err)
		}
		checkListPage(t, len(out.Attributes), in.MaxResults, out.NextToken, page)
		for _, e := range attrEntries(out.Attributes) {
			if slices.Contains(entries, e) {
				t.Fatalf("page %d repeats %s", page+1, e)
			}
			entries = append(entries, e)
		}
		if page > 1000 {
			t.Fatal("ListAttributes does not stop paging")
		}
	}
	return entries
}

// --- PutAttributes ---

func TestPutAttributes(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("by ARN, and by id with targetType; the response echoes the request", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		attrs := append(targeted(arn, "stack", "prod"),
			types.Attribute{Name: aws.String("team"), Value: aws.String("web"), TargetId: aws.String(instanceIDOf(arn)), TargetType: types.TargetTypeContainerInstance})
		out := putAttributes(t, c, cluster, attrs)
		if got, want := attrEntries(out.Attributes), attrEntries(attrs); !slices.Equal(got, want) {
			t.Errorf("response = %v, want %v", got, want)
		}
		got := describeInstance(t, c, cluster, arn)
		wantAttrs(t, "described", got.Attributes, append(slices.Clone(agentAttributes), "stack", "prod", "team", "web")...)
		if got.Version != 2 {
			t.Errorf("version = %d, want 2: one call changes an instance once", got.Version)
		}
	})

	t.Run("a value is replaced, and an attribute may have no value", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, withAttrs("ecs.os-type", "linux")).ContainerInstanceArn)
		putAttributes(t, c, cluster, targeted(arn, "stack", "prod", "gpu", "yes"))
		putAttributes(t, c, cluster, targeted(arn, "stack", "dev", "gpu", "-"))
		wantAttrs(t, "described", describeInstance(t, c, cluster, arn).Attributes, "ecs.os-type", "linux", "stack", "dev", "gpu", "-")
	})

	t.Run("one call may target several instances", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 2)
		putAttributes(t, c, cluster, append(targeted(arns[0], "stack", "prod"), targeted(instanceIDOf(arns[1]), "stack", "dev", "team", "db")...))
		wantAttrs(t, arns[0], describeInstance(t, c, cluster, arns[0]).Attributes, append(slices.Clone(agentAttributes), "stack", "prod")...)
		wantAttrs(t, arns[1], describeInstance(t, c, cluster, arns[1]).Attributes, append(slices.Clone(agentAttributes), "stack", "dev", "team", "db")...)
	})

	t.Run("a DRAINING instance takes attributes", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, arn)
		putAttributes(t, c, cluster, targeted(arn, "stack", "prod"))
		wantAttrs(t, "described", describeInstance(t, c, cluster, arn).Attributes, append(slices.Clone(agentAttributes), "stack", "prod")...)
	})

	t.Run("10 custom attributes per instance; built-in ones do not count", func(t *testing.T) {
		t.Parallel()
		const limit = "You can have at most 10 custom attributes per resource."
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn) // 4 built-in attributes
		ten := numberedAttrs("k", 10)
		putAttributes(t, c, cluster, targeted(arn, ten...))
		want := append(slices.Clone(agentAttributes), ten...)
		wantAttrs(t, "with 10", describeInstance(t, c, cluster, arn).Attributes, want...)

		_, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "k-10", "v")})
		wantAPIError[*types.AttributeLimitExceededException](t, err, limit)

		// A call that fails changes nothing, not even its valid part.
		_, err = c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "k-0", "changed", "k-10", "v")})
		wantAPIError[*types.AttributeLimitExceededException](t, err, limit)
		wantAttrs(t, "after refusals", describeInstance(t, c, cluster, arn).Attributes, want...)

		// Replacing a value adds nothing; deleting one frees a place.
		putAttributes(t, c, cluster, targeted(arn, "k-0", "changed"))
		deleteAttributes(t, c, cluster, targeted(arn, "k-9", "-"))
		putAttributes(t, c, cluster, targeted(arn, "k-10", "v"))
		want = append(slices.Clone(agentAttributes), append(numberedAttrs("k", 11)[2:18], "k-0", "changed", "k-10", "v")...)
		wantAttrs(t, "at the end", describeInstance(t, c, cluster, arn).Attributes, want...)
	})

	t.Run("custom attributes from the registration count", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, withAttrs(append([]string{"ecs.os-type", "linux"}, numberedAttrs("r", 10)...)...)).ContainerInstanceArn)
		_, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "stack", "prod")})
		wantAPIError[*types.AttributeLimitExceededException](t, err, "You can have at most 10 custom attributes per resource.")
	})
}

func TestPutAttributesRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	other := instanceCluster(t)
	foreign := aws.ToString(registerInstance(t, c, other).ContainerInstanceArn)
	invalid := wantAPIError[*types.InvalidParameterException]
	notFound := wantAPIError[*types.TargetNotFoundException]
	reserved := func(name string) string {
		return fmt.Sprintf("Attribute %q is reserved: names starting with ecs. or com.amazonaws.ecs. are set by the agent.", name)
	}
	tests := []struct {
		name    string
		attrs   func(arn string) []types.Attribute // the instance's ARN
		wantErr func(testing.TB, error, string)
		msg     func(arn string) string
	}{
		{
			name:    "unknown target id",
			attrs:   func(string) []types.Attribute { return targeted(unknownInstanceID, "stack", "prod") },
			wantErr: notFound, msg: func(string) string { return "Could not find " + unknownInstanceID + "." },
		},
		{
			name: "unknown target ARN",
			attrs: func(arn string) []types.Attribute {
				return targeted(strings.Replace(arn, instanceIDOf(arn), unknownInstanceID, 1), "stack", "prod")
			},
			wantErr: notFound, msg: func(arn string) string {
				return "Could not find " + strings.Replace(arn, instanceIDOf(arn), unknownInstanceID, 1) + "."
			},
		},
		{
			name:    "another cluster's instance",
			attrs:   func(string) []types.Attribute { return targeted(foreign, "stack", "prod") },
			wantErr: notFound, msg: func(string) string { return "Could not find " + foreign + "." },
		},
		{
			name:    "target that is no instance id",
			attrs:   func(string) []types.Attribute { return targeted("web-1", "stack", "prod") },
			wantErr: notFound, msg: func(string) string { return "Could not find web-1." },
		},
		{
			name: "a valid attribute and one with an unknown target",
			attrs: func(arn string) []types.Attribute {
				return append(targeted(arn, "stack", "prod"), targeted(unknownInstanceID, "team", "web")...)
			},
			wantErr: notFound, msg: func(string) string { return "Could not find " + unknownInstanceID + "." },
		},
		{
			name:    "no targetId",
			attrs:   func(string) []types.Attribute { return attrList("stack", "prod") },
			wantErr: invalid, msg: func(string) string { return `targetId is required for attribute "stack".` },
		},
		{
			name: "targetType other than container-instance",
			attrs: func(arn string) []types.Attribute {
				return []types.Attribute{{Name: aws.String("stack"), Value: aws.String("prod"), TargetId: aws.String(arn), TargetType: "task"}}
			},
			wantErr: invalid, msg: func(string) string {
				return `Invalid targetType "task"; attributes can be set on container-instance targets.`
			},
		},
		{
			name:    "built-in ecs. name",
			attrs:   func(arn string) []types.Attribute { return targeted(arn, "ecs.os-type", "windows") },
			wantErr: invalid, msg: func(string) string { return reserved("ecs.os-type") },
		},
		{
			name: "built-in com.amazonaws.ecs. name",
			attrs: func(arn string) []types.Attribute {
				return targeted(arn, "com.amazonaws.ecs.capability.privileged-container", "-")
			},
			wantErr: invalid, msg: func(string) string { return reserved("com.amazonaws.ecs.capability.privileged-container") },
		},
		{
			name:    "name with a space",
			attrs:   func(arn string) []types.Attribute { return targeted(arn, "my stack", "prod") },
			wantErr: invalid, msg: func(string) string {
				return `Attribute name "my stack" is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.`
			},
		},
		{
			name:    "value of 129 characters",
			attrs:   func(arn string) []types.Attribute { return targeted(arn, "stack", strings.Repeat("v", 129)) },
			wantErr: invalid, msg: func(string) string {
				return `The value of attribute "stack" is not valid: up to 128 letters, numbers, spaces and the characters _ . / \ : @ -.`
			},
		},
		{
			name:    "value with a leading space",
			attrs:   func(arn string) []types.Attribute { return targeted(arn, "stack", " prod") },
			wantErr: invalid, msg: func(string) string { return `The value of attribute "stack" can't start or end with a space.` },
		},
		{
			name:    "11 attributes in one call",
			attrs:   func(arn string) []types.Attribute { return targeted(arn, numberedAttrs("k", 11)...) },
			wantErr: invalid, msg: func(string) string { return "attributes can have at most 10 items." },
		},
		{
			name:    "no attributes",
			attrs:   func(string) []types.Attribute { return []types.Attribute{} },
			wantErr: invalid, msg: func(string) string { return "attributes is required." },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cluster := instanceCluster(t)
			before := describeInstance(t, c, cluster, aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn))
			arn := aws.ToString(before.ContainerInstanceArn)
			_, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: tt.attrs(arn)})
			tt.wantErr(t, err, tt.msg(arn))
			if after := describeInstance(t, c, cluster, arn); !sameJSON(after, before) {
				t.Fatalf("instance changed:\n%s\nwas\n%s", dump(after), dump(before))
			}
		})
	}

	t.Run("a deregistered instance", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		deregisterInstance(t, c, cluster, arn)
		_, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "stack", "prod")})
		notFound(t, err, "Could not find "+arn+".")
	})

	t.Run("an unknown cluster", func(t *testing.T) {
		t.Parallel()
		_, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(uniqueName(t, "nope")), Attributes: targeted(unknownInstanceID, "stack", "prod")})
		wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
	})
}

// --- DeleteAttributes ---

func TestDeleteAttributes(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("removes the named attributes and ignores names the instance lacks", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		putAttributes(t, c, cluster, targeted(arn, "stack", "prod", "team", "web", "gpu", "-"))
		attrs := append(targeted(arn, "stack", "-", "never-set", "-"), targeted(instanceIDOf(arn), "gpu", "whatever")...)
		out := deleteAttributes(t, c, cluster, attrs)
		if got, want := attrEntries(out.Attributes), attrEntries(attrs); !slices.Equal(got, want) {
			t.Errorf("response = %v, want %v", got, want)
		}
		wantAttrs(t, "described", describeInstance(t, c, cluster, arn).Attributes, append(slices.Clone(agentAttributes), "team", "web")...)
	})

	t.Run("rejections change nothing", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		putAttributes(t, c, cluster, targeted(arn, "stack", "prod"))
		before := describeInstance(t, c, cluster, arn)
		tests := []struct {
			name    string
			attrs   []types.Attribute
			wantErr func(testing.TB, error, string)
			msg     string
		}{
			{name: "built-in name", attrs: targeted(arn, "ecs.os-type", "-"), wantErr: wantAPIError[*types.InvalidParameterException],
				msg: `Attribute "ecs.os-type" is reserved: names starting with ecs. or com.amazonaws.ecs. are set by the agent.`},
			{name: "unknown target", attrs: append(targeted(arn, "stack", "-"), targeted(unknownInstanceID, "stack", "-")...),
				wantErr: wantAPIError[*types.TargetNotFoundException], msg: "Could not find " + unknownInstanceID + "."},
			{name: "no targetId", attrs: attrList("stack", "-"), wantErr: wantAPIError[*types.InvalidParameterException], msg: `targetId is required for attribute "stack".`},
			{name: "11 attributes", attrs: targeted(arn, numberedAttrs("k", 11)...), wantErr: wantAPIError[*types.InvalidParameterException], msg: "attributes can have at most 10 items."},
		}
		for _, tt := range tests {
			_, err := c.DeleteAttributes(ctx(t), &ecs.DeleteAttributesInput{Cluster: aws.String(cluster), Attributes: tt.attrs})
			tt.wantErr(t, err, tt.msg)
		}
		if after := describeInstance(t, c, cluster, arn); !sameJSON(after, before) {
			t.Fatalf("instance changed:\n%s\nwas\n%s", dump(after), dump(before))
		}
	})
}

// The SDK refuses to send an attribute without a name, or ListAttributes
// without targetType, so these go over raw, signed HTTP.
func TestAttributeActionsRequireTheirMembers(t *testing.T) {
	t.Parallel()
	cluster := instanceCluster(t)
	arn := aws.ToString(registerInstance(t, client(t), cluster).ContainerInstanceArn)
	badName := `Attribute name "" is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.`
	tests := []struct {
		name, op, body, msg string
	}{
		{name: "PutAttributes without attributes", op: "PutAttributes", body: `{"cluster":"` + cluster + `"}`, msg: "attributes is required."},
		{name: "PutAttributes with a nameless attribute", op: "PutAttributes", body: `{"cluster":"` + cluster + `","attributes":[{"value":"x","targetId":"` + arn + `"}]}`, msg: badName},
		{name: "DeleteAttributes with a nameless attribute", op: "DeleteAttributes", body: `{"cluster":"` + cluster + `","attributes":[{"targetId":"` + arn + `"}]}`, msg: badName},
		{name: "ListAttributes without targetType", op: "ListAttributes", body: `{"cluster":"` + cluster + `"}`, msg: "targetType must be container-instance."},
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
}

// --- ListAttributes ---

func TestListAttributes(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	arns := registerInstances(t, c, cluster, 4)
	slices.Sort(arns) // the listing's order is by instance id, then name
	a, b, d, gone := arns[0], arns[1], arns[2], arns[3]
	putAttributes(t, c, cluster, slices.Concat(targeted(a, "stack", "prod", "team", "web"), targeted(b, "stack", "dev"), targeted(d, "stack", "prod", "gpu", "-")))
	putAttributes(t, c, cluster, targeted(gone, "stack", "prod"))
	deregisterInstance(t, c, cluster, gone)

	// entries is what the listing shows of one instance's attributes.
	entries := func(arn string, nv ...string) []string {
		as := targeted(arn, append(slices.Clone(agentAttributes), nv...)...)
		for i := range as {
			as[i].TargetType = types.TargetTypeContainerInstance
		}
		slices.SortFunc(as, func(x, y types.Attribute) int { return strings.Compare(aws.ToString(x.Name), aws.ToString(y.Name)) })
		return attrEntries(as)
	}
	// The deregistered instance's attributes are not listed.
	all := slices.Concat(entries(a, "stack", "prod", "team", "web"), entries(b, "stack", "dev"), entries(d, "stack", "prod", "gpu", "-"))
	if len(all) != 17 {
		t.Fatalf("fixture: %d attributes, want 17", len(all))
	}
	only := func(keep func(e string) bool) []string {
		out := []string{}
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	named := func(name string) func(string) bool {
		return func(e string) bool { return strings.HasSuffix(e, " "+name) || strings.Contains(e, " "+name+"=") }
	}

	tests := []struct {
		name string
		in   ecs.ListAttributesInput
		want []string
	}{
		{name: "every attribute of every registered instance", want: all},
		{name: "attributeName", in: ecs.ListAttributesInput{AttributeName: aws.String("stack")}, want: only(named("stack"))},
		{
			name: "attributeName and attributeValue",
			in:   ecs.ListAttributesInput{AttributeName: aws.String("stack"), AttributeValue: aws.String("prod")},
			want: only(func(e string) bool { return strings.HasSuffix(e, " stack=prod") }),
		},
		{name: "a built-in attributeName", in: ecs.ListAttributesInput{AttributeName: aws.String("ecs.os-type")}, want: only(named("ecs.os-type"))},
		{name: "an attribute without a value", in: ecs.ListAttributesInput{AttributeName: aws.String("gpu")}, want: only(named("gpu"))},
		{name: "an attributeName no instance has", in: ecs.ListAttributesInput{AttributeName: aws.String("never-set")}, want: []string{}},
		{name: "an attributeValue no instance has", in: ecs.ListAttributesInput{AttributeName: aws.String("stack"), AttributeValue: aws.String("qa")}, want: []string{}},
		{name: "the cluster by ARN", in: ecs.ListAttributesInput{Cluster: aws.String(clusterARN(cluster))}, want: all},
	}
	for _, tt := range tests {
		for _, size := range []int32{0, 1, 2, 5} {
			t.Run(fmt.Sprintf("%s in pages of %d", tt.name, size), func(t *testing.T) {
				t.Parallel()
				in := tt.in
				in.Cluster = orCluster(in.Cluster, cluster)
				if size > 0 {
					in.MaxResults = aws.Int32(size)
				}
				if got := listAttributes(t, c, in); !slices.Equal(got, tt.want) {
					t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			})
		}
	}
}

// orCluster is the cluster reference p, or cluster when p is nil.
func orCluster(p *string, cluster string) *string {
	if p == nil {
		return aws.String(cluster)
	}
	return p
}

func TestListAttributesRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	registerInstance(t, c, cluster)
	other := instanceCluster(t)
	registerInstance(t, c, other)
	otherPage, err := c.ListAttributes(ctx(t), &ecs.ListAttributesInput{Cluster: aws.String(other), TargetType: types.TargetTypeContainerInstance, MaxResults: aws.Int32(1)})
	if err != nil || otherPage.NextToken == nil {
		t.Fatalf("ListAttributes of 4 by 1 = %v, %v; want a nextToken", otherPage, err)
	}
	const badToken = "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."
	invalid := wantAPIError[*types.InvalidParameterException]
	tests := []struct {
		name    string
		in      ecs.ListAttributesInput
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "attributeValue without attributeName", in: ecs.ListAttributesInput{AttributeValue: aws.String("prod")}, wantErr: invalid,
			msg: "attributeValue can only be given together with attributeName."},
		{name: "targetType other than container-instance", in: ecs.ListAttributesInput{TargetType: "task"}, wantErr: invalid, msg: "targetType must be container-instance."},
		{name: "maxResults 0", in: ecs.ListAttributesInput{MaxResults: aws.Int32(0)}, wantErr: invalid, msg: "maxResults must be between 1 and 100."},
		{name: "maxResults 101", in: ecs.ListAttributesInput{MaxResults: aws.Int32(101)}, wantErr: invalid, msg: "maxResults must be between 1 and 100."},
		{name: "garbage nextToken", in: ecs.ListAttributesInput{NextToken: aws.String("not a token")}, wantErr: invalid, msg: badToken},
		{name: "nextToken of another cluster's listing", in: ecs.ListAttributesInput{NextToken: otherPage.NextToken}, wantErr: invalid, msg: badToken},
		{name: "unknown cluster", in: ecs.ListAttributesInput{Cluster: aws.String(cluster + "-nope")},
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Cluster = orCluster(in.Cluster, cluster)
			if in.TargetType == "" {
				in.TargetType = types.TargetTypeContainerInstance
			}
			_, err := c.ListAttributes(ctx(t), &in)
			tt.wantErr(t, err, tt.msg)
		})
	}
}

// --- tags on container instances ---

func TestContainerInstanceTags(t *testing.T) {
	t.Parallel()
	c := client(t)
	// wantInstanceTags asserts ListTagsForResource and DescribeContainerInstances
	// with TAGS both show exactly want.
	wantInstanceTags := func(t *testing.T, cluster, arn string, want map[string]string) {
		t.Helper()
		if got := listTags(t, arn); !maps.Equal(got, want) {
			t.Fatalf("ListTagsForResource = %v, want %v", got, want)
		}
		if got := tagMap(describeInstance(t, c, cluster, arn, types.ContainerInstanceFieldTags).Tags); !maps.Equal(got, want) {
			t.Fatalf("DescribeContainerInstances with TAGS = %v, want %v", got, want)
		}
	}

	t.Run("tag, overwrite and untag", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, withInstanceTags("team", "platform", "env", "dev")).ContainerInstanceArn)
		wantInstanceTags(t, cluster, arn, map[string]string{"team": "platform", "env": "dev"})
		if _, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagList("env", "prod", "owner", "ops")}); err != nil {
			t.Fatal(err)
		}
		wantInstanceTags(t, cluster, arn, map[string]string{"team": "platform", "env": "prod", "owner": "ops"})
		if _, err := c.UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "never-set"}}); err != nil {
			t.Fatal(err)
		}
		wantInstanceTags(t, cluster, arn, map[string]string{"team": "platform", "owner": "ops"})
	})

	t.Run("an untagged instance lists no tags", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		wantInstanceTags(t, cluster, aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn), map[string]string{})
	})

	t.Run("the 50-tag limit counts the registration's tags", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, func(in *ecs.RegisterContainerInstanceInput) { in.Tags = numberedTags("old", 49) }).ContainerInstanceArn)
		_, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: numberedTags("new", 2)})
		wantAPIError[*types.InvalidParameterException](t, err, "A resource can have at most 50 tags; this request would leave it with 51.")
		wantInstanceTags(t, cluster, arn, tagMap(numberedTags("old", 49)))
	})

	t.Run("unknown and malformed container-instance ARNs", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		prefix := "arn:aws:ecs:" + testRegion + ":" + testAccount + ":container-instance/"
		tests := []struct {
			name, arn string
			wantErr   func(testing.TB, error, string)
			msg       string
		}{
			{name: "unknown instance", arn: instanceARN(cluster, unknownInstanceID),
				wantErr: wantAPIError[*types.ResourceNotFoundException], msg: "The specified resource could not be found."},
			{name: "instance of an unknown cluster", arn: instanceARN(cluster+"-nope", unknownInstanceID),
				wantErr: wantAPIError[*types.ResourceNotFoundException], msg: "The specified resource could not be found."},
			{name: "no instance id", arn: prefix + cluster, wantErr: wantAPIError[*types.InvalidParameterException], msg: "The ARN provided is invalid."},
			{name: "malformed instance id", arn: prefix + cluster + "/xyz", wantErr: wantAPIError[*types.InvalidParameterException], msg: "The ARN provided is invalid."},
		}
		for _, tt := range tests {
			arn := aws.String(tt.arn)
			_, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: arn, Tags: tagList("k", "v")})
			tt.wantErr(t, err, tt.msg)
			_, err = c.UntagResource(ctx(t), &ecs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"k"}})
			tt.wantErr(t, err, tt.msg)
			_, err = c.ListTagsForResource(ctx(t), &ecs.ListTagsForResourceInput{ResourceArn: arn})
			tt.wantErr(t, err, tt.msg)
		}
	})
}

package e2e

// Listing task definitions and their families: filters, order, paging.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestListTaskDefinitionsByStatus(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "status")
	tdRegisterN(t, c, family, 5)
	tdDeregister(t, c, family+":2", family+":4")
	tdDelete(t, c, family+":4")

	cases := []struct {
		name   string
		status types.TaskDefinitionStatus
		sort   types.SortOrder
		want   []int
	}{
		{"default is ACTIVE", "", "", []int{1, 3, 5}},
		{"ACTIVE", types.TaskDefinitionStatusActive, "", []int{1, 3, 5}},
		{"ACTIVE descending", types.TaskDefinitionStatusActive, types.SortOrderDesc, []int{5, 3, 1}},
		{"INACTIVE", types.TaskDefinitionStatusInactive, types.SortOrderAsc, []int{2}},
		{"DELETE_IN_PROGRESS", types.TaskDefinitionStatusDeleteInProgress, "", []int{4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: tc.status, Sort: tc.sort})
			if want := tdARNs(family, tc.want...); !slices.Equal(got, want) {
				t.Errorf("listed %v, want %v", got, want)
			}
		})
	}
}

func TestListTaskDefinitionsSortOrder(t *testing.T) {
	t.Parallel()
	c := client(t)
	// Families that sort differently as strings than a naive key layout
	// might: a family that is a prefix of others, '-' (0x2d) < '0' (0x30) <
	// 'B' (0x42) < '_' (0x5f) < 'b' (0x62). Family "a" gets 11 revisions so
	// that revision 10 must follow 9 (numeric, not textual, order).
	base := uniqueName(t, "sort") + "-"
	revisions := map[string]int{"ab": 1, "a-b": 2, "a": 11, "a_b": 1, "B": 1, "a0": 1, "a-a": 2}
	for _, suffix := range []string{"ab", "a", "a-b", "a_b", "B", "a0", "a-a"} { // not in sorted order
		tdRegisterN(t, c, base+suffix, revisions[suffix])
	}
	var asc []string
	for _, suffix := range []string{"B", "a", "a-a", "a-b", "a0", "a_b", "ab"} {
		for r := 1; r <= revisions[suffix]; r++ {
			asc = append(asc, tdARN(base+suffix, r))
		}
	}
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	ourPrefix := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", testRegion, testAccount, base)
	ours := func(arns []string) []string {
		return slices.DeleteFunc(arns, func(a string) bool { return !strings.HasPrefix(a, ourPrefix) })
	}

	cases := []struct {
		name string
		in   ecs.ListTaskDefinitionsInput
		want []string
	}{
		{"all families, default order is ASC", ecs.ListTaskDefinitionsInput{}, asc},
		{"all families, ASC", ecs.ListTaskDefinitionsInput{Sort: types.SortOrderAsc}, asc},
		{"all families, DESC", ecs.ListTaskDefinitionsInput{Sort: types.SortOrderDesc}, desc},
		{"familyPrefix is the exact family", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(base + "a")}, tdARNs(base+"a", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		{"familyPrefix is the exact family, DESC", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(base + "a-b"), Sort: types.SortOrderDesc}, tdARNs(base+"a-b", 2, 1)},
		{"familyPrefix is not a prefix match", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(base[:len(base)-1])}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := tdList(t, c, tc.in)
			if got = ours(got); !slices.Equal(got, tc.want) {
				t.Errorf("listed, in order:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestListTaskDefinitionsPagination(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "pages")
	tdRegisterN(t, c, family, 7)
	tdDeregister(t, c, family+":2", family+":5", family+":7")
	asc := []int{1, 3, 4, 6} // ACTIVE
	inactive := []int{2, 5, 7}

	for _, sort := range []types.SortOrder{types.SortOrderAsc, types.SortOrderDesc} {
		for _, status := range []types.TaskDefinitionStatus{types.TaskDefinitionStatusActive, types.TaskDefinitionStatusInactive} {
			for _, maxResults := range []int32{1, 2, 3, 4, 100} {
				t.Run(fmt.Sprintf("%s %s maxResults %d", status, sort, maxResults), func(t *testing.T) {
					t.Parallel()
					want := asc
					if status == types.TaskDefinitionStatusInactive {
						want = inactive
					}
					if sort == types.SortOrderDesc {
						want = slices.Clone(want)
						slices.Reverse(want)
					}
					got, pages := tdList(t, c, ecs.ListTaskDefinitionsInput{
						FamilyPrefix: aws.String(family), Status: status, Sort: sort, MaxResults: aws.Int32(maxResults),
					})
					if wantARNs := tdARNs(family, want...); !slices.Equal(got, wantARNs) {
						t.Errorf("paged listing = %v, want %v (no duplicates, none missing, in order)", got, wantARNs)
					}
					if n := (len(want) + int(maxResults) - 1) / int(maxResults); len(pages) != n {
						t.Errorf("%d pages %v, want %d full pages", len(pages), pages, n)
					}
				})
			}
		}
	}
}

func TestListTaskDefinitionsRejectsBadInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	family, other := uniqueName(t, "tok"), uniqueName(t, "other")
	tdRegisterN(t, c, family, 2)
	first, err := c.ListTaskDefinitions(ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, nextToken %v; want a token", err, first)
	}
	const badToken = "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."

	cases := []struct {
		name string
		in   ecs.ListTaskDefinitionsInput
		msg  string
	}{
		{"V10 familyPrefix with a dot", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("x.y")}, `family must match ^[a-zA-Z0-9\-_]+$`},
		{"familyPrefix with a colon", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family + ":1")}, `family must match ^[a-zA-Z0-9\-_]+$`},
		{"maxResults 0", ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(0)}, "maxResults must be between 1 and 100."},
		{"maxResults 101", ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(101)}, "maxResults must be between 1 and 100."},
		{"garbage nextToken", ecs.ListTaskDefinitionsInput{NextToken: aws.String("garbage!")}, badToken},
		{"base64 nextToken of another format", ecs.ListTaskDefinitionsInput{NextToken: aws.String("djI6eA")}, badToken},
		{"nextToken of another family's listing", ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(other), NextToken: first.NextToken}, badToken},
		{"unknown status", ecs.ListTaskDefinitionsInput{Status: "DELETED"}, `Invalid value "DELETED" for status. Valid values: ACTIVE, INACTIVE, DELETE_IN_PROGRESS.`},
		{"unknown sort", ecs.ListTaskDefinitionsInput{Sort: "RANDOM"}, `Invalid value "RANDOM" for sort. Valid values: ASC, DESC.`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.ListTaskDefinitions(ctx(t), &tc.in)
			wantAPIError[*types.InvalidParameterException](t, err, tc.msg)
		})
	}
	t.Run("nextToken resumes its own listing", func(t *testing.T) {
		t.Parallel()
		out, err := c.ListTaskDefinitions(ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), MaxResults: aws.Int32(1), NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if want := tdARNs(family, 2); !slices.Equal(out.TaskDefinitionArns, want) || out.NextToken != nil {
			t.Errorf("second page = %v (nextToken %v), want %v and no token", out.TaskDefinitionArns, aws.ToString(out.NextToken), want)
		}
	})
	t.Run("unknown family lists nothing", func(t *testing.T) {
		t.Parallel()
		out, err := c.ListTaskDefinitions(ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(other)})
		if err != nil {
			t.Fatal(err)
		}
		// AWS sends "taskDefinitionArns": []; berth omits the empty list,
		// which the SDK reads as nil. Either way, no items and no token.
		if len(out.TaskDefinitionArns) != 0 || out.NextToken != nil {
			t.Errorf("got %v (nextToken %v), want no items and no token", out.TaskDefinitionArns, aws.ToString(out.NextToken))
		}
	})
}

// --- ListTaskDefinitionFamilies ---

func TestListTaskDefinitionFamilies(t *testing.T) {
	t.Parallel()
	c := client(t)
	base := uniqueName(t, "fams") + "-"
	web, webAPI, webapp, db, old, deleted := base+"web", base+"web-api", base+"webapp", base+"db", base+"old", base+"deleted"
	tdRegisterN(t, c, web, 2)
	tdRegisterN(t, c, webAPI, 2)
	tdDeregister(t, c, webAPI+":1") // one ACTIVE revision left: still ACTIVE
	tdRegisterN(t, c, webapp, 1)
	tdRegisterN(t, c, db, 1)
	tdDeregister(t, c, tdRegisterN(t, c, old, 2)...) // every revision INACTIVE
	gone := tdRegisterN(t, c, deleted, 1)
	tdDeregister(t, c, gone...)
	tdDelete(t, c, gone...)

	cases := []struct {
		name   string
		prefix string
		status types.TaskDefinitionFamilyStatus
		want   []string
	}{
		{"default lists ACTIVE and INACTIVE", base, "", []string{db, deleted, old, web, webAPI, webapp}},
		{"ALL", base, types.TaskDefinitionFamilyStatusAll, []string{db, deleted, old, web, webAPI, webapp}},
		{"ACTIVE: at least one ACTIVE revision", base, types.TaskDefinitionFamilyStatusActive, []string{db, web, webAPI, webapp}},
		{"INACTIVE: no ACTIVE revision", base, types.TaskDefinitionFamilyStatusInactive, []string{deleted, old}},
		{"familyPrefix is a true prefix", web, "", []string{web, webAPI, webapp}},
		{"familyPrefix with a dash", web + "-", "", []string{webAPI}},
		{"familyPrefix equal to one family", webapp, "", []string{webapp}},
		{"familyPrefix and INACTIVE", base + "o", types.TaskDefinitionFamilyStatusInactive, []string{old}},
		{"familyPrefix matching nothing", base + "zzz", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(tc.prefix), Status: tc.status})
			if !slices.Equal(got, tc.want) {
				t.Errorf("families = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("a family becomes ACTIVE again with a new revision", func(t *testing.T) {
		revived := uniqueName(t, "revived") // outside base: this runs before the parallel cases
		tdDeregister(t, c, tdRegisterN(t, c, revived, 1)...)
		inactive, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(revived), Status: types.TaskDefinitionFamilyStatusInactive})
		tdRegister(t, c, td(revived))
		active, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(revived), Status: types.TaskDefinitionFamilyStatusActive})
		if !slices.Equal(inactive, []string{revived}) || !slices.Equal(active, []string{revived}) {
			t.Errorf("INACTIVE before = %v, ACTIVE after = %v; want [%s] both", inactive, active, revived)
		}
	})
}

func TestListTaskDefinitionFamiliesPagination(t *testing.T) {
	t.Parallel()
	c := client(t)
	base := uniqueName(t, "fampages") + "-"
	var all []string
	for i := range 7 {
		all = append(all, fmt.Sprintf("%sf%d", base, i))
		tdRegisterN(t, c, all[i], 1)
	}
	tdDeregister(t, c, all[5]+":1", all[6]+":1") // the last two are INACTIVE

	cases := []struct {
		status     types.TaskDefinitionFamilyStatus
		maxResults int32
		want       []string
		wantPages  []int
	}{
		{types.TaskDefinitionFamilyStatusAll, 1, all, []int{1, 1, 1, 1, 1, 1, 1}},
		{types.TaskDefinitionFamilyStatusAll, 2, all, []int{2, 2, 2, 1}},
		{types.TaskDefinitionFamilyStatusAll, 7, all, []int{7}},
		{types.TaskDefinitionFamilyStatusAll, 100, all, []int{7}},
		{types.TaskDefinitionFamilyStatusActive, 2, all[:5], []int{2, 2, 1}},
		// The families after the fifth are filtered out, so the first page
		// is also the last: no token leading to an empty page.
		{types.TaskDefinitionFamilyStatusActive, 5, all[:5], []int{5}},
		{types.TaskDefinitionFamilyStatusInactive, 1, all[5:], []int{1, 1}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s maxResults %d", tc.status, tc.maxResults), func(t *testing.T) {
			t.Parallel()
			got, pages := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{
				FamilyPrefix: aws.String(base), Status: tc.status, MaxResults: aws.Int32(tc.maxResults),
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("paged families = %v, want %v (no duplicates, none missing, in order)", got, tc.want)
			}
			if !slices.Equal(pages, tc.wantPages) {
				t.Errorf("page sizes = %v, want %v", pages, tc.wantPages)
			}
		})
	}
}

func TestListTaskDefinitionFamiliesRejectsBadInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	base := uniqueName(t, "famerr") + "-"
	tdRegisterN(t, c, base+"a", 1)
	tdRegisterN(t, c, base+"b", 1)
	first, err := c.ListTaskDefinitionFamilies(ctx(t), &ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(base), MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, %v; want a token", err, first)
	}
	const badToken = "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."
	cases := []struct {
		name string
		in   ecs.ListTaskDefinitionFamiliesInput
		msg  string
	}{
		{"familyPrefix with a dot", ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("x.y")}, `familyPrefix must match ^[a-zA-Z0-9\-_]+$`},
		{"maxResults 0", ecs.ListTaskDefinitionFamiliesInput{MaxResults: aws.Int32(0)}, "maxResults must be between 1 and 100."},
		{"maxResults 101", ecs.ListTaskDefinitionFamiliesInput{MaxResults: aws.Int32(101)}, "maxResults must be between 1 and 100."},
		{"garbage nextToken", ecs.ListTaskDefinitionFamiliesInput{NextToken: aws.String("garbage!")}, badToken},
		{"nextToken under another prefix", ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(base + "zzz"), NextToken: first.NextToken}, badToken},
		{"unknown status", ecs.ListTaskDefinitionFamiliesInput{Status: "DELETED"}, `Invalid value "DELETED" for status. Valid values: ACTIVE, INACTIVE, ALL.`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.ListTaskDefinitionFamilies(ctx(t), &tc.in)
			wantAPIError[*types.InvalidParameterException](t, err, tc.msg)
		})
	}
}

// --- DeregisterTaskDefinition ---

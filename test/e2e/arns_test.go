package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestForeignARNsNameNothing checks that an ARN of another region or
// account never resolves to this server's resources, even when the name in
// it exists here.
func TestForeignARNsNameNothing(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "foreign")
	if _, err := c.RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(32)}},
	}); err != nil {
		t.Fatal(err)
	}
	others := []struct{ name, region, account string }{
		{"other region", "eu-west-1", testAccount},
		{"other account", testRegion, "111111111111"},
	}
	for _, o := range others {
		prefix := "arn:aws:ecs:" + o.region + ":" + o.account + ":"
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			cluster := prefix + "cluster/default"
			out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{cluster}})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Clusters) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" || aws.ToString(out.Failures[0].Arn) != cluster {
				t.Fatalf("DescribeClusters(%s) = %d clusters, failures %+v; want one MISSING failure", cluster, len(out.Clusters), out.Failures)
			}
			_, err = c.UpdateClusterSettings(ctx(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String(cluster), Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
			wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")

			_, err = c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(prefix + "task-definition/" + family + ":1")})
			wantAPIError[*types.ClientException](t, err, "Unable to describe task definition.")

			_, err = c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(cluster), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			wantAPIError[*types.ResourceNotFoundException](t, err, "The specified resource could not be found.")
		})
	}
}

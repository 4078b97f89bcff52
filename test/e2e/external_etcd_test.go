package e2e

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// etcdReadyTimeout bounds a test etcd's start: a fresh single member elects
// itself in well under a second.
const etcdReadyTimeout = 30 * time.Second

// startExternalEtcd runs a single-member etcd with a client listener on a
// loopback port, standing in for an operator's etcd cluster.
func startExternalEtcd(t *testing.T) string {
	t.Helper()
	clientAddr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	peerAddr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(t.TempDir(), "etcd")
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop()) // its shutdown chatter is not the test's
	client := url.URL{Scheme: "http", Host: clientAddr}
	peer := url.URL{Scheme: "http", Host: peerAddr}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(etcdReadyTimeout):
		t.Fatal("external etcd not ready")
	}
	return client.String()
}

// TestServersShareAnExternalEtcd runs two berth servers on one external
// etcd, as a highly available deployment does, and registers into one family
// through both at once: revisions must be unique and gap-free, and each
// server must read what the other wrote.
func TestServersShareAnExternalEtcd(t *testing.T) {
	t.Parallel()
	endpoint := startExternalEtcd(t)
	var servers []*server
	for i := range 2 {
		s, err := startServer(filepath.Join(t.TempDir(), fmt.Sprint("server", i)), "server", "--auth", "strict", "--etcd-endpoints", endpoint)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.stop() })
		servers = append(servers, s)
	}
	family := uniqueName(t, "ha")
	const perServer, workers = 15, 4
	var mu sync.Mutex
	var revisions []int
	var wg sync.WaitGroup
	for _, s := range servers {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := clientFor(t, s)
				for range perServer {
					out, err := c.RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
						Family:               aws.String(family),
						ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(32)}},
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					revisions = append(revisions, int(out.TaskDefinition.Revision))
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	sort.Ints(revisions)
	for i, r := range revisions {
		if r != i+1 {
			t.Fatalf("revisions %v: want 1..%d, each once", revisions, len(servers)*workers*perServer)
		}
	}
	for i, s := range servers {
		out, err := clientFor(t, s).DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		if got := int(out.TaskDefinition.Revision); got != len(revisions) {
			t.Fatalf("server %d sees latest revision %d, want %d", i, got, len(revisions))
		}
	}
	// Both servers created the default cluster at start; there is one.
	out, err := clientFor(t, servers[1]).ListClusters(ctx(t), &ecs.ListClustersInput{})
	if err != nil || len(out.ClusterArns) != 1 {
		t.Fatalf("clusters = %v (err %v), want just default", out.ClusterArns, err)
	}
}

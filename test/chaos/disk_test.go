//go:build chaos

package chaos

// R5: the server's data volume fills up.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/internal/store"
)

const (
	// r5Volume is the size of the small file system the test makes for
	// the server's data: embedded etcd starts with about 125 MB (two
	// preallocated 64 MB WAL segments and the database).
	r5Volume = "400m"
	// r5FailFast is the scenario's bound on a refused write.
	r5FailFast = 5 * time.Second
	// r5Recover bounds writes being accepted again once space is freed:
	// the monitor looks every half second.
	r5Recover = 5 * time.Second
)

func TestR5DiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("R5 mounts a tmpfs for the server's data, which needs root (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+r5Volume, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() }) // after the server's stop, registered later
	srv := startServer(t, filepath.Join(dir, "data"))
	c := srv.Client(1)
	family := uniqueName("r5")
	var acked []int32
	registerOne := func() error {
		out, err := c.RegisterTaskDefinition(ctx(t), sleeper(family))
		if err == nil {
			acked = append(acked, out.TaskDefinition.Revision)
		}
		return err
	}
	for range 3 {
		if err := registerOne(); err != nil {
			t.Fatal(err)
		}
	}

	fill := filepath.Join(dir, "fill")
	fillUntil(t, dir, fill, store.DiskReserve/2)
	var slowest time.Duration
	await(t, r5FailFast, "writes are refused", func() bool {
		start := time.Now()
		err := registerOne()
		slowest = max(slowest, time.Since(start))
		var server *types.ServerException
		if err != nil && !errors.As(err, &server) {
			t.Fatalf("write on a full volume: %v, want a ServerException", err)
		}
		return err != nil
	})
	for range 10 {
		start := time.Now()
		err := registerOne()
		slowest = max(slowest, time.Since(start))
		var server *types.ServerException
		if !errors.As(err, &server) || server.ErrorMessage() == "" {
			t.Fatalf("write on a full volume: %v, want a ServerException", err)
		}
	}
	if slowest > r5FailFast {
		t.Errorf("a refused write took %s, over %s", slowest, r5FailFast)
	}
	r5Reads(t, c, family, acked)
	if !srv.Running() {
		t.Fatal("the server exited on a full volume")
	}

	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	await(t, r5Recover, "writes are accepted again", func() bool { return registerOne() == nil })
	recovered := time.Since(freed)

	srv.Kill()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	r5Reads(t, c, family, acked)
	figure(t, "R5", "slowest_refused_write", slowest.Round(time.Millisecond), "writes_again_after_freeing", recovered.Round(time.Millisecond), "acked_revisions_intact", len(acked))
}

// r5Reads: every acked revision is describable and the family lists them.
func r5Reads(t *testing.T, c *ecs.Client, family string, acked []int32) {
	t.Helper()
	for _, rev := range acked {
		ref := family + ":" + itoa(int(rev))
		if _, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)}); err != nil {
			t.Errorf("read %s: %v", ref, err)
		}
	}
	out, err := c.ListTaskDefinitions(ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), MaxResults: aws.Int32(100)})
	if err != nil || len(out.TaskDefinitionArns) != len(acked) {
		t.Errorf("ListTaskDefinitions: %v, %d revisions, want %d", err, len(out.TaskDefinitionArns), len(acked))
	}
}

// fillUntil allocates a file in dir's file system until only free bytes
// are left.
func fillUntil(t *testing.T, dir, path string, free uint64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := st.Bavail * uint64(st.Bsize)
	if avail <= free {
		t.Fatalf("only %d bytes free before filling", avail)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(avail-free)); err != nil {
		t.Fatalf("fallocate: %v", err)
	}
}

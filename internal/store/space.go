package store

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/etcdserver"
)

// The embedded etcd's data volume is watched so that a filling disk makes
// writes fail cleanly instead of crashing the server. etcd itself panics
// when a commit meets ENOSPC (its backend cannot be left half-written), and
// with it the whole berth process; what it handles gracefully is its
// NOSPACE alarm, normally raised when the backend outgrows its quota: while
// it is raised, writes are refused with "database space exceeded" (which
// the API answers as a ServerException, see ErrNoSpace) and reads are
// served. So berth raises that alarm itself when the volume's free space
// falls below a reserve, and disarms it once space has come back.
const (
	// DiskReserve is the free space below which writes are refused. It
	// covers the 64 MB WAL segment etcd allocates ahead of need, and the
	// writes accepted before the monitor's next look (at most a few MB at
	// full load); etcd's own writes while writes are refused (the alarm, a
	// compaction) need far less.
	DiskReserve = 128 << 20
	// diskHysteresis is how much more than DiskReserve must be free before
	// writes are accepted again, so that a volume hovering at the reserve
	// does not flap.
	diskHysteresis = 32 << 20
	// diskCheckInterval is how often the monitor looks at the volume: a
	// statfs is a few microseconds.
	diskCheckInterval = 500 * time.Millisecond
	// alarmTimeout bounds raising or disarming the alarm, a raft round
	// trip on a single node.
	alarmTimeout = 5 * time.Second
)

// spaceAction is what the monitor does after a look at the volume.
type spaceAction int

const (
	spaceKeep   spaceAction = iota
	spaceRaise              // free space fell below the reserve
	spaceDisarm             // free space is back above reserve + hysteresis
)

// decideSpace is the monitor's rule. For example, with the 128 MiB reserve
// and 32 MiB hysteresis: 100 MiB free raises the alarm; at 140 MiB free it
// stays raised; at 160 MiB it is disarmed.
func decideSpace(free uint64, raised bool) spaceAction {
	switch {
	case !raised && free < DiskReserve:
		return spaceRaise
	case raised && free >= DiskReserve+diskHysteresis:
		return spaceDisarm
	default:
		return spaceKeep
	}
}

// freeSpace is the space an unprivileged writer may still use on the
// volume holding dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// spaceMonitor raises and disarms the NOSPACE alarm of one etcd member.
type spaceMonitor struct {
	server *etcdserver.EtcdServer
	free   func() (uint64, error)
	log    *slog.Logger
}

// run looks at the volume every diskCheckInterval until ctx ends.
func (m *spaceMonitor) run(ctx context.Context) {
	tick := time.NewTicker(diskCheckInterval)
	defer tick.Stop()
	for {
		m.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check takes one look and acts on it. A NOSPACE alarm raised before a
// restart (by this monitor) is found in the member's alarms, so space
// freed while the server was down is noticed too.
func (m *spaceMonitor) check(ctx context.Context) {
	free, err := m.free()
	if err != nil {
		m.log.Warn("cannot read the data volume's free space", "err", err)
		return
	}
	raised := m.hasNoSpace()
	action := pb.AlarmRequest_ACTIVATE
	switch decideSpace(free, raised) {
	case spaceKeep:
		return
	case spaceRaise:
		m.log.Error("the data volume is nearly full: refusing writes until space is freed", "free_mib", free>>20, "reserve_mib", DiskReserve>>20)
	case spaceDisarm:
		action = pb.AlarmRequest_DEACTIVATE
		m.log.Info("the data volume has space again: accepting writes", "free_mib", free>>20)
	}
	ctx, cancel := context.WithTimeout(ctx, alarmTimeout)
	defer cancel()
	_, err = m.server.Alarm(ctx, &pb.AlarmRequest{Action: action, MemberID: uint64(m.server.MemberID()), Alarm: pb.AlarmType_NOSPACE})
	if err != nil && ctx.Err() == nil {
		m.log.Error("cannot change the NOSPACE alarm", "action", action.String(), "err", err)
	}
}

func (m *spaceMonitor) hasNoSpace() bool {
	for _, a := range m.server.Alarms() {
		if a.Alarm == pb.AlarmType_NOSPACE {
			return true
		}
	}
	return false
}

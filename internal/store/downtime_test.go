package store

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

var noon = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestDowntimeIsWhatAGapBetweenMarksLastsBeyondAnInterval(t *testing.T) {
	cases := []struct {
		name      string
		record    Downtime
		at        time.Time
		wantAt    time.Duration // Downtime.At
		wantTotal time.Duration // after a mark at the same time
	}{
		{"no record yet: nothing to count", Downtime{}, noon, 0, 0},
		{"a mark on time adds nothing",
			Downtime{AliveAt: noon, Total: time.Minute}, noon.Add(AliveInterval), time.Minute, time.Minute},
		{"one 2 s late adds 2 s",
			Downtime{AliveAt: noon, Total: time.Minute}, noon.Add(AliveInterval + 2*time.Second), time.Minute + 2*time.Second, time.Minute + 2*time.Second},
		{"an outage of ten minutes adds all but one interval",
			Downtime{AliveAt: noon, Total: time.Minute}, noon.Add(10 * time.Minute), 11*time.Minute - AliveInterval, 11*time.Minute - AliveInterval},
		{"a replica whose clock is behind the record's changes nothing",
			Downtime{AliveAt: noon, Total: time.Minute}, noon.Add(-time.Second), time.Minute, time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.record.At(c.at); got != c.wantAt {
				t.Errorf("At = %s, want %s", got, c.wantAt)
			}
			if got := c.record.mark(c.at).Total; got != c.wantTotal {
				t.Errorf("total after a mark = %s, want %s", got, c.wantTotal)
			}
		})
	}
}

// TestAwayTimeSurvivesAServerRestartWithoutTheOutage pins what a server
// restart does to the time an agent has been away, on the worked example
// of Downtime's documentation (lostInstanceTimeout 300 s): agent A left
// two minutes before the only server was killed, which stayed down ten
// minutes; agent B was connected when it was killed. Once the server is
// back, A keeps the two minutes it was away before the kill (the restart
// does not reset its clock) but not the ten minutes of the outage (it is
// lost about 5 minutes of server uptime after it left, not at once); B,
// whose session ended with the server, starts from the restart.
func TestAwayTimeSurvivesAServerRestartWithoutTheOutage(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	for _, id := range []string{"a", "b"} {
		if _, err := s.Update(ctx, func(tx *Tx) error {
			return tx.PutInstance(&ecs.ContainerInstance{ID: id, Cluster: "c", Status: ecs.InstanceActive, AgentConnected: true})
		}); err != nil {
			t.Fatal(err)
		}
	}
	at := func(hms string) time.Time {
		d, err := time.Parse("15:04:05", hms)
		if err != nil {
			t.Fatal(err)
		}
		return noon.Truncate(24 * time.Hour).Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second)
	}
	// alive marks the control plane alive from one time to another, every
	// AliveInterval, as the session layer does.
	alive := func(from, to string) {
		t.Helper()
		for m := at(from); !m.After(at(to)); m = m.Add(AliveInterval) {
			if _, err := s.MarkAlive(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	leave := func(id, hms string) {
		t.Helper()
		if changed, err := s.MarkAgentDisconnected(ctx, SessionEnd{Cluster: "c", InstanceID: id}, at(hms)); err != nil || !changed {
			t.Fatalf("mark %s disconnected: changed %v, %v", id, changed, err)
		}
	}
	away := func(id, hms string) time.Duration {
		t.Helper()
		inst, err := s.GetInstance(ctx, "c", id)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.GetDowntime(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return at(hms).Sub(d.AwaySince(inst.DisconnectedAt, inst.DowntimeAtDisconnect, at(hms)))
	}

	alive("11:59:58", "11:59:58")
	leave("a", "12:00:00")
	alive("12:00:03", "12:01:58")
	if got := away("a", "12:02:00"); got != 2*time.Minute {
		t.Fatalf("A away %s at the kill, want 2m0s", got)
	}
	// Killed at 12:02:00; back at 12:12:00. The session layer's first scan
	// finds B marked connected without a session before the first mark.
	leave("b", "12:12:00")
	alive("12:12:00", "12:15:00")
	if d, _ := s.GetDowntime(ctx); d.Total != 597*time.Second {
		t.Errorf("downtime %s, want 9m57s (the 602 s since the last mark, 12:01:58, less an interval)", d.Total)
	}
	for _, c := range []struct {
		id, at string
		want   time.Duration
	}{
		{"b", "12:12:03", 3 * time.Second},
		{"a", "12:12:00", 123 * time.Second},
		{"a", "12:14:56", 299 * time.Second},
		{"a", "12:14:57", 300 * time.Second},
	} {
		if got := away(c.id, c.at); got != c.want {
			t.Errorf("%s away %s at %s, want %s", c.id, got, c.at, c.want)
		}
	}

	// Reconnecting clears the time; the next disconnect starts afresh.
	lease, err := s.OpenAgentSession(ctx, "c", "a", "s1", 5*time.Second, at("12:15:10"))
	if err != nil {
		t.Fatal(err)
	}
	s.CloseAgentSession(lease)
	if inst, _ := s.GetInstance(ctx, "c", "a"); !inst.AgentConnected || !inst.DisconnectedAt.IsZero() || inst.DowntimeAtDisconnect != 0 {
		t.Errorf("after reconnecting: connected %v, disconnected at %s with downtime %s; want connected, no time",
			inst.AgentConnected, inst.DisconnectedAt, inst.DowntimeAtDisconnect)
	}
}

// An instance marked disconnected before berth recorded the time (or never
// connected) gets one from the session layer's scan, so that its time away
// starts counting; one that has a time keeps it.
func TestDisconnectTimeIsStampedOnceOnInstancesWithout(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if _, err := s.Update(ctx, func(tx *Tx) error {
		return tx.PutInstance(&ecs.ContainerInstance{ID: "old", Cluster: "c", Status: ecs.InstanceActive})
	}); err != nil {
		t.Fatal(err)
	}
	ends, _ := s.WatchSessionEnds(ctx)
	select {
	case e := <-ends:
		if changed, err := s.MarkAgentDisconnected(ctx, e, noon); err != nil || !changed {
			t.Fatalf("mark: changed %v, %v; want the time stamped", changed, err)
		}
	case <-ctx.Done():
		t.Fatal("the scan did not report the instance without a disconnect time")
	}
	if changed, err := s.MarkAgentDisconnected(ctx, SessionEnd{Cluster: "c", InstanceID: "old"}, noon.Add(time.Hour)); err != nil || changed {
		t.Fatalf("second mark: changed %v, %v; want the first time kept", changed, err)
	}
	if inst, _ := s.GetInstance(ctx, "c", "old"); !inst.DisconnectedAt.Equal(noon) {
		t.Errorf("disconnected at %s, want %s", inst.DisconnectedAt, noon)
	}
}

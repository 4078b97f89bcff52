package reconcile

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of the scenario scripts in testdata")

// TestScenarios runs the scripts in testdata: each is a service's life,
// one command a line, each command's output after "----" up to a blank
// line. Commands:
//
//	service desired=N [min=P] [max=P] [daemon] [breaker] [rollback] [health] [grace=S]
//	instances N | join ID | drain ID | disconnect ID | reconnect ID | ineligible ID
//	lost-after DURATION        the cluster's lostInstanceTimeout
//	step                       Step, applied as the controller would
//	tick DURATION              time passes
//	run|healthy|unhealthy|exit|finish all|IDS
//	                           agents report: RUNNING, HEALTHY, UNHEALTHY,
//	                           stopped on its own, a requested stop done
//	update TASKDEF | scale N | delete
//	tasks                      the tasks not STOPPED
//
// Run with -rewrite to regenerate the expected output.
func TestScenarios(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenario scripts: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			s := &scenario{}
			runScript(t, path, s.handle)
		})
	}
}

// runScript runs one script through handle, comparing (or with -rewrite,
// replacing) each command's expected output.
func runScript(t *testing.T, path string, handle func(t *testing.T, cmd string, args []string) string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out.WriteString(line + "\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := i + 1
		var want []string
		block := i+1 < len(lines) && lines[i+1] == "----"
		if block {
			for i += 2; i < len(lines) && lines[i] != ""; i++ {
				want = append(want, lines[i])
			}
		}
		fields := strings.Fields(line)
		got := handle(t, fields[0], fields[1:])
		if got != "" {
			out.WriteString("----\n" + got + "\n")
		}
		if block || got != "" {
			out.WriteString("\n")
		}
		if !*rewrite && got != strings.Join(want, "\n") {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, at, line, got, strings.Join(want, "\n"))
		}
	}
	if *rewrite {
		text := strings.ReplaceAll(out.String(), "\n\n\n", "\n\n")
		if err := os.WriteFile(path, []byte(strings.TrimRight(text, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// scenario is the world a script drives.
type scenario struct{ w *world }

func (s *scenario) handle(t *testing.T, cmd string, args []string) string {
	t.Helper()
	if cmd != "service" && s.w == nil {
		t.Fatalf("%s before service", cmd)
	}
	switch cmd {
	case "service":
		s.service(t, args)
	case "instances":
		n, _ := strconv.Atoi(args[0])
		s.w.insts = instances(n)
	case "join":
		s.w.insts = append(s.w.insts, inst(args[0]))
	case "drain", "ineligible", "reconnect":
		i := s.w.instance(args[0])
		map[string]func(*Instance){"drain": draining, "ineligible": ineligible, "reconnect": back}[cmd](i)
	case "disconnect":
		s.w.disconnect(s.w.instance(args[0]))
	case "lost-after":
		d, err := time.ParseDuration(args[0])
		if err != nil {
			t.Fatal(err)
		}
		s.w.lostAfter = d
	case "step":
		return s.step()
	case "tick":
		d, err := time.ParseDuration(args[0])
		if err != nil {
			t.Fatal(err)
		}
		s.w.now = s.w.now.Add(d)
	case "run", "healthy", "unhealthy", "exit", "finish":
		s.agents(cmd, args)
	case "update":
		s.w.update(args[0])
	case "scale":
		n, _ := strconv.Atoi(args[0])
		s.w.svc.DesiredCount = int32(n)
		s.w.svc.Deployments[0].DesiredCount = int32(n)
	case "delete":
		s.w.svc.Status, s.w.svc.DesiredCount = ecs.ServiceDraining, 0
	case "tasks":
		return s.taskTable()
	default:
		t.Fatalf("unknown command %q", cmd)
	}
	return ""
}

func (s *scenario) service(t *testing.T, args []string) {
	sv := svc(0, nil)
	healthChecked := false
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "desired":
			sv.DesiredCount = int32(n)
		case "min":
			sv.DeploymentConfiguration.MinimumHealthyPercent = int32(n)
		case "max":
			sv.DeploymentConfiguration.MaximumPercent = int32(n)
		case "daemon":
			daemonStrategy(&sv)
		case "breaker":
			breakerOn(false)(&sv)
		case "rollback":
			breakerOn(true)(&sv)
		case "health":
			healthChecked = true
		case "grace":
			sv.HealthCheckGracePeriodSeconds = int32(n)
		default:
			t.Fatalf("service: unknown %q", a)
		}
	}
	s.w = newWorld(sv, nil)
	s.w.healthChecked = healthChecked
}

// agents applies an agent report to the tasks named (or all it applies to).
func (s *scenario) agents(cmd string, args []string) {
	w := s.w
	for _, t := range w.tasks {
		if len(args) == 0 || args[0] != "all" && !contains(args, t.ID) {
			continue
		}
		switch cmd {
		case "run":
			if t.DesiredStatus == ecs.TaskRunning {
				w.run(t)
			}
		case "healthy", "unhealthy":
			w.setHealth(t, strings.ToUpper(cmd))
		case "exit":
			if t.DesiredStatus == ecs.TaskRunning || args[0] != "all" {
				w.exit(t)
			}
		case "finish":
			w.finishStop(t)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// step renders what a step did: its actions (with the tasks they placed
// or chose), the events added, the deployments and the wake.
func (s *scenario) step() string {
	w := s.w
	before := len(w.tasks)
	d := w.step()
	var out []string
	placed := w.tasks[before:]
	for _, st := range d.Start {
		var ids []string
		for len(placed) > 0 && len(ids) < st.Count && placed[0].DeploymentID == st.DeploymentID {
			ids = append(ids, placed[0].ID+"@"+placed[0].InstanceID)
			placed = placed[1:]
		}
		out = append(out, fmt.Sprintf("start %s (%s): %s", st.DeploymentID, st.TaskDefinitionARN, strings.Join(ids, " ")))
	}
	for _, st := range d.Stop {
		out = append(out, fmt.Sprintf("stop %s: %s", st.TaskID, st.Reason))
	}
	for _, c := range d.StopSome {
		out = append(out, fmt.Sprintf("stop %d of %s → %s: %s", c.Count, strings.Join(c.Candidates, " "),
			strings.Join(w.choose(c), " "), c.Reason))
	}
	for _, e := range w.added {
		out = append(out, "event "+e.Message)
	}
	for _, dp := range w.svc.Deployments {
		line := fmt.Sprintf("%s %s %s %s desired=%d running=%d pending=%d failed=%d",
			dp.ID, dp.Status, dp.TaskDefinitionARN, dp.RolloutState, dp.DesiredCount, dp.RunningCount, dp.PendingCount, dp.FailedTasks)
		if dp.LaunchFailures > 0 {
			line += fmt.Sprintf(" throttled=%d until %s", dp.LaunchFailures, relTime(dp.NextLaunchAt, w.now))
		}
		if dp.RolloutStateReason != "" {
			line += " (" + dp.RolloutStateReason + ")"
		}
		out = append(out, line)
	}
	if w.svc.Status != ecs.ServiceActive {
		out = append(out, "service "+string(w.svc.Status))
	}
	if !d.Wake.IsZero() {
		out = append(out, "wake "+relTime(d.Wake, w.now))
	}
	return strings.Join(out, "\n")
}

func (s *scenario) taskTable() string {
	var out []string
	for _, t := range s.w.tasks {
		if t.LastStatus == ecs.TaskStopped {
			continue
		}
		line := fmt.Sprintf("%s %s %s %s", t.ID, t.DeploymentID, t.InstanceID, t.LastStatus)
		if t.HealthChecked {
			line += " " + t.Health
		}
		if t.DesiredStatus == ecs.TaskStopped {
			line += " (stopping)"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

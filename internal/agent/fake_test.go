package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// fakeRuntime is an in-memory engine: containers start and stop when told,
// and a test can make one exit.
type fakeRuntime struct {
	mu         sync.Mutex
	next       int
	containers map[string]*fakeContainer
	events     chan ContainerEvent
	starts     int
	pullErr    error
	api        string // the API version Version reports; "" means fakeAPIVersion
	// held, when set, makes Stop wait until it is closed before the
	// container exits, as a container that takes its stopTimeout to die
	// does; stops records the ids Stop was called for, in order.
	held  chan struct{}
	stops []string
	// gate, when set, makes Start wait until it is closed; entered counts
	// the Start calls waiting or past it.
	gate    chan struct{}
	entered int
	// inspects counts Inspect calls; inspectsAtStop is the count at each
	// Stop call, in order.
	inspects       int
	inspectsAtStop []int
}

type fakeContainer struct {
	info ContainerInfo
	cfg  ContainerConfig
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{containers: map[string]*fakeContainer{}, events: make(chan ContainerEvent, 1024)}
}

// fakeAPIVersion is the Docker API version a fake engine speaks unless a
// test sets fakeRuntime.api.
const fakeAPIVersion = "1.44"

func (f *fakeRuntime) Version(context.Context) (EngineVersion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	api := f.api
	if api == "" {
		api = fakeAPIVersion
	}
	return EngineVersion{Release: "fake-1.0", API: api}, nil
}

func (f *fakeRuntime) EnsureImage(context.Context, string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return false, f.pullErr
}

func (f *fakeRuntime) Create(_ context.Context, c ContainerConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fc := range f.containers {
		if fc.info.Name == c.Name {
			return "", fmt.Errorf("%w: name %s in use", ErrCreate, c.Name)
		}
	}
	f.next++
	id := fmt.Sprintf("c%04d", f.next)
	f.containers[id] = &fakeContainer{cfg: c, info: ContainerInfo{ID: id, Name: c.Name, Labels: maps.Clone(c.Labels)}}
	return id, nil
}

func (f *fakeRuntime) Start(_ context.Context, id string) error {
	f.mu.Lock()
	f.entered++
	if gate := f.gate; gate != nil {
		f.mu.Unlock()
		<-gate
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	f.starts++
	c.info.Running, c.info.StartedAt, c.info.Pid = true, time.Now(), 1000+f.starts
	f.emit(c, "start")
	return nil
}

func (f *fakeRuntime) Stop(ctx context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	f.stops = append(f.stops, id)
	f.inspectsAtStop = append(f.inspectsAtStop, f.inspects)
	held := f.held
	f.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.exit(id, 143)
	return nil
}

// holdStops makes every Stop wait until the returned release is called.
func (f *fakeRuntime) holdStops() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = make(chan struct{})
	return sync.OnceFunc(func() { close(f.held) })
}

// stopped lists the ids Stop has been called for, in order, and how
// many inspects had been made before each call.
func (f *fakeRuntime) stopped() (ids []string, inspectsBefore []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stops), slices.Clone(f.inspectsAtStop)
}

func (f *fakeRuntime) inspectCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inspects
}

// exit makes a running container exit with code.
func (f *fakeRuntime) exit(id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok || !c.info.Running {
		return
	}
	c.info.Running, c.info.Exited, c.info.ExitCode, c.info.FinishedAt = false, true, code, time.Now()
	f.emit(c, "die")
}

func (f *fakeRuntime) emit(c *fakeContainer, action string) {
	select {
	case f.events <- ContainerEvent{ID: c.info.ID, Action: action, Labels: c.info.Labels}:
	default:
	}
}

func (f *fakeRuntime) Inspect(_ context.Context, id string) (ContainerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inspects++
	c, ok := f.containers[id]
	if !ok {
		return ContainerInfo{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return c.info, nil
}

func (f *fakeRuntime) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	return nil
}

func (f *fakeRuntime) List(_ context.Context, instanceARN string) ([]ContainerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ContainerInfo
	for _, c := range f.containers {
		if c.info.Labels[LabelInstanceARN] == instanceARN {
			out = append(out, c.info)
		}
	}
	return out, nil
}

func (f *fakeRuntime) Events(ctx context.Context, _ string) (<-chan ContainerEvent, <-chan error) {
	out := make(chan ContainerEvent)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-f.events:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errc
}

func (f *fakeRuntime) RemoveTaskVolumes(context.Context, string) error { return nil }

func (f *fakeRuntime) enteredStart() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entered
}

func (f *fakeRuntime) startCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

// byName finds a container by its engine name.
func (f *fakeRuntime) byName(name string) (ContainerInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.info.Name == name {
			return c.info, true
		}
	}
	return ContainerInfo{}, false
}

var _ Runtime = (*fakeRuntime)(nil)

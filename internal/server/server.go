package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/api/agentapi"
	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/controller"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/store"
)

const (
	// shutdownTimeout bounds how long Close waits for in-flight requests.
	// API calls are short (one etcd transaction), so a few seconds is ample.
	shutdownTimeout = 5 * time.Second
	// readHeaderTimeout protects the listener from clients that open a
	// connection and never finish their headers.
	readHeaderTimeout = 10 * time.Second
)

// Config is everything a control-plane process needs.
type Config struct {
	Listen        string   // API listen address, e.g. 127.0.0.1:4040
	DataDir       string   // embedded etcd data and generated credentials live here
	EtcdEndpoints []string // external etcd cluster; empty means embedded
	Region        string   // region in every ARN
	AccountID     string   // account in every ARN
	Auth          awsjson.AuthMode
	Credentials   awsjson.Credentials // keys accepted in strict mode
	Log           *slog.Logger
	// AgentHeartbeatTimeout: how long an agent may go without a heartbeat
	// before agentConnected turns false; 0 means the protocol's default.
	AgentHeartbeatTimeout time.Duration
	// TaskRetention is how long stopped tasks stay describable; 0 means
	// controller.DefaultTaskRetention.
	TaskRetention time.Duration
	// NoControllers makes a server that serves the API and agents but
	// never campaigns to run the controllers (the service scheduler and
	// the retention sweep): an extra API server beside scheduling ones on
	// a shared etcd, or a server whose scheduler an operator (or a fault
	// test) wants stopped while the API stays up.
	NoControllers bool
}

// Server is a running control plane.
type Server struct {
	cfg      Config
	listener net.Listener
	http     *http.Server
	embedded *store.Embedded
	cli      *clientv3.Client
	ready    atomic.Bool
	api      atomic.Pointer[awsjson.Server]
	agents   atomic.Pointer[agentapi.API]
	stop     context.CancelFunc // ends the background loops
	loops    chan struct{}      // closed when they have returned
	done     chan struct{}
	serveErr error
}

// Start binds the listener, opens the store and serves until Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s := &Server{cfg: cfg, listener: ln, done: make(chan struct{})}
	api := http.NewServeMux()
	s.http = &http.Server{Handler: api, ReadHeaderTimeout: readHeaderTimeout, ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn)}
	api.HandleFunc("GET /healthz", s.healthz)
	api.HandleFunc("/agent/", s.serveAgents)
	api.HandleFunc("/", s.serveAPI)
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()

	st, err := s.openStore(ctx)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	placements := placement.NewCache(st, cfg.Log)
	placer := placement.NewPlacer(placements)
	arns := arn.Builder{Region: cfg.Region, Account: cfg.AccountID}
	ecs, err := ecsapi.New(ctx, ecsapi.Config{Store: st, ARNs: arns, Log: cfg.Log, Placer: placer})
	if err != nil {
		stop()
		_ = s.Close()
		return nil, err
	}
	verifier := &awsjson.Verifier{Mode: cfg.Auth, Credentials: cfg.Credentials}
	agents := agentapi.New(agentapi.Config{
		Store: st, ECS: ecs, ARNs: arns,
		Verifier: verifier, Log: cfg.Log, HeartbeatTimeout: cfg.AgentHeartbeatTimeout,
	})
	s.stop, s.loops = stop, make(chan struct{})
	retention := &controller.Retention{Store: st, Log: cfg.Log, Retention: cfg.TaskRetention, Now: time.Now}
	services := &controller.Services{Store: st, Placer: placer, ARNs: arns, Log: cfg.Log, ID: s.Addr()}
	go func() {
		defer close(s.loops)
		done, serviced := make(chan struct{}), make(chan struct{})
		if cfg.NoControllers {
			close(done)
			close(serviced)
			cfg.Log.Warn("controllers are off: services are not scheduled and stopped tasks not purged by this server")
		} else {
			go func() {
				defer close(done)
				retention.Run(loopCtx)
			}()
			go func() {
				defer close(serviced)
				services.Run(loopCtx)
			}()
		}
		cached := make(chan struct{})
		go func() {
			defer close(cached)
			placements.Run(loopCtx)
		}()
		agents.Run(loopCtx)
		<-done
		<-cached
		<-serviced
	}()
	s.api.Store(awsjson.NewServer(verifier, cfg.Log, ecs.Service()))
	s.agents.Store(agents)
	s.ready.Store(true)
	cfg.Log.Info("berth server ready", "listen", s.Addr(), "auth", string(cfg.Auth), "region", cfg.Region)
	return s, nil
}

func (s *Server) openStore(ctx context.Context) (*store.Store, error) {
	if len(s.cfg.EtcdEndpoints) > 0 {
		cli, err := store.DialExternal(ctx, s.cfg.EtcdEndpoints, s.cfg.Log)
		if err != nil {
			return nil, err
		}
		s.cli = cli
		return store.New(cli), nil
	}
	e, err := store.StartEmbedded(ctx, filepath.Join(s.cfg.DataDir, "etcd"), s.cfg.Log)
	if err != nil {
		return nil, err
	}
	s.embedded = e
	return store.New(e.Client()).WithMaxTxnOps(store.EmbeddedMaxTxnOps).WithLocalReads(), nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	api := s.api.Load()
	if api == nil || !s.ready.Load() {
		awsjson.WriteError(w, &awsjson.Error{Type: awsjson.TypeServer, Message: "The server is starting; try again shortly.", Status: http.StatusServiceUnavailable})
		return
	}
	api.ServeHTTP(w, r)
}

func (s *Server) serveAgents(w http.ResponseWriter, r *http.Request) {
	agents := s.agents.Load()
	if agents == nil || !s.ready.Load() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":"` + agentproto.CodeInternal + `","message":"The server is starting; try again shortly."}` + "\n"))
		return
	}
	agents.Handler().ServeHTTP(w, r)
}

// Err reports a fatal error of the embedded store.
func (s *Server) Err() <-chan error {
	if s.embedded == nil {
		return nil
	}
	return s.embedded.Err()
}

// Addr is the address the API listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the API endpoint, e.g. http://127.0.0.1:4040.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Done is closed when the listener stops serving.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops serving, waits for in-flight requests, and closes the store.
func (s *Server) Close() error {
	s.ready.Store(false)
	if agents := s.agents.Load(); agents != nil {
		agents.Close() // ends the long-lived session streams Shutdown would wait for
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	<-s.done
	if s.stop != nil {
		s.stop()
		<-s.loops
	}
	if s.cli != nil {
		err = errors.Join(err, s.cli.Close())
	}
	if s.embedded != nil {
		err = errors.Join(err, s.embedded.Close())
	}
	return errors.Join(err, s.serveErr)
}

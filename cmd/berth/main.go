// Command berth is a self-hosted container orchestrator that speaks the
// Amazon ECS API. See the README for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-org/berth/internal/gctune"
	"github.com/berth-org/berth/internal/version"
)

const usage = `berth — a self-hosted container orchestrator that speaks the Amazon ECS API

Usage:
  berth dev     [flags]   server with embedded etcd, for one machine (start here)
  berth server  [flags]   control plane for production
  berth agent   [flags]   run this machine's containers as a container instance
  berth version           print the version

Run 'berth <command> -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Only the control plane tunes its collector (a fixed headroom past
	// its live heap: see gctune); an agent runs on every machine beside
	// its tasks and keeps Go's default, so its memory stays small
	// (docs/performance.md, "Task start benchmark").
	if os.Getenv("GOGC") == "" && len(os.Args) > 1 && (os.Args[1] == "server" || os.Args[1] == "dev") {
		go gctune.Run(ctx)
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "berth:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stderr)
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "agent":
		return runAgent(ctx, args[1:], stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "berth", version.String())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

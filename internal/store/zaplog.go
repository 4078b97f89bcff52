package store

import (
	"context"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newZapToSlog returns a zap logger that writes into log. etcd logs through
// zap and is chatty at info level (every raft step, every snapshot), so only
// warnings and errors are passed on; they matter to an operator.
func newZapToSlog(log *slog.Logger) *zap.Logger {
	return zap.New(&slogCore{log: log, level: zapcore.WarnLevel})
}

type slogCore struct {
	log   *slog.Logger
	level zapcore.Level
	attrs []any
}

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.level }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.attrs = append(append([]any(nil), c.attrs...), fieldAttrs(fields)...)
	return &clone
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// harmlessWarnings are etcd warnings that do not apply to berth's embedded
// etcd: it serves clients in-process only, so neither its shared listener
// nor its auth tokens are reachable from outside.
var harmlessWarnings = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if e.Level == zapcore.WarnLevel && harmlessWarnings[e.Message] {
		return nil
	}
	level := slog.LevelWarn
	if e.Level >= zapcore.ErrorLevel {
		level = slog.LevelError
	}
	attrs := append(append([]any(nil), c.attrs...), fieldAttrs(fields)...)
	c.log.Log(context.Background(), level, e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

func fieldAttrs(fields []zapcore.Field) []any {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]any, 0, 2*len(enc.Fields))
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	return attrs
}

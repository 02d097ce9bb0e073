package proxy

import (
	"fmt"
	"log/slog"
	"regexp"
)

// The closed set of log keys kshare uses for requests.
const (
	keyShare    = "share" // share ID (never the secret)
	keyMethod   = "method"
	keyPath     = "path" // canonical path under the share (never the token)
	keyStatus   = "status"
	keyReason   = "reason" // refusal reason, stable for alerting
	keyDetail   = "detail"
	keyRule     = "rule"
	keyErr      = "err"
	keyDuration = "duration_ms"
)

// tokenRE matches anything shaped like a link token (id.secret).
var tokenRE = regexp.MustCompile(`[a-z2-7]{16}\.[A-Za-z0-9_-]{32}`)

// Redact removes every link token from s. It guards text kshare does not
// compose itself (goproxy's and net/http's log lines, transport errors).
func Redact(s string) string { return tokenRE.ReplaceAllString(s, "REDACTED") }

func redactError(err error) string {
	if err == nil {
		return ""
	}
	return Redact(err.Error())
}

// redactingLogger adapts slog for goproxy's and net/http's printf loggers.
type redactingLogger struct{ log *slog.Logger }

// Printf logs one redacted line at debug level.
func (l redactingLogger) Printf(format string, v ...any) {
	l.log.Debug(Redact(fmt.Sprintf(format, v...)))
}

// Write lets redactingLogger back a *log.Logger (http.Server.ErrorLog).
func (l redactingLogger) Write(p []byte) (int, error) {
	l.log.Warn(Redact(string(p)))
	return len(p), nil
}

// ErrorLogWriter returns a writer for http.Server.ErrorLog that redacts
// tokens and logs through log.
func ErrorLogWriter(log *slog.Logger) interface{ Write([]byte) (int, error) } {
	return redactingLogger{log}
}

package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/tokens"
)

// defaultTimeRange is Kibana's built-in timepicker:timeDefaults on every
// line (kibana-api.md §3.3).
var defaultTimeRange = [2]string{"now-15m", "now"}

// serveEntry answers the link itself: 303 to the object's app page under
// the share's base path, chrome hidden and the time pinned in _g.
func (s *Server) serveEntry(w http.ResponseWriter, r *http.Request, sh *tokens.Share,
	base string, l kbn.Line) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.refuse(w, r, "/", refMethod, "entry method", slog.String(keyShare, sh.ID))
		return
	}
	// The object must still exist: a deleted dashboard gets a plain page
	// rather than Kibana's error inside an empty app.
	if _, err := s.opt.Objects.Object(r.Context(), sh.Space, objectType(sh.Kind), sh.ObjectID); err != nil {
		s.refuse(w, r, "/", kibanaRefusal(err), "entry object", slog.String(keyShare, sh.ID))
		return
	}
	pin, err := s.pin(r.Context(), sh, l)
	if err != nil {
		s.refuse(w, r, "/", kibanaRefusal(err), "entry time", slog.String(keyShare, sh.ID))
		return
	}
	w.Header().Set("Content-Security-Policy", editCSP("", s.frames(sh)))
	setFrameOptions(w.Header(), s.frames(sh))
	setShareHeaders(w.Header())
	w.Header().Set("Location", s.absoluteShareURL(base, kbn.EntryPath(l, sh.Kind, sh.ObjectID, pin)))
	w.WriteHeader(http.StatusSeeOther)
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "entry", slog.String(keyShare, sh.ID),
		slog.String(keyDetail, l.Name))
}

// objectType is the saved-object type of a share's object kind.
func objectType(kind string) string {
	if kind == kbn.KindLens {
		return "lens"
	}
	return kind
}

// pin returns the time a share shows. Snapshots carry their absolute
// window. Saved-object shares follow the object: its saved time when
// timeRestore is on, else the space's timepicker:timeDefaults; they are
// read through the object cache, so edits show up within its TTL.
func (s *Server) pin(ctx context.Context, sh *tokens.Share, l kbn.Line) (kbn.Pin, error) {
	if sh.Mode == tokens.Snapshot {
		return kbn.Pin{
			From:    sh.From.UTC().Format(isoMillis),
			To:      sh.To.UTC().Format(isoMillis),
			Refresh: kbn.Refresh{Pause: true},
		}, nil
	}
	return SavedPin(ctx, s.opt.Objects, sh.Space, objectType(sh.Kind), sh.ObjectID, l)
}

// isoMillis is how Kibana writes absolute times in _g.
const isoMillis = "2006-01-02T15:04:05.000Z"

// SavedPin works out the time of a saved-object share: the object's saved
// time when it restores time, else the space's timepicker defaults.
func SavedPin(ctx context.Context, src ObjectSource, space, typ, id string, l kbn.Line) (kbn.Pin, error) {
	obj, err := src.Object(ctx, space, typ, id)
	if err != nil {
		return kbn.Pin{}, err
	}
	if from, to, ok := obj.SavedTime(); ok {
		ref, _ := obj.SavedRefresh()
		return kbn.Pin{From: from, To: to, Refresh: ref}, nil
	}
	set, err := src.Settings(ctx, space, l)
	if err != nil {
		return kbn.Pin{}, err
	}
	from, to := timeDefaultsSetting(set)
	return kbn.Pin{From: from, To: to, Refresh: refreshDefaults(set)}, nil
}

// timeDefaultsSetting reads timepicker:timeDefaults, a JSON string.
func timeDefaultsSetting(set map[string]any) (string, string) {
	var v struct{ From, To string }
	if s, ok := set["timepicker:timeDefaults"].(string); ok && json.Unmarshal([]byte(s), &v) == nil &&
		v.From != "" && v.To != "" {
		return v.From, v.To
	}
	return defaultTimeRange[0], defaultTimeRange[1]
}

func refreshDefaults(set map[string]any) kbn.Refresh {
	var v kbn.Refresh
	if s, ok := set["timepicker:refreshIntervalDefaults"].(string); ok && json.Unmarshal([]byte(s), &v) == nil {
		return v
	}
	return kbn.Refresh{Pause: true}
}

// localAnswers are the bodies kshare sends for requests it answers itself.
var localAnswers = map[string]string{
	"ok":        `{}`,
	"telemetry": `{"optIn":false,"sendUsageFrom":"browser","telemetryNotifyUserAboutOptInDefault":false}`,
	"no-alert":  `{"displayAlert":false}`,
	"oss-state": `{"insecureClusterAlert":{"displayAlert":false}}`,
	// The current user: a recipient, never the service account.
	"me": `{"username":"kshare-recipient","full_name":"","email":null,"roles":[],"enabled":true,` +
		`"metadata":{},"authentication_realm":{"name":"kshare","type":"kshare"},` +
		`"lookup_realm":{"name":"kshare","type":"kshare"},"authentication_provider":{"type":"kshare","name":"kshare"},` +
		`"authentication_type":"realm"}`,
}

// answerLocal answers a request kshare must not forward, so the page keeps
// working (the 7.10 UI saves a default data view on a first load).
func (s *Server) answerLocal(w http.ResponseWriter, r *http.Request, ru rule, rq *request) {
	sh := rq.share
	body := localAnswers[ru.local]
	switch ru.local {
	case "settings":
		body = echoSettings(rq.body)
	case "find-data-views":
		b, _ := json.Marshal(findDataViews(rq.closure, rq.query))
		body = string(b)
	case "list-data-views":
		b, _ := json.Marshal(listDataViews(rq.closure))
		body = string(b)
	case "has-data-views":
		has := firstDataView(rq.closure) != ""
		b, _ := json.Marshal(map[string]bool{"hasDataView": has, "hasUserDataView": has, "hasESData": true})
		body = string(b)
	case "has-user-index-pattern":
		b, _ := json.Marshal(map[string]bool{"result": firstDataView(rq.closure) != ""})
		body = string(b)
	}
	setShareHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
	s.opt.Metrics.local(ru.name)
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "answered locally", slog.String(keyShare, sh.ID),
		slog.String(keyRule, ru.name))
}

// echoSettings answers a settings write as Kibana would, without storing
// anything: {"settings": {key: {"userValue": value}}}.
func echoSettings(body []byte) string {
	var in struct {
		Changes map[string]any `json:"changes"`
	}
	_ = json.Unmarshal(body, &in)
	out := map[string]map[string]any{}
	for k, v := range in.Changes {
		out[k] = map[string]any{"userValue": v}
	}
	b, _ := json.Marshal(map[string]any{"settings": out})
	return string(b)
}

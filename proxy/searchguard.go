package proxy

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/kshare/kshare/proxy/kbn"
	"github.com/kshare/kshare/proxy/search"
	"github.com/kshare/kshare/tokens"
	"github.com/kshare/kshare/tokens/datemath"
)

// KeySource hands out a key every kshare replica agrees on (the share
// store's SharedKey), so async search ids bound on one replica verify on
// another.
type KeySource interface {
	SharedKey(ctx context.Context, name string) ([]byte, error)
}

// savedTolerance widens a saved-object share's window on both sides: the
// browser evaluates "now" a moment before kshare does, and a request may sit
// in a queue.
const savedTolerance = 2 * time.Minute

// asyncKeyName names the shared key that binds async search ids.
const asyncKeyName = "async-search"

// searchRewriters check and rewrite a search request body for the rules
// that name them (policy.go), returning the body to forward.
var searchRewriters = map[string]func(s *Server, rq *request, sc search.Scope) ([]byte, error){
	"internal": func(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
		return search.InternalSearch(rq.body, rq.canon.segments[2], sc)
	},
	"internal-poll": pollSearch,
	"bsearch": func(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
		return search.Bsearch(rq.body, sc)
	},
	"msearch6": func(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
		return search.Msearch6(rq.body, sc)
	},
	"msearch-osd": func(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
		return search.MsearchOSD(rq.body, sc)
	},
	"tsvb":     tsvbSearch,
	"timelion": timelionSearch,
	"cancel":   cancelSearch,
	"mvt":      tileSearch,
	"options-list": func(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
		segs := rq.canon.segments
		return search.OptionsList(segs[len(segs)-1], rq.body, sc)
	},
}

// checkSearch rewrites a search request to the share's indices, window and
// filters. Anything it cannot verify is refused; nothing is forwarded but
// the body it re-serialised.
func (s *Server) checkSearch(ctx context.Context, rq *request, ru rule) (refusal, string, bool) {
	if ru.search == "" {
		return refusal{}, "", true
	}
	if rq.closure == nil {
		return refForbidden, "search without closure", false
	}
	sc, err := s.scope(ctx, rq)
	if errors.Is(err, errKQL) || errors.Is(err, ErrBadFilter) {
		return refForbidden, "search scope: " + err.Error(), false
	}
	if err != nil {
		return kibanaRefusal(err), "search scope: " + err.Error(), false
	}
	bodiless := ru.search == "cancel" || ru.search == "internal-poll" || ru.search == "mvt"
	if !bodiless && len(bytes.TrimSpace(rq.body)) == 0 {
		return refBadRequest, "empty search body", false
	}
	body, err := searchRewriters[ru.search](s, rq, sc)
	switch {
	case errors.Is(err, search.ErrMalformed):
		return refBadRequest, "search: " + err.Error(), false
	case errors.Is(err, search.ErrTooLarge):
		return refTooLarge, "search: " + err.Error(), false
	case err != nil:
		return refForbidden, "search: " + err.Error(), false
	}
	rq.body = body // nil for cancels and tiles: no body of the client's goes on
	rq.scope = &sc
	return refusal{}, "", true
}

// scope is what this share may search now.
func (s *Server) scope(ctx context.Context, rq *request) (search.Scope, error) {
	cl := rq.closure
	panels := s.restrictions.of(cl)
	from, to, err := s.window(ctx, rq.share, rq.line)
	if err != nil {
		return search.Scope{}, err
	}
	filters, err := filterClauses(rq.share.Filters)
	if err != nil {
		return search.Scope{}, err
	}
	saved, err := s.savedClauses(ctx, rq.share)
	if err != nil {
		return search.Scope{}, err
	}
	filters = append(filters, saved...)
	key, err := s.asyncKey(ctx)
	if err != nil {
		return search.Scope{}, err
	}
	return search.Scope{
		AllowIndex: cl.AllowsIndex,
		TimeField: func(index string) string {
			if dv, ok := cl.HasDataViewTitle(index); ok {
				return dv.TimeField
			}
			return ""
		},
		From: from, To: to, Filters: filters, IDKey: key, ShareID: rq.share.ID,
		IndexFilters: func(index string) []json.RawMessage {
			if c, ok := panels.clauses[index]; ok {
				return []json.RawMessage{c}
			}
			return nil
		},
		ControlField: func(index, field string) bool {
			_, restricted := panels.clauses[index]
			return restricted && panels.controls[index][field]
		},
	}, nil
}

// tileSearch checks a maps tile's rison requestBody and puts the
// re-encoded one in the forwarded query.
func tileSearch(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
	body, err := search.Tile(rq.query.Get("index"), rq.query.Get("requestBody"), sc)
	if err != nil {
		return nil, err
	}
	rq.query.Set("requestBody", body)
	return nil, nil
}

// window is the share's time window: a snapshot's stored one, or a
// saved-object share's saved range evaluated with Kibana's date math now,
// widened by savedTolerance.
func (s *Server) window(ctx context.Context, sh *tokens.Share, l kbn.Line) (time.Time, time.Time, error) {
	if sh.Mode == tokens.Snapshot {
		return sh.From, sh.To, nil
	}
	pin, err := s.pin(ctx, sh, l)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	loc, err := time.LoadLocation(sh.TZ)
	if err != nil {
		loc = time.UTC
	}
	from, to, err := datemath.Range(pin.From, pin.To, datemath.Options{Now: s.now(), Location: loc})
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("saved time range: %w", err)
	}
	return from.Add(-savedTolerance), to.Add(savedTolerance), nil
}

// asyncKey returns the shared key, read once per process.
func (s *Server) asyncKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	if s.opt.Keys == nil {
		return nil, errors.New("no key source for async search ids")
	}
	k, err := s.opt.Keys.SharedKey(ctx, asyncKeyName)
	if err != nil {
		return nil, err
	}
	s.key = k
	return k, nil
}

// pollSearch unbinds the async id in /internal/search/{strategy}/{id} and
// points the forwarded path at the real id.
func pollSearch(s *Server, rq *request, sc search.Scope) ([]byte, error) {
	strategy, wrapped := rq.canon.segments[2], rq.canon.segments[3]
	id, body, err := search.InternalSearchPoll(rq.body, strategy, wrapped, sc)
	if err != nil {
		return nil, err
	}
	rq.upstreamPath = s.searchPath(rq, strategy, id)
	return body, nil
}

// cancelSearch does the same for DELETE /internal/search/{strategy}/{id}.
func cancelSearch(s *Server, rq *request, sc search.Scope) ([]byte, error) {
	strategy, wrapped := rq.canon.segments[2], rq.canon.segments[3]
	id, err := search.UnbindID(sc.IDKey, sc.ShareID, wrapped)
	if err != nil {
		return nil, err
	}
	rq.upstreamPath = s.searchPath(rq, strategy, id)
	return nil, nil
}

func (s *Server) searchPath(rq *request, strategy, id string) string {
	return s.basePth + kbn.SpacePath(rq.share.Space) + "/internal/search/" +
		url.PathEscape(strategy) + "/" + url.PathEscape(id)
}

// tsvbModel is what identifies a TSVB panel model: its id, type and
// series ids. The id alone is not enough: Kibana's sample dashboards hold
// two TSVB visualizations whose models share one id (a gauge and a time
// series in the eCommerce dashboard).
type tsvbModel struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Series []struct {
		ID string `json:"id"`
	} `json:"series"`
}

func (m tsvbModel) same(o tsvbModel) bool {
	if m.ID != o.ID || m.Type != o.Type || len(m.Series) != len(o.Series) {
		return false
	}
	for i := range m.Series {
		if m.Series[i].ID != o.Series[i].ID {
			return false
		}
	}
	return true
}

// tsvbSearch replaces the request's panel model with the saved one of the
// closure's TSVB visualization that the request names: TSVB's server
// trusts the model it is sent (kibana-api.md §2.6), and 7.10 sends
// savedObjectId "unsaved", so the model's id, type and series identify it.
func tsvbSearch(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
	var in struct {
		Panels []tsvbModel `json:"panels"`
	}
	if err := json.Unmarshal(rq.body, &in); err != nil || len(in.Panels) != 1 || in.Panels[0].ID == "" {
		return nil, fmt.Errorf("%w: tsvb request without one panel id", search.ErrMalformed)
	}
	for _, p := range rq.closure.Panels {
		if p.VisType != "metrics" || len(p.Params) == 0 {
			continue
		}
		var saved tsvbModel
		if json.Unmarshal(p.Params, &saved) == nil && saved.same(in.Panels[0]) {
			return search.TSVB(rq.body, sc, p.Params)
		}
	}
	return nil, fmt.Errorf("%w: tsvb panel %q is not one of the shared object's", search.ErrForbidden, in.Panels[0].ID)
}

// timelionSearch forces the saved sheet of the closure's Timelion panel
// whose expression the request names.
func timelionSearch(_ *Server, rq *request, sc search.Scope) ([]byte, error) {
	var in struct {
		Sheet []string `json:"sheet"`
	}
	if err := json.Unmarshal(rq.body, &in); err != nil || len(in.Sheet) != 1 {
		return nil, fmt.Errorf("%w: timelion request without one sheet", search.ErrMalformed)
	}
	for _, p := range rq.closure.Panels {
		var params struct {
			Expression string `json:"expression"`
		}
		if p.VisType == "timelion" && json.Unmarshal(p.Params, &params) == nil && params.Expression == in.Sheet[0] {
			return search.Timelion(rq.body, sc, []string{params.Expression})
		}
	}
	return nil, fmt.Errorf("%w: timelion sheet is not one of the shared object's", search.ErrForbidden)
}

// asyncAnswer binds async ids in an /internal/search answer.
func asyncAnswer(_ *Server, rq *request, b []byte) ([]byte, error) {
	if rq.scope == nil {
		return b, nil
	}
	return search.WrapResponseIDs(b, rq.scope.IDKey, rq.scope.ShareID)
}

// ndjsonLines streams a bsearch answer line by line, binding async ids in
// each and, when the browser asked for compressed lines, compressing them
// as Kibana would (zlib, then base64): kshare asked Kibana for plain lines
// so it could read them.
type ndjsonLines struct {
	src      io.ReadCloser
	buf      []byte
	out      bytes.Buffer
	scope    *search.Scope
	compress bool
	err      error
}

func (n *ndjsonLines) Read(p []byte) (int, error) {
	for n.out.Len() == 0 && n.err == nil {
		n.fill()
	}
	if n.out.Len() > 0 {
		return n.out.Read(p)
	}
	return 0, n.err
}

// fill reads until one whole line is transformed (or the stream ends).
func (n *ndjsonLines) fill() {
	if i := bytes.IndexByte(n.buf, '\n'); i >= 0 {
		line := n.buf[:i]
		n.buf = n.buf[i+1:]
		n.emit(line)
		return
	}
	chunk := make([]byte, 32<<10)
	k, err := n.src.Read(chunk)
	n.buf = append(n.buf, chunk[:k]...)
	if err != nil {
		if len(bytes.TrimSpace(n.buf)) > 0 {
			n.emit(n.buf)
		}
		n.buf = nil
		n.err = err
	}
}

func (n *ndjsonLines) emit(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	out, err := search.WrapResponseIDs(line, n.scope.IDKey, n.scope.ShareID)
	if err != nil {
		n.err = fmt.Errorf("bsearch answer: %w", err)
		return
	}
	if n.compress {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, _ = zw.Write(out)
		_ = zw.Close()
		out = []byte(base64.StdEncoding.EncodeToString(z.Bytes()))
	}
	n.out.Write(out)
	n.out.WriteByte('\n')
}

func (n *ndjsonLines) Close() error { return n.src.Close() }

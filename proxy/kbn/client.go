package kbn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Errors a Client returns; callers branch on them with errors.Is.
var (
	// ErrNotFound means Kibana answered that the object does not exist.
	ErrNotFound = errors.New("kibana object not found")
	// ErrUnauthorized means Kibana refused kshare's service credentials
	// (401, 403, or a redirect to its login page).
	ErrUnauthorized = errors.New("kibana refused the service credentials")
	// ErrUnavailable means Kibana could not be reached or failed (5xx).
	ErrUnavailable = errors.New("kibana unavailable")
)

// maxAPIBody bounds every JSON answer the client reads: saved objects with
// large panelsJSON stay well below it.
const maxAPIBody = 16 << 20

// Client talks to Kibana's HTTP API with the service credentials. It never
// follows redirects: a redirect from an API route means the login page.
type Client struct {
	base *url.URL
	hc   *http.Client
	auth func(http.Header)
}

// NewClient returns a client for the Kibana at base (its path is Kibana's
// server.basePath). auth adds the service credentials to a request; rt is
// the transport to use (nil: http.DefaultTransport).
func NewClient(base *url.URL, rt http.RoundTripper, auth func(http.Header)) *Client {
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc := &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if auth == nil {
		auth = func(http.Header) {}
	}
	return &Client{base: base, hc: hc, auth: auth}
}

// Status is the part of Kibana's /api/status answer kshare uses.
type Status struct {
	Version     string
	BuildNumber int64
}

// Status asks Kibana for its version.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var raw struct {
		Version struct {
			Number      string `json:"number"`
			BuildNumber int64  `json:"build_number"`
		} `json:"version"`
	}
	if err := c.getJSON(ctx, "", "/api/status", nil, &raw); err != nil {
		return Status{}, fmt.Errorf("kibana status: %w", err)
	}
	if raw.Version.Number == "" {
		return Status{}, fmt.Errorf("kibana status: %w: no version in answer", ErrUnavailable)
	}
	return Status{Version: raw.Version.Number, BuildNumber: raw.Version.BuildNumber}, nil
}

// Line asks Kibana for its version and maps it to a line.
func (c *Client) Line(ctx context.Context) (Line, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return Line{}, err
	}
	return FromVersion(st.Version)
}

// Object reads one saved object in a space ("" = default).
func (c *Client) Object(ctx context.Context, space, typ, id string) (SavedObject, error) {
	var so SavedObject
	p := "/api/saved_objects/" + url.PathEscape(typ) + "/" + url.PathEscape(id)
	if err := c.getJSON(ctx, space, p, nil, &so); err != nil {
		return SavedObject{}, fmt.Errorf("read %s %q: %w", typ, id, err)
	}
	if so.Type == "" {
		so.Type = typ
	}
	return so, nil
}

// Settings returns the user-set advanced settings of a space as plain
// values (Kibana wraps each in {"userValue": v}).
func (c *Client) Settings(ctx context.Context, space string, l Line) (map[string]any, error) {
	p := "/api/kibana/settings"
	if l.OSD {
		p = "/api/opensearch-dashboards/settings"
	}
	var raw struct {
		Settings map[string]struct {
			UserValue any `json:"userValue"`
		} `json:"settings"`
	}
	if err := c.getJSON(ctx, space, p, nil, &raw); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	out := make(map[string]any, len(raw.Settings))
	for k, v := range raw.Settings {
		out[k] = v.UserValue
	}
	return out, nil
}

// SpacePath returns the path prefix of a space: "" for the default space.
func SpacePath(space string) string {
	if space == "" || space == "default" {
		return ""
	}
	return "/s/" + space
}

func (c *Client) getJSON(ctx context.Context, space, p string, q url.Values, v any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + SpacePath(space) + p
	u.RawPath = ""
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	c.auth(req.Header)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, redactURLError(err))
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return err
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxAPIBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: bad answer: %v", ErrUnavailable, err)
	}
	return nil
}

func statusError(resp *http.Response) error {
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound:
		return ErrNotFound
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ErrUnauthorized
	case code >= 300 && code < 400:
		// Kibana sends unauthenticated API and page requests to its login page.
		return fmt.Errorf("%w: redirected (%d)", ErrUnauthorized, code)
	default:
		return fmt.Errorf("%w: status %d", ErrUnavailable, code)
	}
}

// redactURLError drops the URL from a transport error: it is Kibana's
// internal address, which the recipient must not see, and the error may end
// up in a page.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Capabilities asks Kibana what the service account may do, as the UI
// does on every page load. Non-boolean entries are skipped.
func (c *Client) Capabilities(ctx context.Context, space string, l Line) (map[string]map[string]bool, error) {
	if l.Legacy() {
		return nil, fmt.Errorf("capabilities: %w: not on 6.x", ErrNotFound)
	}
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + SpacePath(space) + "/api/core/capabilities"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(),
		strings.NewReader(`{"applications":[]}`))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if l.OSD {
		req.Header.Set("Osd-Xsrf", "kshare")
	} else {
		req.Header.Set("Kbn-Xsrf", "kshare")
	}
	c.auth(req.Header)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w: %w", ErrUnavailable, redactURLError(err))
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	var raw map[string]map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPIBody)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("capabilities: %w: bad answer: %v", ErrUnavailable, err)
	}
	out := map[string]map[string]bool{}
	for app, m := range raw {
		out[app] = map[string]bool{}
		for k, v := range m {
			if b, ok := v.(bool); ok {
				out[app][k] = b
			}
		}
	}
	return out, nil
}

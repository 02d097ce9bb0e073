package kibanatest

import (
	"encoding/json"
	"net/http"
)

// serverUUID is the fixed uuid the stand-in reports.
const serverUUID = "5b2de169-2785-441b-ae8c-186a1936b17d"

// apiStatus is GET /api/status. 8.0 replaced overall.state ("green") with
// overall.level ("available").
func (s *Server) apiStatus(c *call) {
	p := s.prof
	overall := map[string]any{
		"state": "green", "title": "Green", "nickname": "Looking good",
		"icon": "success", "uiColor": "secondary", "since": "2021-07-26T15:41:12.345Z",
	}
	status := map[string]any{"overall": overall, "statuses": []any{}}
	if p.v8Status() {
		overall = map[string]any{
			"level": "available", "summary": "All services and plugins are available",
		}
		status = map[string]any{"overall": overall, "core": map[string]any{}, "plugins": map[string]any{}}
	}
	c.json(http.StatusOK, map[string]any{
		"name": p.distName, "uuid": serverUUID,
		"version": map[string]any{
			"number": p.version, "build_hash": p.buildSHA, "build_number": p.buildNum,
			"build_snapshot": false,
		},
		"status": status,
		"metrics": map[string]any{
			"last_updated": "2021-07-26T15:41:12.345Z", "collection_interval_in_millis": 5000,
		},
	})
}

// userSetting returns one user-set setting of a space, or nil.
func (s *Server) userSetting(space, key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings[space][key]
}

// settingsBody is the shape of GET /api/kibana/settings: only user-provided
// values, buildNum always among them (ui_settings routes/get.ts).
func (s *Server) settingsBody(space string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{"buildNum": map[string]any{"userValue": s.prof.buildNum}}
	for k, v := range s.settings[space] {
		out[k] = map[string]any{"userValue": copyValue(v)}
	}
	return map[string]any{"settings": out}
}

func (s *Server) getSettings(c *call) { c.json(http.StatusOK, s.settingsBody(c.rp.space)) }

// postSettings is the settings write ({"changes":{key:value}}, null
// deletes). It is stored, so a test can see both the request and its effect.
func (s *Server) postSettings(c *call) {
	var req struct {
		Changes map[string]any `json:"changes"`
	}
	if err := decodeJSON(c.body, &req); err != nil || req.Changes == nil {
		c.badRequest("[request body.changes]: expected value of type [object] but got [undefined]")
		return
	}
	s.mu.Lock()
	m := s.settings[c.rp.space]
	for k, v := range req.Changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	s.mu.Unlock()
	c.json(http.StatusOK, s.settingsBody(c.rp.space))
}

func (s *Server) inputControlSettings(c *call) {
	c.json(http.StatusOK, map[string]any{
		"autocompleteTimeout": 1000, "autocompleteTerminateAfter": 100000,
	})
}

// capabilities is POST /api/core/capabilities: what the logged-in user may
// do. The service account is a superuser, so everything is on. 9.x versioned
// the dashboard/discover/visualize features (dashboard_v2 …); the old keys
// stay for deprecated features.
func (s *Server) capabilities(c *call) {
	dash := map[string]any{
		"show": true, "createNew": true, "showWriteControls": true, "saveQuery": true,
		"createShortUrl": true, "storeSearchSession": true,
	}
	vis := map[string]any{
		"show": true, "save": true, "delete": true, "saveQuery": true, "createShortUrl": true,
	}
	disc := map[string]any{"show": true, "save": true, "saveQuery": true, "createShortUrl": true}
	out := map[string]any{
		"navLinks": map[string]any{
			"home": true, "dashboards": true, "discover": true, "visualize": true,
			"management": true, "dev_tools": true, "kibana": true,
		},
		"management": map[string]any{"kibana": map[string]any{
			"indexPatterns": true, "objects": true, "settings": true,
		}},
		"catalogue": map[string]any{
			"dashboard": true, "discover": true, "visualize": true, "console": true,
			"advanced_settings": true, "indexPatterns": true,
		},
		"dashboard": dash, "visualize": vis, "discover": disc,
		"advancedSettings": map[string]any{"show": true, "save": true},
		"indexPatterns":    map[string]any{"save": true},
		"savedObjectsManagement": map[string]any{
			"read": true, "edit": true, "delete": true, "copyIntoSpace": true, "shareIntoSpace": true,
		},
	}
	if s.prof.line.AtLeast(9, 0) {
		out["dashboard_v2"], out["visualize_v2"], out["discover_v2"] = dash, vis, disc
	}
	c.json(http.StatusOK, out)
}

// securityMe is the current user (6.x /api/security/v1/me, 7.x+
// /internal/security/me): the service account the proxy logs in with.
func (s *Server) securityMe(c *call) {
	realm := map[string]any{"name": "reserved", "type": "reserved"}
	authType := "realm"
	if c.user.apiKey {
		realm = map[string]any{"name": "_es_api_key", "type": "_es_api_key"}
		authType = "api_key"
	}
	me := map[string]any{
		"username": c.user.username, "roles": []any{"superuser"}, "full_name": nil,
		"email": nil, "metadata": map[string]any{}, "enabled": true,
		"authentication_realm": realm, "lookup_realm": realm,
	}
	if s.prof.newPlatform() {
		me["authentication_provider"] = map[string]any{"type": "basic", "name": "basic"}
		me["authentication_type"] = authType
	}
	c.json(http.StatusOK, me)
}

// osdAuthInfo is the OSD security plugin's /api/v1/auth/authinfo.
func (s *Server) osdAuthInfo(c *call) {
	c.json(http.StatusOK, map[string]any{
		"user":      "User [name=" + c.user.username + ", backend_roles=[], requestedTenant=null]",
		"user_name": c.user.username, "user_requested_tenant": nil,
		"backend_roles": []any{}, "roles": []any{"all_access"}, "tenants": map[string]any{},
	})
}

func spaceJSON(id string) map[string]any {
	if id == defaultSpace {
		return map[string]any{
			"id": id, "name": "Default", "description": "This is your default space!",
			"color": "#00bfb3", "disabledFeatures": []any{}, "_reserved": true,
		}
	}
	return map[string]any{"id": id, "name": id, "disabledFeatures": []any{}}
}

func (s *Server) activeSpace(c *call) { c.json(http.StatusOK, spaceJSON(c.rp.space)) }

func (s *Server) listSpaces(c *call) {
	out := make([]any, 0, len(s.basis.spaces))
	for _, sp := range s.basis.spaces {
		out = append(out, spaceJSON(sp))
	}
	c.json(http.StatusOK, out)
}

// licenseSig is the kbn-license-sig of headers.json, sent with the licence.
func (s *Server) licenseSig() string { return s.basis.pageHeaders["kbn-license-sig"] }

func (s *Server) licensingInfo(c *call) {
	c.w.Header().Set("kbn-license-sig", s.licenseSig())
	c.json(http.StatusOK, map[string]any{
		"license": map[string]any{
			"uid": "a3e8c6e0-2f3b-4a1d-9c1e-6f0b2d9e7a11", "type": "basic", "mode": "basic",
			"status": "active", "expiryDateInMillis": 4102444800000,
		},
		"features": map[string]any{
			"security": map[string]any{"isAvailable": true, "isEnabled": true},
			"spaces":   map[string]any{"isAvailable": true, "isEnabled": true},
		},
		"signature": s.licenseSig(),
	})
}

// xpackInfo is 6.x /api/xpack/v1/info; the browser re-reads it when the
// kbn-xpack-sig header changes (kibana-api.md §1.3).
func (s *Server) xpackInfo(c *call) {
	c.w.Header().Set("kbn-xpack-sig", s.basis.pageHeaders["kbn-xpack-sig"])
	c.json(http.StatusOK, map[string]any{
		"license": map[string]any{"type": "basic", "isActive": true, "expiryDateInMillis": 4102444800000},
		"features": map[string]any{
			"security": map[string]any{"showLogin": true, "allowLogin": true, "showLinks": true},
			"spaces":   map[string]any{"showSpaces": true},
		},
	})
}

func (s *Server) insecureAlert(c *call) {
	c.json(http.StatusOK, map[string]any{"displayAlert": false})
}

func (s *Server) securityOSSAppState(c *call) {
	c.json(http.StatusOK, map[string]any{
		"insecureClusterAlert": map[string]any{"displayAlert": false},
		"anonymousAccess":      map[string]any{"isEnabled": false, "accessURLParameters": nil},
	})
}

// okStatus answers the usage reporters (ui_metric, ui_counters).
func (s *Server) okStatus(c *call) { c.json(http.StatusOK, map[string]any{"status": "ok"}) }

// consoleProxy is Dev Tools' raw Elasticsearch pass-through (kibana-api.md
// §1.8). It answers 200 with what Elasticsearch would, so a test can tell
// that a request got through when it must not have.
func (s *Server) consoleProxy(c *call) {
	body, _ := json.Marshal(map[string]any{
		"name": "es01", "cluster_name": "docker-cluster", "tagline": "You Know, for Search",
		"kibanatest": "raw Elasticsearch answer via /api/console/proxy",
	})
	c.bytes(http.StatusOK, "application/json; charset=UTF-8", body)
}

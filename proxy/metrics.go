package proxy

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are kshare's Prometheus metrics. Labels are bounded sets (rule
// names, refusal reasons, status classes): never a path, token or share ID.
// A nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	refusals *prometheus.CounterVec
	locals   *prometheus.CounterVec
	upstream *prometheus.HistogramVec
}

// NewMetrics registers kshare's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kshare_forwarded_requests_total",
			Help: "Requests forwarded to Kibana, by policy rule and status class.",
		}, []string{"rule", "code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kshare_refused_requests_total",
			Help: "Requests kshare refused or answered with an error page, by reason.",
		}, []string{"reason"}),
		locals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kshare_local_answers_total",
			Help: "Requests answered by kshare itself instead of Kibana, by rule.",
		}, []string{"rule"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kshare_upstream_seconds",
			Help:    "Time until Kibana's response headers, by policy rule.",
			Buckets: prometheus.DefBuckets,
		}, []string{"rule"}),
	}
	reg.MustRegister(m.requests, m.refusals, m.locals, m.upstream)
	return m
}

func (m *Metrics) forwarded(rule string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(rule, strconv.Itoa(status/100)+"xx").Inc()
	m.upstream.WithLabelValues(rule).Observe(d.Seconds())
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.refusals.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) local(rule string) {
	if m != nil {
		m.locals.WithLabelValues(rule).Inc()
	}
}

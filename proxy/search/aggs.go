package search

import "strconv"

// aggTypes are the aggregation types Kibana's dashboards build (legacy
// visualizations, Lens, Maps, Vega specs kept to the same vocabulary, input
// controls). Any other type is refused by name. Refused on purpose:
// global (ignores the query, so the window), scripted_metric (arbitrary
// map/reduce scripts), significant_text, and the parent-join and
// matrix aggregations no dashboard builds.
var aggTypes = map[string]bool{
	// bucket
	"terms": true, "multi_terms": true, "rare_terms": true,
	"significant_terms": true, // background pinned to the window, see agg
	"date_histogram":    true, "auto_date_histogram": true, "histogram": true,
	"range": true, "date_range": true, "ip_range": true,
	"filter": true, "filters": true, "missing": true,
	"composite": true, "nested": true, "reverse_nested": true,
	"sampler": true, "diversified_sampler": true, "random_sampler": true,
	"geotile_grid": true, "geohash_grid": true, "geohex_grid": true,
	// metric
	"avg": true, "sum": true, "min": true, "max": true,
	"cardinality": true, "value_count": true,
	"percentiles": true, "percentile_ranks": true,
	"stats": true, "extended_stats": true,
	"top_hits": true, "top_metrics": true, "weighted_avg": true,
	"median_absolute_deviation": true,
	"geo_bounds":                true, "geo_centroid": true, "geo_line": true,
	// pipeline
	"bucket_script": true, "bucket_selector": true,
	"cumulative_sum": true, "derivative": true,
	"moving_avg": true, "moving_fn": true, "serial_diff": true,
	"avg_bucket": true, "sum_bucket": true, "min_bucket": true, "max_bucket": true,
}

// termsLike are bucket aggregations whose min_doc_count 0 lists terms from
// the whole index, outside the query and so outside the window.
var termsLike = map[string]bool{
	"terms": true, "multi_terms": true, "significant_terms": true,
}

// aggs checks an aggs object: every named aggregation, recursively. tf is
// the item's time field, used to pin significant_terms' background set.
func (rw *rewriter) aggs(v *value, path, tf string) error {
	if !v.isObject() {
		return malformed("%s is not an object", path)
	}
	for _, m := range v.members {
		if err := rw.agg(m.val, path+"."+m.key, tf); err != nil {
			return err
		}
	}
	return nil
}

// agg checks one aggregation: exactly one type key, plus optional meta and
// sub-aggregations.
func (rw *rewriter) agg(v *value, path, tf string) error {
	if !v.isObject() {
		return malformed("aggregation %s is not an object", path)
	}
	var typ string
	var body, sub *value
	for _, m := range v.members {
		switch m.key {
		case "aggs", "aggregations":
			if sub != nil {
				return malformed("aggregation %s has both aggs and aggregations", path)
			}
			sub = m.val
		case "meta":
		default:
			if typ != "" {
				return malformed("aggregation %s has two types, %q and %q", path, typ, m.key)
			}
			typ, body = m.key, m.val
		}
	}
	if typ == "" {
		return malformed("aggregation %s has no type", path)
	}
	if !aggTypes[typ] {
		return forbidden("aggregation type %q (at %s)", typ, path)
	}
	if err := rw.aggBody(typ, body, tf); err != nil {
		return at(path, err)
	}
	if sub != nil {
		key := "aggs"
		if v.get("aggs") == nil {
			key = "aggregations"
		}
		return rw.aggs(sub, path+"."+key, tf)
	}
	return nil
}

// aggBody applies the per-type rules.
func (rw *rewriter) aggBody(typ string, body *value, tf string) error {
	if !body.isObject() {
		return malformed("%s body is not an object", typ)
	}
	if termsLike[typ] {
		if n := body.get("min_doc_count"); n != nil {
			f, err := strconv.ParseFloat(n.s, 64)
			if n.kind != kNumber || err != nil || f < 1 {
				return forbidden("%s min_doc_count %s (lists terms outside the window)",
					typ, describe(n))
			}
		}
	}
	if typ == "significant_terms" {
		// The background set defaults to the whole index; its counts
		// (bg_count) would describe documents outside the window. Pin it to
		// the window and the share's filters instead.
		if body.get("background_filter") != nil {
			return forbidden("significant_terms background_filter")
		}
		body.set("background_filter", rw.scoped(nil, tf))
	}
	return nil
}

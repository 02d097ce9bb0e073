package search

import "fmt"

// MaxTileBody bounds a tile's rison requestBody. Tile URLs are GETs; the
// largest Kibana writes (a documents layer with many fields and filters)
// is a few KB.
const MaxTileBody = 64 << 10

// Tile checks the search body of an Elastic Maps vector tile request
// (7.x /api/maps/mvt/getTile|getGridTile, 8.x–9.x /internal/maps/mvt/…):
// index and requestBody travel as query parameters, the body rison-encoded
// (kibana-api.md §2.9). Kibana's server takes query, aggs,
// runtime_mappings, size, fields and sort from it
// (x-pack/platform/plugins/shared/maps/common/mvt_request_body.ts). The
// body gets the same checks and window as any search item and is returned
// re-encoded: what Kibana decodes is what kshare checked.
func Tile(index, requestBody string, sc Scope) (string, error) {
	if len(requestBody) > MaxTileBody {
		return "", fmt.Errorf("%w: tile requestBody over %d bytes", ErrTooLarge, MaxTileBody)
	}
	rw, err := newRewriter(sc, false)
	if err != nil {
		return "", err
	}
	idx, err := rw.checkIndex(newString(index))
	if err != nil {
		return "", err
	}
	text, err := risonJSON(requestBody)
	if err != nil {
		return "", err
	}
	body, err := parse(text)
	if err != nil {
		return "", err
	}
	out, err := rw.searchBody(idx, body)
	if err != nil {
		return "", err
	}
	return string(appendRison(make([]byte, 0, len(requestBody)+256), out)), nil
}

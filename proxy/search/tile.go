package search

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kshare/kshare/proxy/kbn"
)

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
//
// Kibana 8.x decodes the parameter once more before rison
// (decodeURIComponent, then "%25" to "%"; its browser encodes it twice),
// 7.x does not. kshare reads the text decoded that extra time, refuses
// any '%' left in it, and forwards rison without a '%': every line then
// reads the same text, however many times it decodes it.
func Tile(index, requestBody string, sc Scope) (string, error) {
	if len(requestBody) > MaxTileBody {
		return "", fmt.Errorf("%w: tile requestBody over %d bytes", ErrTooLarge, MaxTileBody)
	}
	// Kibana ignores the size and aggs of a hits tile, so no tile body is
	// an input control's value listing.
	sc.ControlField = nil
	rw, err := newRewriter(sc, false)
	if err != nil {
		return "", err
	}
	idx, err := rw.checkIndex(newString(index))
	if err != nil {
		return "", err
	}
	plain, err := url.PathUnescape(requestBody)
	switch {
	case err != nil:
		return "", malformed("tile requestBody: %v", err)
	case strings.Contains(plain, "%"):
		return "", malformed("tile requestBody: %% after decoding")
	case !utf8.ValidString(plain):
		return "", malformed("tile requestBody: not UTF-8")
	}
	text, err := kbn.RisonJSON(plain)
	if err != nil {
		return "", malformed("tile requestBody: %v", err)
	}
	body, err := parse(text)
	if err != nil {
		return "", err
	}
	out, err := rw.searchBody(idx, body)
	if err != nil {
		return "", err
	}
	enc := appendRison(make([]byte, 0, len(requestBody)+256), out)
	if strings.Contains(string(enc), "%") {
		// Only a share filter can bring one in; Kibana 8.x would misread it.
		return "", forbidden("tile requestBody: a share filter holds %%")
	}
	return string(enc), nil
}

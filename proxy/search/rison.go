package search

import "github.com/kshare/kshare/proxy/kbn"

// Maps tile bodies travel as rison (kbn.RisonJSON reads them into JSON
// text for the strict parser, so keys keep their order and duplicate or
// case-variant keys are refused as in any other body); appendRison writes
// the checked tree back.

// appendRison writes v as rison, strings quoted unless plainly id-safe.
func appendRison(b []byte, v *value) []byte {
	switch v.kind {
	case kObject:
		b = append(b, '(')
		for i, m := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = kbn.AppendRisonString(b, m.key)
			b = append(b, ':')
			b = appendRison(b, m.val)
		}
		return append(b, ')')
	case kArray:
		b = append(b, "!("...)
		for i, e := range v.elems() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRison(b, e)
		}
		return append(b, ')')
	case kString:
		return kbn.AppendRisonString(b, v.s)
	case kNumber:
		return append(b, v.s...)
	case kTrue:
		return append(b, "!t"...)
	case kFalse:
		return append(b, "!f"...)
	default:
		return append(b, "!n"...)
	}
}

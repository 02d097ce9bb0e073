package rewrite

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkBootstrap rewrites a mid-sized (7.10, 88 KB) and a large (8.15,
// 127 KB) page.
func BenchmarkBootstrap(b *testing.B) {
	for _, name := range []string{"kibana-7.10.html", "kibana-8.15.html"} {
		page := readPage(b, name)
		opt := testOptions()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				if err := Bootstrap(io.Discard, bytes.NewReader(page), opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

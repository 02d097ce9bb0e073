package kbn

import (
	"strings"
	"testing"
)

func TestFromVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		name    string
		osd     bool
		wantErr bool
	}{
		{"6.8.23", "6.8", false, false},
		{"7.12.1-SNAPSHOT", "7.12", false, false},
		{"8.15.3", "8.15", false, false},
		{"9.1.0", "9.1", false, false},
		{"2.11.0", "osd-2", true, false},
		{"5.6.0", "", false, true},
		{"10.0.0", "", false, true},
		{"x.y", "", false, true},
		{"7", "", false, true},
	}
	for _, tt := range tests {
		l, err := FromVersion(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("FromVersion(%q) err = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if err == nil && (l.Name != tt.name || l.OSD != tt.osd) {
			t.Errorf("FromVersion(%q) = %+v, want %s osd=%v", tt.in, l, tt.name, tt.osd)
		}
	}
}

func TestAtLeast(t *testing.T) {
	t.Parallel()
	if !L815.AtLeast(8, 9) || L813.AtLeast(8, 14) || OSD2.AtLeast(2, 0) || !L91.AtLeast(9, 0) {
		t.Fatal("AtLeast gives wrong answers")
	}
	if !L68.Legacy() || L710.Legacy() || OSD2.Legacy() {
		t.Fatal("Legacy gives wrong answers")
	}
}

func TestEntryPathPerLine(t *testing.T) {
	t.Parallel()
	snap := Pin{From: "2026-12-01T00:00:00.000Z", To: "2026-12-02T00:00:00.000Z", Refresh: Refresh{Pause: true}}
	g := "_g=(refreshInterval:(pause:!t,value:0),time:(from:'2026-12-01T00:00:00.000Z',to:'2026-12-02T00:00:00.000Z'))"
	g68 := "_g=(refreshInterval:(pause:!t,value:0),time:(from:'2026-12-01T00:00:00.000Z',mode:absolute,to:'2026-12-02T00:00:00.000Z'))"
	tests := []struct {
		line Line
		kind string
		want string
	}{
		{L68, KindDashboard, "/app/kibana#/dashboard/ID?embed=true&hide-filter-bar=true&" + g68},
		{L68, KindVisualization, "/app/kibana#/visualize/edit/ID?embed=true&" + g68},
		{L710, KindDashboard, "/app/dashboards#/view/ID?embed=true&hide-filter-bar=true&" + g},
		{L717, KindVisualization, "/app/visualize#/edit/ID?embed=true&" + g},
		{L815, KindLens, "/app/lens#/edit/ID?embed=true&" + g},
		{L91, KindDashboard, "/app/dashboards#/view/ID?embed=true&hide-filter-bar=true&" + g},
		{OSD2, KindDashboard, "/app/dashboards#/view/ID?embed=true&hide-filter-bar=true&" + g},
	}
	for _, tt := range tests {
		t.Run(tt.line.Name+"/"+tt.kind, func(t *testing.T) {
			if got := EntryPath(tt.line, tt.kind, "ID", snap); got != tt.want {
				t.Errorf("EntryPath =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestGlobalStateSavedKeepsRefreshAndRelativeTime(t *testing.T) {
	t.Parallel()
	p := Pin{From: "now-7d", To: "now", Refresh: Refresh{Pause: false, Value: 900000}}
	if got, want := GlobalState(L710, p), "(refreshInterval:(pause:!f,value:900000),time:(from:now-7d,to:now))"; got != want {
		t.Errorf("GlobalState = %s, want %s", got, want)
	}
	if got := GlobalState(L68, p); !strings.Contains(got, "mode:relative") {
		t.Errorf("6.8 relative range lacks mode:relative: %s", got)
	}
}

func TestRisonRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"now-7d", "2026-01-01T00:00:00.000Z", "it's", "a b", "", "-x", "9a", "x!y"} {
		v, err := DecodeRison(RisonString(s))
		if err != nil || v != s {
			t.Errorf("round trip of %q: got %v, %v (encoded %s)", s, v, err, RisonString(s))
		}
	}
}

// RisonJSON keeps key order, duplicates and number text for a strict
// reader, and escapes what JSON needs.
func TestRisonJSON(t *testing.T) {
	t.Parallel()
	in := `(b:!(1.5e3,-2,!t,!f,!n),a:'say "hi"!!',a:x.y,'':'',z:())`
	want := `{"b":[1.5e3,-2,true,false,null],"a":"say \"hi\"!","a":"x.y","":"","z":{}}`
	if got, err := RisonJSON(in); err != nil || string(got) != want {
		t.Errorf("RisonJSON = %s, %v\nwant %s", got, err, want)
	}
}

func TestDecodeRisonErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("!(", RisonMaxDepth+2) + strings.Repeat(")", RisonMaxDepth+2)
	for _, s := range []string{"(", "(a:", "'abc", "!x", "(a:1,,)", "!(1,", "(a:1)x", "(:1)",
		"(a:01)", "(a:-)", "(a:b c)", deep} {
		if _, err := DecodeRison(s); err == nil {
			t.Errorf("DecodeRison(%q) gave no error", s)
		}
	}
}

func TestParseObjectURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, base string
		want            ObjectURL
		wantErr         bool
	}{
		{name: "7.x dashboard with time",
			raw:  "https://k.example/app/dashboards#/view/722b?_g=(filters:!(),refreshInterval:(pause:!t,value:0),time:(from:now-7d,to:now))&_a=(x:1)",
			want: ObjectURL{Kind: KindDashboard, ID: "722b", From: "now-7d", To: "now"}},
		{name: "space and base path",
			raw:  "https://k.example/kibana/s/team/app/dashboards#/view/abc?_g=(time:(from:'2026-01-01T00:00:00.000Z',to:'2026-01-02T00:00:00.000Z'))",
			base: "/kibana",
			want: ObjectURL{Space: "team", Kind: KindDashboard, ID: "abc", From: "2026-01-01T00:00:00.000Z", To: "2026-01-02T00:00:00.000Z"}},
		{name: "6.8 dashboard", raw: "http://k/app/kibana#/dashboard/d1?_g=(time:(from:now-15m,mode:quick,to:now))",
			want: ObjectURL{Kind: KindDashboard, ID: "d1", From: "now-15m", To: "now"}},
		{name: "6.8 visualization", raw: "http://k/app/kibana#/visualize/edit/v1",
			want: ObjectURL{Kind: KindVisualization, ID: "v1"}},
		{name: "visualization", raw: "http://k/app/visualize#/edit/v2?embed=true",
			want: ObjectURL{Kind: KindVisualization, ID: "v2"}},
		{name: "lens", raw: "http://k/s/ops/app/lens#/edit/l1", want: ObjectURL{Space: "ops", Kind: KindLens, ID: "l1"}},
		{name: "discover refused", raw: "http://k/app/discover#/view/x", wantErr: true},
		{name: "maps refused", raw: "http://k/app/maps/map/x", wantErr: true},
		{name: "dashboard list refused", raw: "http://k/app/dashboards#/list", wantErr: true},
		{name: "hashed state refused", raw: "http://k/app/dashboards#/view/x?_g=h@abc", wantErr: true},
		{name: "bad rison", raw: "http://k/app/dashboards#/view/x?_g=(time:(from:", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseObjectURL(tt.raw, tt.base)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

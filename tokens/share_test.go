package tokens

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	t0 = time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

func snapshotShare() Share {
	return Share{
		Mode: Snapshot, Kind: KindDashboard, ObjectID: "7adfa750-4c81-11e8-b3d7-01146121b73d",
		Space: "ops", From: t0, To: t1, FromExpr: "now-24h", ToExpr: "now",
		TZ: "Europe/Berlin", Label: "Weekly ops review",
	}
}

func savedShare() Share {
	return Share{Mode: Saved, Kind: KindLens, ObjectID: "lens-1", TZ: "UTC"}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Share)
		ok   bool
	}{
		{"snapshot ok", func(*Share) {}, true},
		{"empty window", func(s *Share) { s.To = s.From }, true},
		{"default space", func(s *Share) { s.Space = "" }, true},
		{"empty tz means UTC", func(s *Share) { s.TZ = "" }, true},
		{"visualization", func(s *Share) { s.Kind = KindVisualization }, true},
		{"label at limit", func(s *Share) { s.Label = strings.Repeat("é", 200) }, true},
		{"object at limit", func(s *Share) { s.ObjectID = strings.Repeat("o", 256) }, true},
		{"from after to", func(s *Share) { s.From, s.To = s.To, s.From }, false},
		{"snapshot without from", func(s *Share) { s.From = time.Time{} }, false},
		{"snapshot without to", func(s *Share) { s.To = time.Time{} }, false},
		{"bad mode", func(s *Share) { s.Mode = "live" }, false},
		{"empty mode", func(s *Share) { s.Mode = "" }, false},
		{"bad kind", func(s *Share) { s.Kind = "canvas" }, false},
		{"upper-case kind", func(s *Share) { s.Kind = "Dashboard" }, false},
		{"empty object", func(s *Share) { s.ObjectID = "" }, false},
		{"long object", func(s *Share) { s.ObjectID = strings.Repeat("o", 257) }, false},
		{"object with newline", func(s *Share) { s.ObjectID = "a\nb" }, false},
		{"object with DEL", func(s *Share) { s.ObjectID = "a\x7fb" }, false},
		{"object not UTF-8", func(s *Share) { s.ObjectID = "a\xffb" }, false},
		{"space upper-case", func(s *Share) { s.Space = "Ops" }, false},
		{"space slash", func(s *Share) { s.Space = "a/b" }, false},
		{"space dot dot", func(s *Share) { s.Space = ".." }, false},
		{"unknown tz", func(s *Share) { s.TZ = "Mars/Olympus" }, false},
		{"Local tz", func(s *Share) { s.TZ = "Local" }, false},
		{"long label", func(s *Share) { s.Label = strings.Repeat("é", 201) }, false},
		{"label with escape", func(s *Share) { s.Label = "x\x1b[31m" }, false},
		{"from expr with CR", func(s *Share) { s.FromExpr = "now\r" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sh := snapshotShare()
			tc.edit(&sh)
			err := sh.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestValidateSaved(t *testing.T) {
	t.Parallel()
	sh := savedShare()
	if err := sh.Validate(); err != nil {
		t.Fatalf("saved share: %v", err)
	}
	sh.From = t0
	if err := sh.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("saved share with from: error = %v, want ErrInvalid", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	err := Share{Mode: "x", Kind: "y", Space: "Z", TZ: "Nowhere"}.Validate()
	for _, want := range []string{"mode", "kind", "object id", "space", "tz"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestValidateClipsHugeValues(t *testing.T) {
	t.Parallel()
	err := Share{Mode: Mode(strings.Repeat("m", 1<<16))}.Validate()
	if err == nil || len(err.Error()) > 1000 {
		t.Fatalf("error of %d bytes; want a short one", len(err.Error()))
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, sh := range []Share{snapshotShare(), savedShare()} {
		sh = normalize(sh)
		sh.ID = "abcdefghijklmnop"
		sh.Paused = true
		rec := map[string]string{}
		for k, v := range pairs(encode(sh)) {
			rec[k] = v
		}
		got, ok := decode(sh.ID, rec)
		if !ok {
			t.Fatalf("decode(encode(%v)) rejected the record", sh.Mode)
		}
		if d := cmp.Diff(sh, got); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	base := func() map[string]string {
		rec := map[string]string{}
		for k, v := range pairs(encode(normalize(snapshotShare()))) {
			rec[k] = v
		}
		return rec
	}
	for _, tc := range []struct {
		name  string
		field string
		value string // "" with del = remove the field
		del   bool
	}{
		{"no version", fVersion, "", true},
		{"version 2", fVersion, "2", false},
		{"no mode", fMode, "", true},
		{"bad mode", fMode, "live", false},
		{"no kind", fKind, "", true},
		{"no object", fObject, "", true},
		{"bad space", fSpace, "A B", false},
		{"no created", fCreated, "", true},
		{"bad created", fCreated, "yesterday", false},
		{"bad paused", fPaused, "yes", false},
		{"no from", fFrom, "", true},
		{"no to", fTo, "", true},
		{"bad to", fTo, "2024-13-01T00:00:00Z", false},
	} {
		rec := base()
		if tc.del {
			delete(rec, tc.field)
		} else {
			rec[tc.field] = tc.value
		}
		if _, bad := decodeField("abcdefghijklmnop", rec); bad != tc.field {
			t.Errorf("%s: decodeField rejected %q, want %q", tc.name, bad, tc.field)
		}
	}
}

func TestDecodeSavedIgnoresWindow(t *testing.T) {
	t.Parallel()
	rec := map[string]string{}
	for k, v := range pairs(encode(normalize(savedShare()))) {
		rec[k] = v
	}
	rec[fFrom] = "garbage" // left over from an earlier snapshot mode
	sh, ok := decode("abcdefghijklmnop", rec)
	if !ok || !sh.From.IsZero() {
		t.Fatalf("decode = %+v, %v; want a saved share with zero From", sh, ok)
	}
}

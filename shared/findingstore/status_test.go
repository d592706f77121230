package findingstore

import (
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prev       findings.Status
		suppressed bool
		want       findings.Status
	}{
		{"", false, findings.StatusNew},
		{findings.StatusNew, false, findings.StatusOpen},
		{findings.StatusOpen, false, findings.StatusOpen},
		{findings.StatusReopened, false, findings.StatusOpen},
		{findings.StatusResolved, false, findings.StatusReopened},
		{findings.StatusSuppressed, false, findings.StatusReopened},
		{"", true, findings.StatusSuppressed},
		{findings.StatusNew, true, findings.StatusSuppressed},
		{findings.StatusOpen, true, findings.StatusSuppressed},
		{findings.StatusReopened, true, findings.StatusSuppressed},
		{findings.StatusResolved, true, findings.StatusSuppressed},
		{findings.StatusSuppressed, true, findings.StatusSuppressed},
	}
	for _, tt := range tests {
		if got := Observe(tt.prev, tt.suppressed); got != tt.want {
			t.Errorf("Observe(%q, suppressed=%v) = %q, want %q", tt.prev, tt.suppressed, got, tt.want)
		}
	}
}

func TestMiss(t *testing.T) {
	t.Parallel()
	tests := []struct{ prev, want findings.Status }{
		{"", ""},
		{findings.StatusNew, findings.StatusResolved},
		{findings.StatusOpen, findings.StatusResolved},
		{findings.StatusReopened, findings.StatusResolved},
		{findings.StatusSuppressed, findings.StatusResolved},
		{findings.StatusResolved, findings.StatusResolved},
	}
	for _, tt := range tests {
		if got := Miss(tt.prev); got != tt.want {
			t.Errorf("Miss(%q) = %q, want %q", tt.prev, got, tt.want)
		}
	}
}

func TestAnnounce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		prev, next findings.Status
		sevChanged bool
		want       ChangeKind
	}{
		{"first sighting", "", findings.StatusNew, false, ChangeNew},
		{"seen again", findings.StatusNew, findings.StatusOpen, false, ChangeNone},
		{"still open", findings.StatusOpen, findings.StatusOpen, false, ChangeNone},
		{"reopened then seen", findings.StatusReopened, findings.StatusOpen, false, ChangeNone},
		{"fixed", findings.StatusOpen, findings.StatusResolved, false, ChangeResolved},
		{"new then fixed", findings.StatusNew, findings.StatusResolved, false, ChangeResolved},
		{"reopened then fixed", findings.StatusReopened, findings.StatusResolved, false, ChangeResolved},
		{"broken again", findings.StatusResolved, findings.StatusReopened, false, ChangeReopened},
		{"suppression lifted", findings.StatusSuppressed, findings.StatusReopened, false, ChangeReopened},
		{"severity up", findings.StatusOpen, findings.StatusOpen, true, ChangeSeverity},
		{"severity on second sighting", findings.StatusNew, findings.StatusOpen, true, ChangeSeverity},
		{"reopened at another severity", findings.StatusResolved, findings.StatusReopened, true, ChangeReopened},
		{"suppressed", findings.StatusOpen, findings.StatusSuppressed, false, ChangeNone},
		{"suppressed at first sighting", "", findings.StatusSuppressed, false, ChangeNone},
		{"suppressed severity change", findings.StatusSuppressed, findings.StatusSuppressed, true, ChangeNone},
		{"suppressed and fixed", findings.StatusSuppressed, findings.StatusResolved, false, ChangeNone},
		{"still resolved", findings.StatusResolved, findings.StatusResolved, false, ChangeNone},
		{"never stored", "", "", false, ChangeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Announce(tt.prev, tt.next, tt.sevChanged); got != tt.want {
				t.Errorf("Announce(%q, %q, %v) = %q, want %q", tt.prev, tt.next, tt.sevChanged, got, tt.want)
			}
		})
	}
}

// TestStandingMatchesMiss keeps the index's notion of "standing" (the
// statuses a resolution write accepts) in step with the transitions.
func TestStandingMatchesMiss(t *testing.T) {
	t.Parallel()
	for _, s := range findings.Statuses {
		want := s != findings.StatusResolved && Miss(s) == findings.StatusResolved
		if s.Standing() != want {
			t.Errorf("%s.Standing() = %v, want %v", s, s.Standing(), want)
		}
		// Observe never yields a resolved finding: every sighting stands.
		for _, sup := range []bool{false, true} {
			if !Observe(s, sup).Standing() {
				t.Errorf("Observe(%s, %v) = %s does not stand", s, sup, Observe(s, sup))
			}
		}
	}
}

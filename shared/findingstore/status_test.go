package findingstore

import "testing"

func TestObserve(t *testing.T) {
	tests := []struct {
		prev       Status
		suppressed bool
		want       Status
	}{
		{"", false, StatusNew},
		{StatusNew, false, StatusOpen},
		{StatusOpen, false, StatusOpen},
		{StatusReopened, false, StatusOpen},
		{StatusResolved, false, StatusReopened},
		{StatusSuppressed, false, StatusReopened},
		{"", true, StatusSuppressed},
		{StatusNew, true, StatusSuppressed},
		{StatusOpen, true, StatusSuppressed},
		{StatusReopened, true, StatusSuppressed},
		{StatusResolved, true, StatusSuppressed},
		{StatusSuppressed, true, StatusSuppressed},
	}
	for _, tt := range tests {
		if got := Observe(tt.prev, tt.suppressed); got != tt.want {
			t.Errorf("Observe(%q, suppressed=%v) = %q, want %q", tt.prev, tt.suppressed, got, tt.want)
		}
	}
}

func TestMiss(t *testing.T) {
	tests := []struct{ prev, want Status }{
		{"", ""},
		{StatusNew, StatusResolved},
		{StatusOpen, StatusResolved},
		{StatusReopened, StatusResolved},
		{StatusSuppressed, StatusResolved},
		{StatusResolved, StatusResolved},
	}
	for _, tt := range tests {
		if got := Miss(tt.prev); got != tt.want {
			t.Errorf("Miss(%q) = %q, want %q", tt.prev, got, tt.want)
		}
	}
}

func TestAnnounce(t *testing.T) {
	tests := []struct {
		name       string
		prev, next Status
		sevChanged bool
		want       ChangeKind
	}{
		{"first sighting", "", StatusNew, false, ChangeNew},
		{"seen again", StatusNew, StatusOpen, false, ChangeNone},
		{"still open", StatusOpen, StatusOpen, false, ChangeNone},
		{"reopened then seen", StatusReopened, StatusOpen, false, ChangeNone},
		{"fixed", StatusOpen, StatusResolved, false, ChangeResolved},
		{"new then fixed", StatusNew, StatusResolved, false, ChangeResolved},
		{"reopened then fixed", StatusReopened, StatusResolved, false, ChangeResolved},
		{"broken again", StatusResolved, StatusReopened, false, ChangeReopened},
		{"suppression lifted", StatusSuppressed, StatusReopened, false, ChangeReopened},
		{"severity up", StatusOpen, StatusOpen, true, ChangeSeverity},
		{"severity on second sighting", StatusNew, StatusOpen, true, ChangeSeverity},
		{"reopened at another severity", StatusResolved, StatusReopened, true, ChangeReopened},
		{"suppressed", StatusOpen, StatusSuppressed, false, ChangeNone},
		{"suppressed at first sighting", "", StatusSuppressed, false, ChangeNone},
		{"suppressed severity change", StatusSuppressed, StatusSuppressed, true, ChangeNone},
		{"suppressed and fixed", StatusSuppressed, StatusResolved, false, ChangeNone},
		{"still resolved", StatusResolved, StatusResolved, false, ChangeNone},
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
	for _, s := range Statuses {
		want := s != StatusResolved && Miss(s) == StatusResolved
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

func TestParseStatus(t *testing.T) {
	for _, s := range Statuses {
		got, err := ParseStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "open", "CLOSED"} {
		if _, err := ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%q) accepted", bad)
		}
	}
}

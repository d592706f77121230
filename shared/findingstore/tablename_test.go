package findingstore

import "testing"

func TestValidTableName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"selfaudit-dev-FindingsTable-1A2B3C": true,
		"abc":                                true,
		"a.b_c-d":                            true,
		"ab":                                 false,
		"":                                   false,
		"has space":                          false,
		"slash/name":                         false,
		"ünïcode":                            false,
		string(make([]byte, 256)):            false,
	}
	long := make([]byte, 255)
	for i := range long {
		long[i] = 'a'
	}
	tests[string(long)] = true
	for name, want := range tests {
		if got := ValidTableName(name); got != want {
			t.Errorf("ValidTableName(%q) = %v, want %v", name, got, want)
		}
	}
}

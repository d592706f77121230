package findingstore

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestAdminUsers: the administrators a scan records are read back, an
// older scan finishing late does not replace a newer one's, a reconcile of
// the account's scope leaves the record alone, and a record past
// AdminsRetention no longer counts.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	alice, bob := "arn:aws:iam::"+account+":user/alice", "arn:aws:iam::"+account+":user/bob"

	if _, _, found, err := st.AdminUsers(ctx, account, day(1)); err != nil || found {
		t.Fatalf("before any scan: found %v, %v", found, err)
	}
	steps := []struct {
		name  string
		users []string
		at    time.Time
		want  []string
	}{
		{"first scan", []string{alice}, day(2), []string{alice}},
		{"an older scan finishing late", []string{bob}, day(1), []string{alice}},
		{"a newer scan", []string{alice, bob}, day(3), []string{alice, bob}},
		{"a scan that found none", nil, day(4), nil},
	}
	for _, s := range steps {
		if err := st.PutAdminUsers(ctx, account, s.users, s.at); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, _, found, err := st.AdminUsers(ctx, account, day(4))
		if err != nil || !found || !slices.Equal(got, s.want) {
			t.Errorf("%s: read %v (found %v, %v), want %v", s.name, got, found, err, s.want)
		}
	}
	if err := st.PutAdminUsers(ctx, account, []string{alice}, day(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reconcile(ctx, accountScope, nil, day(5)); err != nil {
		t.Fatal(err)
	}
	if got, at, found, err := st.AdminUsers(ctx, account, day(6)); err != nil || !found || !slices.Equal(got, []string{alice}) || !at.Equal(day(5)) {
		t.Errorf("after a reconcile of the account: %v at %s (found %v, %v)", got, at, found, err)
	}
	if _, _, found, _ := st.AdminUsers(ctx, account, day(5).Add(AdminsRetention)); found {
		t.Error("a record older than AdminsRetention still counts")
	}
}

// TestAdminDirectory: IsAdmin reads an account's record once per
// CacheFor, answers false for other principals and accounts, and false,
// reporting the error, when the table cannot be read.
func TestAdminDirectory(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	alice := "arn:aws:iam::" + account + ":user/alice"
	if err := st.PutAdminUsers(ctx, account, []string{alice}, day(1)); err != nil {
		t.Fatal(err)
	}
	now := day(1).Add(time.Hour)
	d := &AdminDirectory{Store: st, Now: func() time.Time { return now }}
	for _, tc := range []struct {
		arn  string
		want bool
	}{
		{alice, true},
		{"arn:aws:iam::" + account + ":user/bob", false},
		{"arn:aws:iam::" + account + ":role/alice", false},
		{"arn:aws:iam::999999999999:user/alice", false},
		{"not an ARN", false},
	} {
		if got := d.IsAdmin(tc.arn); got != tc.want {
			t.Errorf("IsAdmin(%s) = %v, want %v", tc.arn, got, tc.want)
		}
	}
	// A newer scan is seen once the cache runs out.
	if err := st.PutAdminUsers(ctx, account, nil, day(1).Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !d.IsAdmin(alice) {
		t.Error("the record was read again within CacheFor")
	}
	now = now.Add(11 * time.Minute)
	if d.IsAdmin(alice) {
		t.Error("the newer scan was not read after CacheFor")
	}

	var failed []string
	broken := &AdminDirectory{Store: &Store{Client: st.Client, Table: "no-such-table"}, OnError: func(acct string, err error) { failed = append(failed, acct) }}
	if broken.IsAdmin(alice) || len(failed) != 1 || failed[0] != account {
		t.Errorf("unreadable table: errors reported for %v", failed)
	}
}

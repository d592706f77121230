package findingstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The account's administrators are what the IAM scan learns and the
// CloudTrail checker needs: CT014 is HIGH for a password sign-in without
// MFA by an administrator. They are kept beside the findings, one item
// per account under AdminsKey, which has no openScope (no scope's query
// sees it) and expires AdminsRetention after the scan that wrote it, so
// that a scanner switched off stops vouching for it.
const (
	// AttrUsers holds the administrator users' ARNs, a list.
	AttrUsers = "users"
	// AttrScannedAt is when the scan that found them ran.
	AttrScannedAt = "scannedAt"
	// AdminsRetention is how long a record of administrators holds
	// without a newer scan.
	AdminsRetention = 7 * 24 * time.Hour
	adminsPrefix    = "admins#"
)

// AdminsKey is the key of account's administrators item.
func AdminsKey(account string) string { return adminsPrefix + account }

// IsAdminsKey reports whether id keys an administrators item rather than
// a finding (whose IDs are hex digests), for readers of the whole table.
func IsAdminsKey(id string) bool { return strings.HasPrefix(id, adminsPrefix) }

// PutAdminUsers records the administrator users of account as a full IAM
// scan at now found them. A scan older than the one recorded changes
// nothing: scans may finish out of order.
func (st *Store) PutAdminUsers(ctx context.Context, account string, users []string, now time.Time) error {
	list := make([]types.AttributeValue, len(users))
	for i, u := range users {
		list[i] = str(u)
	}
	u := newUpdate()
	u.set(AttrUsers, &types.AttributeValueMemberL{Value: list})
	u.set(AttrScannedAt, str(formatTime(now)))
	u.set(AttrExpires, num(now.Add(AdminsRetention).Unix()))
	at := u.name(AttrScannedAt)
	cond := "attribute_not_exists(" + at + ") OR " + at + " <= " + u.value(str(formatTime(now)))
	_, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Table), Key: map[string]types.AttributeValue{AttrID: str(AdminsKey(account))},
		UpdateExpression: aws.String(u.expression()), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: u.names, ExpressionAttributeValues: u.values,
	})
	var lost *types.ConditionalCheckFailedException
	if errors.As(err, &lost) {
		return nil // a newer scan recorded its own
	}
	if err != nil {
		return fmt.Errorf("record administrators of account %s in table %s: %w", account, st.Table, err)
	}
	return nil
}

// AdminUsers returns the administrator users the latest scan recorded for
// account and when it ran; found is false when no scan did, or its record
// is older than AdminsRetention at now.
func (st *Store) AdminUsers(ctx context.Context, account string, now time.Time) (users []string, scannedAt time.Time, found bool, err error) {
	out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.Table), Key: map[string]types.AttributeValue{AttrID: str(AdminsKey(account))},
	})
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("read administrators of account %s from table %s: %w", account, st.Table, err)
	}
	if len(out.Item) == 0 {
		return nil, time.Time{}, false, nil
	}
	s, _ := out.Item[AttrScannedAt].(*types.AttributeValueMemberS)
	l, _ := out.Item[AttrUsers].(*types.AttributeValueMemberL)
	if s == nil || l == nil {
		return nil, time.Time{}, false, fmt.Errorf("read administrators of account %s from table %s: item without %s and %s", account, st.Table, AttrScannedAt, AttrUsers)
	}
	scannedAt, err = time.Parse(timeLayout, s.Value)
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("read administrators of account %s from table %s: %s: %w", account, st.Table, AttrScannedAt, err)
	}
	if !now.Before(scannedAt.Add(AdminsRetention)) {
		return nil, scannedAt, false, nil // TTL deletes it within days; it no longer counts
	}
	for _, v := range l.Value {
		if u, ok := v.(*types.AttributeValueMemberS); ok {
			users = append(users, u.Value)
		}
	}
	return users, scannedAt, true, nil
}

// AdminDirectory answers whether an IAM user is an administrator
// (the CloudTrail rules' AdminUsers) from the store's records, reading
// each account's record at most once per CacheFor. A read that fails, or
// an account no scan recorded, answers false: the sign-in is reported at
// MEDIUM rather than not at all. Reads go one at a time (each bounded by
// Timeout): sign-ins without MFA are rare, and one read then serves every
// caller waiting on the same account.
type AdminDirectory struct {
	Store *Store
	// CacheFor is how long an account's record is used before it is read
	// again; 0 means 10 minutes.
	CacheFor time.Duration
	// Timeout bounds one read; 0 means 2 seconds.
	Timeout time.Duration
	// OnError hears a read that failed (to log it); nil ignores it.
	OnError func(account string, err error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]adminsEntry
}

type adminsEntry struct {
	users map[string]bool
	read  time.Time
}

// IsAdmin reports whether the user with this ARN
// (arn:aws:iam::111122223333:user/alice) was an administrator at the last
// IAM scan of its account.
func (d *AdminDirectory) IsAdmin(userARN string) bool {
	a, err := arn.Parse(userARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") {
		return false
	}
	account := a.AccountID
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	t := now()
	cacheFor := d.CacheFor
	if cacheFor <= 0 {
		cacheFor = 10 * time.Minute
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.cache[account]; ok && t.Sub(e.read) < cacheFor {
		return e.users[userARN]
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	users, _, _, err := d.Store.AdminUsers(ctx, account, t)
	if err != nil {
		if d.OnError != nil {
			d.OnError(account, err)
		}
		return false // read again next time
	}
	e := adminsEntry{users: map[string]bool{}, read: t}
	for _, u := range users {
		e.users[u] = true
	}
	if d.cache == nil {
		d.cache = map[string]adminsEntry{}
	}
	d.cache[account] = e
	return e.users[userARN]
}

package baseline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ DynamoAPI = (*dynamodb.Client)(nil)
var _ dynamodb.QueryAPIClient = DynamoAPI(nil)

// Table schema: a string partition key "pk", a string sort key "sk", and
// TTL on the number attribute "expiresAt" (epoch seconds).
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expiresAt"
)

// History is how long hourly counts are kept and compared.
const History = 14 * 24 * time.Hour

// Store reads and writes the checker's items in one DynamoDB table.
type Store struct {
	Client DynamoAPI
	Table  string
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s(sk)}
}

func numAttr(m map[string]types.AttributeValue, k string) (int64, bool) {
	v, ok := m[k].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseInt(v.Value, 10, 64)
	return x, err == nil
}

// TouchPrincipal records that principal acted at t and returns when it was
// first seen (t itself the first time).
func (st *Store) TouchPrincipal(ctx context.Context, principal string, t time.Time) (time.Time, error) {
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(st.Table),
		Key:              key("P#"+principal, "#PRINCIPAL"),
		UpdateExpression: aws.String("SET firstSeen = if_not_exists(firstSeen, :t), lastSeen = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": n(t.Unix()),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("update principal %s in table %s: %w", principal, st.Table, err)
	}
	first, ok := numAttr(out.Attributes, "firstSeen")
	if !ok {
		return t, nil
	}
	return time.Unix(first, 0).UTC(), nil
}

// TouchSource records that principal acted from source (kind "ip",
// "region" or "agent") at t, and reports whether this was the first time.
// Of many concurrent callers for one new source exactly one sees true.
func (st *Store) TouchSource(ctx context.Context, principal, kind, value string, t time.Time) (bool, error) {
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(st.Table),
		Key:              key("P#"+principal, "SRC#"+kind+"#"+value),
		UpdateExpression: aws.String("SET firstSeen = if_not_exists(firstSeen, :t), lastSeen = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": n(t.Unix()),
		},
		ReturnValues: types.ReturnValueUpdatedOld,
	})
	if err != nil {
		return false, fmt.Errorf("update source %s %s of %s in table %s: %w", kind, value, principal, st.Table, err)
	}
	_, existed := numAttr(out.Attributes, "firstSeen")
	return !existed, nil
}

// Counts is one hour's calls and errors.
type Counts struct {
	Calls, Errors int64
}

func hourKey(t time.Time) string { return "H#" + t.UTC().Truncate(time.Hour).Format("2006-01-02T15") }

// AddRate adds to the counts of (principal, api) in t's hour and returns the
// new totals. The item expires once it leaves the history window.
func (st *Store) AddRate(ctx context.Context, principal, api string, t time.Time, c Counts) (Counts, error) {
	hour := t.UTC().Truncate(time.Hour)
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(st.Table),
		Key:              key("R#"+principal+"#"+api, hourKey(hour)),
		UpdateExpression: aws.String("ADD calls :c, errors :e SET " + AttrExpires + " = :x"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": n(c.Calls), ":e": n(c.Errors), ":x": n(hour.Add(History + time.Hour).Unix()),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return Counts{}, fmt.Errorf("add calls of %s to %s in table %s: %w", principal, api, st.Table, err)
	}
	calls, _ := numAttr(out.Attributes, "calls")
	errs, _ := numAttr(out.Attributes, "errors")
	return Counts{Calls: calls, Errors: errs}, nil
}

// RateHistory returns the hourly counts of (principal, api) from since up to
// (not including) until, keyed by the hour's start.
func (st *Store) RateHistory(ctx context.Context, principal, api string, since, until time.Time) (map[time.Time]Counts, error) {
	p := dynamodb.NewQueryPaginator(st.Client, &dynamodb.QueryInput{
		TableName:              aws.String(st.Table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s("R#" + principal + "#" + api),
			":a":  s(hourKey(since)),
			":b":  s(hourKey(until.Add(-time.Hour))),
		},
	})
	out := map[time.Time]Counts{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query history of %s %s in table %s: %w", principal, api, st.Table, err)
		}
		for _, it := range page.Items {
			skv, _ := it[AttrSK].(*types.AttributeValueMemberS)
			if skv == nil {
				continue
			}
			h, err := time.Parse("2006-01-02T15", skv.Value[2:])
			if err != nil {
				continue
			}
			calls, _ := numAttr(it, "calls")
			errs, _ := numAttr(it, "errors")
			out[h.UTC()] = Counts{Calls: calls, Errors: errs}
		}
	}
	return out, nil
}

// AddAccessErrors adds n access errors of principal to the CT005 window
// starting at start and returns the window's total; it implements
// cloudtrail.WindowStore.
func (st *Store) AddAccessErrors(ctx context.Context, principal string, start time.Time, cnt int64, apis []string) (int64, error) {
	expr := "ADD accessErrors :n SET " + AttrExpires + " = :x"
	vals := map[string]types.AttributeValue{":n": n(cnt), ":x": n(start.Add(24 * time.Hour).Unix())}
	if len(apis) > 0 {
		expr = "ADD accessErrors :n, apis :a SET " + AttrExpires + " = :x"
		vals[":a"] = &types.AttributeValueMemberSS{Value: apis}
	}
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       key("W#"+principal, "CT005#"+start.UTC().Format(time.RFC3339)),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeValues: vals,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return 0, fmt.Errorf("count access errors of %s in table %s: %w", principal, st.Table, err)
	}
	total, _ := numAttr(out.Attributes, "accessErrors")
	return total, nil
}

// FirstPublish claims a finding ID for window: it returns true for the
// first caller within the window and false for every later one, so a
// finding seen by the EventBridge rule, the S3 file and the sweep is
// published once.
func (st *Store) FirstPublish(ctx context.Context, id string, now time.Time, window time.Duration) (bool, error) {
	_, err := st.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.Table),
		Item: map[string]types.AttributeValue{
			AttrPK: s("F#" + id), AttrSK: s("PUBLISHED"),
			AttrExpires: n(now.Add(window).Unix()), "publishedAt": n(now.Unix()),
		},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR " + AttrExpires + " < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(now.Unix())},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record finding %s as published in table %s: %w", id, st.Table, err)
	}
	return true, nil
}

package orgaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoAPI is the part of the DynamoDB client the ledger uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ DynamoAPI = (*dynamodb.Client)(nil)

// EnvRunsTable names the runs table in the stack's functions.
const EnvRunsTable = "ORG_RUNS_TABLE_NAME"

// Attributes of the runs table. Every item of a run shares the partition
// key "run#<ID>"; the run itself has sort key "run", each account
// "acct#<ID>".
const (
	attrPK         = "pk"
	attrSK         = "sk"
	attrUnits      = "units"     // account: map unit key → state
	attrReasons    = "reasons"   // account: map unit key → reason
	attrRemaining  = "remaining" // account: pending units
	attrNew        = "new"
	attrResolved   = "resolved"
	attrOpen       = "open"
	attrAccounts   = "accounts" // run: number of accounts
	attrFinished   = "finished" // run: string set of finished accounts
	attrCreated    = "created"
	attrDeadline   = "deadline"
	attrRegions    = "regions"
	attrScanners   = "scanners"
	attrOrg        = "organization"
	attrClaimed    = "claimedUntil" // run: epoch milliseconds
	attrCompleted  = "completedAt"
	attrCoverage   = "coverage" // run: the completion event's detail, JSON
	attrExpiresAt  = "expiresAt"
	skRun          = "run"
	skAccount      = "acct#"
	runsRetention  = 90 * 24 * time.Hour
	batchWriteSize = 25
)

// RunsTableInput is the runs table: on-demand, key pk (HASH) and sk
// (RANGE), TTL on expiresAt (set by the stack, or by CreateRunsTable).
func RunsTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
	}
}

// CreateRunsTable creates the runs table unless it exists and waits until
// it is active.
func CreateRunsTable(ctx context.Context, c interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}, name string, maxWait time.Duration) error {
	_, err := c.CreateTable(ctx, RunsTableInput(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create runs table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 2*time.Second
	})
	return w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, maxWait)
}

// DynamoLedger is the Ledger of the stack, in the runs table.
type DynamoLedger struct {
	Client DynamoAPI
	Table  string
}

var _ Ledger = (*DynamoLedger)(nil)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func runKey(run, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: s("run#" + run), attrSK: s(sk)}
}

func strList(vs []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(vs))
	for i, v := range vs {
		l[i] = s(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// Create implements Ledger: the run item, then one item per account
// (BatchWriteItem, 25 at a time, unprocessed items sent again).
func (l *DynamoLedger) Create(ctx context.Context, run Run) error {
	expires := n(run.Created.Add(runsRetention).Unix())
	item := runKey(run.ID, skRun)
	item[attrAccounts] = n(int64(len(run.Accounts)))
	item[attrCreated] = s(run.Created.UTC().Format(time.RFC3339))
	item[attrDeadline] = s(run.Deadline.UTC().Format(time.RFC3339))
	item[attrRegions] = strList(run.Regions)
	item[attrScanners] = strList(run.Scanners)
	item[attrExpiresAt] = expires
	if run.Organization != "" {
		item[attrOrg] = s(run.Organization)
	}
	_, err := l.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.Table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": attrPK}})
	if err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, a := range run.Accounts {
		units := map[string]types.AttributeValue{}
		us := UnitsOf(run.ID, a, run.Regions, run.Scanners)
		for _, u := range us {
			units[u.Key()] = s(StatePending)
		}
		it := runKey(run.ID, skAccount+a)
		it[attrUnits] = &types.AttributeValueMemberM{Value: units}
		it[attrReasons] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
		it[attrRemaining] = n(int64(len(us)))
		it[attrExpiresAt] = expires
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	for i := 0; i < len(reqs); i += batchWriteSize {
		if err := l.batchWrite(ctx, reqs[i:min(i+batchWriteSize, len(reqs))]); err != nil {
			return err
		}
	}
	return nil
}

func (l *DynamoLedger) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := 0; len(reqs) > 0; attempt++ {
		if attempt == 10 {
			return fmt.Errorf("%d account items not written after %d attempts", len(reqs), attempt)
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(50<<min(attempt, 6)) * time.Millisecond):
			}
		}
		out, err := l.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{l.Table: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[l.Table]
	}
	return nil
}

func numAttr(item map[string]types.AttributeValue, name string) int {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		i, _ := strconv.Atoi(v.Value)
		return i
	}
	return 0
}

func strAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func strMap(item map[string]types.AttributeValue, name string) map[string]string {
	out := map[string]string{}
	if m, ok := item[name].(*types.AttributeValueMemberM); ok {
		for k, v := range m.Value {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				out[k] = sv.Value
			}
		}
	}
	return out
}

func listAttr(item map[string]types.AttributeValue, name string) []string {
	var out []string
	if l, ok := item[name].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				out = append(out, sv.Value)
			}
		}
	}
	return out
}

func (l *DynamoLedger) account(ctx context.Context, u Unit) (map[string]types.AttributeValue, error) {
	out, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: runKey(u.Run, skAccount+u.Account), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil || strMap(out.Item, attrUnits)[u.Key()] == "" {
		return nil, fmt.Errorf("%s: %w", u, ErrUnknownUnit)
	}
	return out.Item, nil
}

// State implements Ledger.
func (l *DynamoLedger) State(ctx context.Context, u Unit) (string, bool, error) {
	item, err := l.account(ctx, u)
	if err != nil {
		return "", false, err
	}
	return strMap(item, attrUnits)[u.Key()], numAttr(item, attrRemaining) == 0, nil
}

// Mark implements Ledger: one conditional UpdateItem sets the unit's
// state, counts it off the account's remaining units and adds its tally,
// only while the unit is pending.
func (l *DynamoLedger) Mark(ctx context.Context, u Unit, m Mark) (Marked, error) {
	names := map[string]string{"#units": attrUnits, "#k": u.Key(), "#rem": attrRemaining, "#new": attrNew, "#res": attrResolved, "#open": attrOpen}
	values := map[string]types.AttributeValue{":state": s(m.State), ":pending": s(StatePending), ":m1": n(-1),
		":new": n(int64(m.Tally.New)), ":res": n(int64(m.Tally.Resolved)), ":open": n(int64(m.Tally.Open))}
	set := "SET #units.#k = :state"
	if m.Reason != "" {
		names["#reasons"] = attrReasons
		values[":reason"] = s(m.Reason)
		set += ", #reasons.#k = :reason"
	}
	out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: runKey(u.Run, skAccount+u.Account),
		UpdateExpression:          aws.String(set + " ADD #rem :m1, #new :new, #res :res, #open :open"),
		ConditionExpression:       aws.String("#units.#k = :pending"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		item, err := l.account(ctx, u)
		if err != nil {
			return Marked{}, err
		}
		return Marked{State: strMap(item, attrUnits)[u.Key()], AccountDone: numAttr(item, attrRemaining) == 0}, nil
	}
	if err != nil {
		return Marked{}, err
	}
	return Marked{Won: true, State: m.State, AccountDone: numAttr(out.Attributes, attrRemaining) == 0}, nil
}

// FinishAccount implements Ledger: ADD to a string set, which a repeat
// leaves as it was.
func (l *DynamoLedger) FinishAccount(ctx context.Context, run, account string) (int, int, error) {
	out, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: runKey(run, skRun),
		UpdateExpression:          aws.String("ADD #f :a"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#f": attrFinished, "#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberSS{Value: []string{account}}},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return 0, 0, err
	}
	finished := 0
	if ss, ok := out.Attributes[attrFinished].(*types.AttributeValueMemberSS); ok {
		finished = len(ss.Value)
	}
	return finished, numAttr(out.Attributes, attrAccounts), nil
}

// Load implements Ledger.
func (l *DynamoLedger) Load(ctx context.Context, run string) (*RunState, error) {
	got, err := l.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: runKey(run, skRun), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if got.Item == nil {
		return nil, fmt.Errorf("run %s: %w", run, ErrUnknownUnit)
	}
	it := got.Item
	st := &RunState{Run: Run{ID: run, Regions: listAttr(it, attrRegions), Scanners: listAttr(it, attrScanners), Organization: strAttr(it, attrOrg)}}
	st.Run.Created, _ = time.Parse(time.RFC3339, strAttr(it, attrCreated))
	st.Run.Deadline, _ = time.Parse(time.RFC3339, strAttr(it, attrDeadline))
	if ss, ok := it[attrFinished].(*types.AttributeValueMemberSS); ok {
		st.Finished = len(ss.Value)
	}
	_, st.Completed = it[attrCompleted]
	p := dynamodb.NewQueryPaginator(l.Client, &dynamodb.QueryInput{
		TableName: aws.String(l.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :acct)"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("run#" + run), ":acct": s(skAccount)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read accounts of run %s: %w", run, err)
		}
		for _, item := range page.Items {
			a := strAttr(item, attrSK)[len(skAccount):]
			st.Run.Accounts = append(st.Run.Accounts, a)
			st.Accounts = append(st.Accounts, AccountState{Account: a, Units: strMap(item, attrUnits), Reasons: strMap(item, attrReasons),
				Tally:     Tally{New: numAttr(item, attrNew), Resolved: numAttr(item, attrResolved), Open: numAttr(item, attrOpen)},
				Remaining: numAttr(item, attrRemaining)})
		}
	}
	return st, nil
}

// Claim implements Ledger.
func (l *DynamoLedger) Claim(ctx context.Context, run string, now, until time.Time) (bool, error) {
	_, err := l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: runKey(run, skRun),
		UpdateExpression:          aws.String("SET #c = :until"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND attribute_not_exists(#done) AND (attribute_not_exists(#c) OR #c < :now)"),
		ExpressionAttributeNames:  map[string]string{"#c": attrClaimed, "#pk": attrPK, "#done": attrCompleted},
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": n(until.UnixMilli()), ":now": n(now.UnixMilli())},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// Close implements Ledger.
func (l *DynamoLedger) Close(ctx context.Context, run string, cov Coverage) error {
	b, err := json.Marshal(cov)
	if err != nil {
		return err
	}
	_, err = l.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table), Key: runKey(run, skRun),
		UpdateExpression:          aws.String("SET #done = :at, #cov = :cov"),
		ExpressionAttributeNames:  map[string]string{"#done": attrCompleted, "#cov": attrCoverage},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(cov.Completed.Format(time.RFC3339)), ":cov": s(string(b))},
	})
	return err
}

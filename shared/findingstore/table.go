package findingstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// IndexOpenByScope is the global secondary index through which a run finds
// the standing findings of its scope: partition key AttrOpenScope, sort key
// AttrTarget, projecting only severity and status, enough to count what
// stands without reading every item. AttrOpenScope is present only while a
// finding stands or its resolution is yet to be announced (see AttrPending),
// so the index is sparse: resolved findings, kept 90 days for reopening,
// cost a run nothing to skip.
const IndexOpenByScope = "openByScope"

// TableAPI is the part of the DynamoDB client CreateTable uses.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var _ TableAPI = (*dynamodb.Client)(nil)

// TableInput is the table the stack declares (template.yaml's findings
// table): on-demand capacity, key AttrID, the index IndexOpenByScope.
// Point-in-time recovery and encryption with a customer key are the
// stack's business; a laptop table has DynamoDB's default encryption.
func TableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrID), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrOpenScope), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrTarget), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrID), KeyType: types.KeyTypeHash},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(IndexOpenByScope),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrOpenScope), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(AttrTarget), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionTypeInclude,
				NonKeyAttributes: []string{AttrSeverity, AttrStatus},
			},
		}},
	}
}

// CreateTable makes sure the findings table exists with the store's layout
// and TTL on AttrExpires, creating it when it does not, and waits up to
// maxWait until it is ACTIVE. It is what `--state-table` runs, so that a
// laptop user starts with one flag; on an existing table it only checks the
// layout, and fails when the table was made for something else.
func CreateTable(ctx context.Context, c TableAPI, name string, maxWait time.Duration) error {
	_, err := c.CreateTable(ctx, TableInput(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create findings table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 5*time.Second
	})
	desc, err := w.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, maxWait)
	if err != nil {
		return fmt.Errorf("wait for findings table %s: %w", name, err)
	}
	if err := checkLayout(desc.Table); err != nil {
		return fmt.Errorf("findings table %s: %w", name, err)
	}
	return enableTTL(ctx, c, name)
}

// checkLayout reports a table whose keys or index differ from the store's.
func checkLayout(t *types.TableDescription) error {
	if t == nil || !sameKeys(t.KeySchema, TableInput("").KeySchema) {
		return fmt.Errorf("key schema is not %s (HASH): not a findings table", AttrID)
	}
	want := TableInput("").GlobalSecondaryIndexes[0]
	for _, g := range t.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) == IndexOpenByScope && sameKeys(g.KeySchema, want.KeySchema) {
			return nil
		}
	}
	return fmt.Errorf("no index %s on %s (HASH) and %s (RANGE)", IndexOpenByScope, AttrOpenScope, AttrTarget)
}

func sameKeys(a, b []types.KeySchemaElement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if aws.ToString(a[i].AttributeName) != aws.ToString(b[i].AttributeName) || a[i].KeyType != b[i].KeyType {
			return false
		}
	}
	return true
}

// enableTTL turns on TTL on AttrExpires unless it is on already. DynamoDB
// emulators that do not implement TTL (dynalite) answer
// UnknownOperationException; a local table then keeps resolved findings,
// which changes nothing but its size.
func enableTTL(ctx context.Context, c TableAPI, name string) error {
	d, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err == nil && d.TimeToLiveDescription != nil {
		switch d.TimeToLiveDescription.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			if aws.ToString(d.TimeToLiveDescription.AttributeName) == AttrExpires {
				return nil
			}
			return fmt.Errorf("findings table %s: TTL is on attribute %q, not %q", name, aws.ToString(d.TimeToLiveDescription.AttributeName), AttrExpires)
		}
	}
	_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrExpires), Enabled: aws.Bool(true),
		},
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnknownOperationException" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enable TTL on findings table %s: %w", name, err)
	}
	return nil
}

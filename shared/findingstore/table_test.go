package findingstore

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/stackcheck"
)

// cfnLayout renders TableInput's keys and index as CloudFormation writes
// them, for comparison with a template.
func cfnLayout() map[string]any {
	in := TableInput("")
	keys := func(ks []types.KeySchemaElement) []any {
		var out []any
		for _, k := range ks {
			out = append(out, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
		}
		return out
	}
	var attrs, gsis []any
	for _, a := range in.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": aws.ToString(a.AttributeName), "AttributeType": string(a.AttributeType)})
	}
	for _, g := range in.GlobalSecondaryIndexes {
		var nonKey []any
		for _, a := range g.Projection.NonKeyAttributes {
			nonKey = append(nonKey, a)
		}
		gsis = append(gsis, map[string]any{
			"IndexName": aws.ToString(g.IndexName),
			"KeySchema": keys(g.KeySchema),
			"Projection": map[string]any{
				"ProjectionType":   string(g.Projection.ProjectionType),
				"NonKeyAttributes": nonKey,
			},
		})
	}
	return map[string]any{
		"BillingMode":            string(in.BillingMode),
		"AttributeDefinitions":   attrs,
		"KeySchema":              keys(in.KeySchema),
		"GlobalSecondaryIndexes": gsis,
	}
}

// checkStackTable compares one declared table with the store's layout and
// the retention, recovery and encryption the issue asks for.
func checkStackTable(t *testing.T, where string, props map[string]any) {
	t.Helper()
	for k, want := range cfnLayout() {
		if !reflect.DeepEqual(props[k], want) {
			t.Errorf("%s: %s = %#v, want %#v", where, k, props[k], want)
		}
	}
	want := map[string]any{
		"TimeToLiveSpecification":          map[string]any{"AttributeName": AttrExpires, "Enabled": true},
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
	}
	for k, w := range want {
		if !reflect.DeepEqual(props[k], w) {
			t.Errorf("%s: %s = %#v, want %#v", where, k, props[k], w)
		}
	}
	if sse, _ := props["SSESpecification"].(map[string]any); sse["SSEEnabled"] != true {
		t.Errorf("%s: SSESpecification = %#v, want SSEEnabled", where, props["SSESpecification"])
	}
}

// findingsTables returns the properties of the tables of a template that
// carry the store's index.
func findingsTables(t *testing.T, path string) map[string]map[string]any {
	t.Helper()
	tpl, err := stackcheck.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, id := range tpl.OfType("AWS::DynamoDB::Table") {
		props, _ := tpl.Resources()[id]["Properties"].(map[string]any)
		gsis, _ := props["GlobalSecondaryIndexes"].([]any)
		for _, g := range gsis {
			if m, _ := g.(map[string]any); m["IndexName"] == IndexOpenByScope {
				out[id] = props
			}
		}
	}
	return out
}

func TestStackTable(t *testing.T) {
	t.Parallel()
	tables := findingsTables(t, "testdata/table.yaml")
	if len(tables) != 1 {
		t.Fatalf("testdata/table.yaml declares %d findings tables, want 1", len(tables))
	}
	for id, props := range tables {
		checkStackTable(t, "testdata/table.yaml "+id, props)
	}
	// The stack's own table, once template.yaml declares one.
	for id, props := range findingsTables(t, "../../template.yaml") {
		checkStackTable(t, "template.yaml "+id, props)
	}
}

package findingstore

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// update builds an UpdateItem expression and its condition. Every attribute
// name goes through a placeholder because several of ours (status, source,
// region) are DynamoDB reserved words.
type update struct {
	sets, removes []string
	names         map[string]string
	values        map[string]types.AttributeValue
}

func newUpdate() *update {
	return &update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name returns the placeholder of an attribute name.
func (u *update) name(n string) string {
	p := "#" + n
	u.names[p] = n
	return p
}

// value returns the placeholder of a value.
func (u *update) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(u.values))
	u.values[p] = v
	return p
}

func (u *update) set(n string, v types.AttributeValue) {
	u.sets = append(u.sets, u.name(n)+" = "+u.value(v))
}

// setS sets a string attribute, or removes it when v is empty: key
// attributes of an index may not be empty strings, and an absent attribute
// says "unknown" as well.
func (u *update) setS(n, v string) {
	if v == "" {
		u.remove(n)
		return
	}
	u.set(n, str(v))
}

func (u *update) remove(n string) { u.removes = append(u.removes, u.name(n)) }

// expression renders "SET ... REMOVE ...".
func (u *update) expression() string {
	var b strings.Builder
	if len(u.sets) > 0 {
		b.WriteString("SET " + strings.Join(u.sets, ", "))
	}
	if len(u.removes) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("REMOVE " + strings.Join(u.removes, ", "))
	}
	return b.String()
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Command hello is the smallest aws-lambda-go function: the baseline that
// selfaudit's functions' init times are compared with, and a target for
// end-to-end tests. It echoes its event, fails when the event has
// "fail": true and panics when it has "panic": true.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev json.RawMessage) (json.RawMessage, error) {
	var flags struct {
		Fail  bool `json:"fail"`
		Panic bool `json:"panic"`
	}
	_ = json.Unmarshal(ev, &flags)
	if flags.Panic {
		panic("hello: asked to panic")
	}
	if flags.Fail {
		return nil, errors.New("hello: asked to fail")
	}
	return ev, nil
}

func main() { lambda.Start(handle) }

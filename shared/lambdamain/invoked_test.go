package lambdamain

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestInvokedARN(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		arn     string
		noCtx   bool
		account string
		wantErr string
	}{
		"function":   {arn: "arn:aws-cn:lambda:cn-north-1:123456789012:function:scanner", account: "123456789012"},
		"alias":      {arn: "arn:aws:lambda:eu-west-1:123456789012:function:scanner:live", account: "123456789012"},
		"no context": {noCtx: true, wantErr: "no invoked function ARN"},
		"empty":      {wantErr: "no invoked function ARN"},
		"not an ARN": {arn: "scanner", wantErr: "names no account"},
		"no account": {arn: "arn:aws:lambda:eu-west-1::function:scanner", wantErr: "names no account"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			if !tc.noCtx {
				ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{InvokedFunctionArn: tc.arn})
			}
			a, err := InvokedARN(ctx)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || a.AccountID != tc.account || a.Region == "" || a.Partition == "" {
				t.Fatalf("InvokedARN = %+v, %v", a, err)
			}
		})
	}
}

package record

import "testing"

func TestStripVersion(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"UpdateFunctionCode20150331v2":  "UpdateFunctionCode",
		"AddPermission20150331":         "AddPermission",
		"GetFunction20150331v2":         "GetFunction",
		"ListFunctions20150331":         "ListFunctions",
		"PutFunctionEventInvokeConfig":  "PutFunctionEventInvokeConfig",
		"CreateDBInstance":              "CreateDBInstance",
		"Get20150331":                   "Get",
		"20150331":                      "20150331",
		"GetObjectV2":                   "GetObjectV2",
		"ListFunctionUrlConfigs2021v10": "ListFunctionUrlConfigs2021v10",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if got := StripVersion(in); got != want {
				t.Errorf("StripVersion(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

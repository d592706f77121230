package fleet

import "time"

// runtimeDeprecations maps a Lambda runtime identifier to its deprecation
// date: the day Lambda stops applying security patches to the runtime (the
// "Deprecation date" column of both the "Supported runtimes" and the
// "Deprecated runtimes" tables on the Lambda developer guide page "Lambda
// runtimes", https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html,
// and of the per-language pages it links), read 2026-11-27.
//
// Dates still in the future (the supported runtimes' projected dates) are
// included on purpose, so the check starts flagging a runtime on the day its
// date passes without another edit here; AWS calls them projections that may
// move, so re-read the page when they come near. Runtimes AWS lists as "Not
// scheduled" (previews) are left out, as are the AL2023 builds of Java 8, 11
// and 17 (java8.al2023, java11.al2023, java17.al2023) and ruby4.0, whose
// dates were not found on an AWS page; an identifier missing here is never
// flagged.
var runtimeDeprecations = map[string]string{
	// Node.js
	"nodejs":         "2016-10-31",
	"nodejs4.3":      "2020-03-05",
	"nodejs4.3-edge": "2020-03-05",
	"nodejs6.10":     "2019-08-12",
	"nodejs8.10":     "2020-03-06",
	"nodejs10.x":     "2021-07-30",
	"nodejs12.x":     "2023-03-31",
	"nodejs14.x":     "2023-12-04",
	"nodejs16.x":     "2024-06-12",
	"nodejs18.x":     "2025-09-01",
	"nodejs20.x":     "2026-04-30",
	"nodejs22.x":     "2027-04-30",
	"nodejs24.x":     "2028-04-30",

	// Python
	"python2.7":  "2021-07-15",
	"python3.6":  "2022-07-18",
	"python3.7":  "2023-12-04",
	"python3.8":  "2024-10-14",
	"python3.9":  "2025-12-15",
	"python3.10": "2026-10-31",
	"python3.11": "2027-06-30",
	"python3.12": "2028-10-31",
	"python3.13": "2029-06-30",
	"python3.14": "2029-06-30",

	// Java
	"java8":     "2024-01-08",
	"java8.al2": "2027-06-30",
	"java11":    "2027-06-30",
	"java17":    "2027-06-30",
	"java21":    "2029-06-30",
	"java25":    "2029-06-30",

	// .NET
	"dotnetcore1.0": "2019-06-27",
	"dotnetcore2.0": "2019-05-30",
	"dotnetcore2.1": "2022-01-05",
	"dotnetcore3.1": "2023-04-03",
	"dotnet5.0":     "2022-05-10",
	"dotnet6":       "2024-12-20",
	"dotnet7":       "2024-05-14",
	"dotnet8":       "2026-11-10",
	"dotnet9":       "2026-11-10",
	"dotnet10":      "2028-11-14",

	// Ruby
	"ruby2.5": "2021-07-30",
	"ruby2.7": "2023-12-07",
	"ruby3.2": "2026-03-31",
	"ruby3.3": "2027-03-31",
	"ruby3.4": "2028-03-31",

	// Go and OS-only runtimes
	"go1.x":           "2024-01-08",
	"provided":        "2024-01-08",
	"provided.al2":    "2026-06-30",
	"provided.al2023": "2029-06-30",
}

// runtimeDeprecated returns the deprecation date of a runtime when it has
// passed by now.
func runtimeDeprecated(runtime string, now time.Time) (string, bool) {
	d, ok := runtimeDeprecations[runtime]
	if !ok {
		return "", false
	}
	t, err := time.Parse("2006-01-02", d)
	if err != nil || now.Before(t) {
		return "", false
	}
	return d, true
}

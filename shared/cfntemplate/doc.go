// Package cfntemplate reads CloudFormation and SAM templates, YAML or JSON,
// and finds every IAM policy they declare together with where it is: the
// JSON pointer from the template root and the line in the file.
//
// Parsing goes through rain's cft/parse, AWS's own template reader, which
// rewrites short-form intrinsics (!Sub, !Ref, !GetAtt, !If, ...) into their
// long form while keeping yaml.Node positions. That matters twice: policy
// checks see one shape of document whatever the author typed, and findings
// can point a SARIF viewer at the exact line of the offending statement.
//
// The package knows templates, not IAM: it reports policy documents,
// managed policy references, SAM policy templates and Lambda permissions as
// Sources, and leaves judging them to the scanner.
package cfntemplate

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
// Sources, and leaves judging them to the scanner. It does know every form
// CloudFormation accepts for a policy document, so that a legal template
// is never a reason to stop: a Source's Policy is the document decoded
// from an object, a JSON string or the text of a Fn::Sub or Fn::Join,
// with Fn::If expanded into both branches wherever it stands (around a
// list, a document, a statement or one value; each variant says which
// conditions it took) and AWS::NoValue removed with its key or element.
// What still cannot be read is a Problem with its line and reason, not an
// error.
package cfntemplate

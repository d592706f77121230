package iampolicy

import "errors"

// Parse reads a JSON policy document.
func Parse(data []byte) (*Document, error) { return nil, errors.New("not implemented") }

// FromValue reads an already-decoded policy tree.
func FromValue(v any) (*Document, error) { return nil, errors.New("not implemented") }

// Evaluate runs the checks for kind on doc.
func Evaluate(doc *Document, kind Kind, opts Options) []Issue { return nil }

// Checks lists the checks this package implements.
func Checks() []CheckInfo { return nil }

// ManagedPolicy returns an embedded AWS managed policy.
func ManagedPolicy(nameOrARN string) (*Document, bool) { return nil, false }

// LookupAction finds an action in the catalog.
func LookupAction(action string) (ActionInfo, bool) { return ActionInfo{}, false }

// ExpandAction expands a wildcard pattern against the catalog.
func ExpandAction(pattern string) []ActionInfo { return nil }

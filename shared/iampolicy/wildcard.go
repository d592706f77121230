package iampolicy

// WildcardMatch reports whether s matches an IAM wildcard pattern: * for
// any run of characters (also none), ? for exactly one. It compares bytes
// as given, so callers fold case first where IAM ignores it (actions) and
// not where it does not (ARNs). Its work is bounded by
// len(pattern)·len(s) whatever the input.
func WildcardMatch(pattern, s string) bool { return globMatch(pattern, s) }

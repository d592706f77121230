package iameffect

// covers reports whether every string the IAM wildcard pattern a matches
// is matched by pattern d as well (* any run, ? one character): a Deny on
// "s3:*" covers an Allow on "s3:Put*", one on "s3:Put*" does not cover
// "s3:*". A wildcard of a is covered only by a * of d, so the test never
// claims more than holds. Callers fold case first where IAM ignores it.
func covers(d, a string) bool {
	memo := make([]int8, (len(d)+1)*(len(a)+1))
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		m := &memo[i*(len(a)+1)+j]
		if *m != 0 {
			return *m > 0
		}
		var r bool
		switch {
		case i == len(d):
			r = j == len(a)
		case d[i] == '*':
			r = rec(i+1, j) || (j < len(a) && rec(i, j+1))
		case j == len(a), a[j] == '*':
			r = false
		case d[i] == '?':
			r = rec(i+1, j+1)
		case a[j] == '?':
			r = false
		default:
			r = d[i] == a[j] && rec(i+1, j+1)
		}
		if r {
			*m = 1
		} else {
			*m = -1
		}
		return r
	}
	return rec(0, 0)
}

// overlaps reports whether some string matches both wildcard patterns.
func overlaps(a, b string) bool {
	memo := make([]int8, (len(a)+1)*(len(b)+1))
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		m := &memo[i*(len(b)+1)+j]
		if *m != 0 {
			return *m > 0
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i == len(a) || j == len(b):
			r = false
		default:
			r = (a[i] == '?' || b[j] == '?' || a[i] == b[j]) && rec(i+1, j+1)
		}
		if r {
			*m = 1
		} else {
			*m = -1
		}
		return r
	}
	return rec(0, 0)
}

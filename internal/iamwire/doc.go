// Package iamwire holds the two encodings of IAM's Query protocol that
// both the IAM fake (internal/awsfake) and the page generator
// (shared/iamscan/internal/gengaad) write: a policy document as IAM sends
// it, and the continuation marker of a page of
// GetAccountAuthorizationDetails. One definition keeps the generated pages
// and the fake that serves them in agreement.
package iamwire

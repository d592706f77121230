// Package iampolicy parses IAM policy documents and judges them against the
// IAM and Lambda checks of selfaudit's catalog (IAM001 to IAM008, LMB001 to
// LMB003).
package iampolicy

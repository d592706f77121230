// Package record is the CloudTrail record as selfaudit's rules see it, and a
// parser for it that does not use reflection.
//
// A busy account writes millions of records a day, and every one of them is
// parsed even though only a small share is ever looked at closely. The parser
// therefore walks the JSON once, keeps the handful of top-level fields every
// rule needs as strings, and keeps the bulky parts (requestParameters,
// responseElements, resources) as raw JSON that a rule decodes only when the
// event name says it matters. A differential fuzz test holds it to
// encoding/json's reading of the same bytes.
package record

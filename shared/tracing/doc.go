// Package tracing is the only place that knows which tracing library
// selfaudit uses. Everything else asks it to instrument an aws.Config.
//
// The AWS X-Ray SDK for Go is in maintenance mode (end of support
// 2027-02-25) and AWS recommends OpenTelemetry instead. Keeping every use of
// it behind the small Tracer interface here means an OpenTelemetry tracer can
// replace it without touching any function or engine.
package tracing
